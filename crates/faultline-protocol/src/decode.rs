//! Request body decoding: `Content-Encoding` (gzip, deflate, br, zstd) and the legacy `/store/`
//! body forms, always streamed with a hard cap on the decoded size (PROTOCOL.md §1.4).
//!
//! Output is produced in chunks and the buffer never grows past `limit`, so a compression bomb
//! costs at most `limit` bytes of memory and the time to inflate `limit` bytes before it is
//! rejected with [`DecodeError::TooLarge`].

use std::borrow::Cow;
use std::io::{ErrorKind, Read};

use base64::Engine as _;
use flate2::{Decompress, FlushDecompress, Status};

/// Size of the scratch buffer decoders write into.
const CHUNK: usize = 32 * 1024;

/// Why a body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A `Content-Encoding` we do not know.
    #[error("unsupported content encoding '{0}'")]
    Unsupported(String),
    /// The decoded body would exceed the limit.
    #[error("decoded body exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
    /// The compressed stream (or base64) is damaged or truncated.
    #[error("corrupt {encoding} body: {reason}")]
    Corrupt {
        /// Which encoding failed: `gzip`, `deflate`, `br`, `zstd` or `base64`.
        encoding: &'static str,
        /// What the decoder said.
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Gzip,
    Deflate,
    Brotli,
    Zstd,
}

/// Decodes `body` according to a `Content-Encoding` header value.
///
/// `gzip`/`x-gzip`, `deflate` (zlib-wrapped, falling back to raw deflate), `br` and `zstd` are
/// decoded; `""`, `identity` and `utf-8` (sent by some old SDKs) mean no encoding. A list such
/// as `gzip, br` is undone from the last to the first. The result, compressed or not, must fit
/// in `limit` bytes.
///
/// ```
/// use faultline_protocol::decode::decode_body;
/// let body = decode_body(Some("identity"), b"{}", 1024).unwrap();
/// assert_eq!(&*body, b"{}");
/// ```
pub fn decode_body<'a>(
    content_encoding: Option<&str>,
    body: &'a [u8],
    limit: usize,
) -> Result<Cow<'a, [u8]>, DecodeError> {
    let mut encodings = Vec::new();
    for token in content_encoding.unwrap_or_default().split(',') {
        let token = token.trim();
        let encoding = match token.to_ascii_lowercase().as_str() {
            "" | "identity" | "utf-8" | "utf8" => continue,
            "gzip" | "x-gzip" => Encoding::Gzip,
            "deflate" => Encoding::Deflate,
            "br" => Encoding::Brotli,
            "zstd" => Encoding::Zstd,
            _ => return Err(DecodeError::Unsupported(token.chars().take(64).collect())),
        };
        encodings.push(encoding);
    }
    let mut current = Cow::Borrowed(body);
    for encoding in encodings.into_iter().rev() {
        current = Cow::Owned(decode_one(encoding, &current, limit)?);
    }
    if current.len() > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    Ok(current)
}

/// Decodes a legacy `/store/` body: plain JSON (starts with `{` after whitespace), base64 of
/// JSON, or base64 of zlib-compressed JSON (old raven clients). Run [`decode_body`] first when
/// the request had a `Content-Encoding`.
pub fn decode_store_body(body: &[u8], limit: usize) -> Result<Cow<'_, [u8]>, DecodeError> {
    if starts_with_brace(body) {
        if body.len() > limit {
            return Err(DecodeError::TooLarge { limit });
        }
        return Ok(Cow::Borrowed(body));
    }
    let compact: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    // Base64 decodes to 3/4 of its length: refuse before allocating when that is too much.
    if compact.len() / 4 * 3 > limit.saturating_add(3) {
        return Err(DecodeError::TooLarge { limit });
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let decoded = engine.decode(&compact).map_err(|e| DecodeError::Corrupt {
        encoding: "base64",
        reason: e.to_string(),
    })?;
    if starts_with_brace(&decoded) {
        if decoded.len() > limit {
            return Err(DecodeError::TooLarge { limit });
        }
        return Ok(Cow::Owned(decoded));
    }
    inflate(&decoded, true, limit).map(Cow::Owned)
}

fn starts_with_brace(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

fn decode_one(encoding: Encoding, input: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    match encoding {
        Encoding::Gzip => read_capped(
            flate2::read::MultiGzDecoder::new(input),
            "gzip",
            input,
            limit,
        ),
        Encoding::Deflate => inflate_zlib_or_raw(input, limit),
        Encoding::Brotli => read_capped(BrotliReader::new(input), "br", input, limit),
        Encoding::Zstd => {
            let corrupt = |e: std::io::Error| DecodeError::Corrupt {
                encoding: "zstd",
                reason: e.to_string(),
            };
            let mut decoder = zstd::stream::read::Decoder::with_buffer(input).map_err(corrupt)?;
            // The window is the decoder's big allocation; a frame may declare up to 2^31.
            // Allow what real compressors use for bodies of this size, and no more.
            decoder
                .window_log_max(zstd_window_log(limit))
                .map_err(corrupt)?;
            read_capped(decoder, "zstd", input, limit)
        }
    }
}

fn zstd_window_log(limit: usize) -> u32 {
    let needed = usize::BITS - limit.leading_zeros();
    needed.clamp(23, 27)
}

/// Reads a decoder to its end in chunks, refusing to produce more than `limit` bytes.
fn read_capped(
    mut reader: impl Read,
    encoding: &'static str,
    input: &[u8],
    limit: usize,
) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(initial_capacity(input.len(), limit));
    with_scratch(|chunk| loop {
        match reader.read(chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => push_capped(&mut out, chunk.get(..n).unwrap_or_default(), limit)?,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(DecodeError::Corrupt {
                    encoding,
                    reason: e.to_string(),
                })
            }
        }
    })
}

thread_local! {
    /// The thread's scratch buffer of [`CHUNK`] bytes, kept from one body to the next: zeroing
    /// a fresh one costs about as much as decoding a typical small body.
    static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Runs `f` with a buffer of [`CHUNK`] bytes (holding whatever the last user left in it).
fn with_scratch<T>(f: impl FnOnce(&mut [u8]) -> T) -> T {
    let mut chunk = SCRATCH.take();
    if chunk.len() != CHUNK {
        chunk = vec![0u8; CHUNK];
    }
    let result = f(&mut chunk);
    SCRATCH.set(chunk);
    result
}

/// Brotli through the reference C decoder (`brotlic`): about a third of the instructions of the
/// pure-Rust `brotli` crate's decoder, half its time, on Python SDK bodies (brotli is what
/// sentry-python sends). Read exactly as `brotli::Decompressor` (the decoder used before)
/// reads over its input buffer of [`CHUNK`] bytes, so that [`read_capped`] sees the same reads
/// and gives the same result for every stream, damaged or too large ones included: the input
/// goes in [`CHUNK`] bytes at a time, a read returns as soon as it has output, large-window
/// streams are accepted, bytes after the end of the stream are ignored, and any failure is
/// `Invalid Data`.
struct BrotliReader<'a> {
    decoder: Option<brotlic::BrotliDecoder>,
    input: &'a [u8],
    /// How much of `input` the decoder has been given.
    fed: usize,
    /// How much of `input` the decoder has consumed.
    consumed: usize,
    /// The stream ended (a read has returned 0 after it).
    done: bool,
}

impl<'a> BrotliReader<'a> {
    fn new(input: &'a [u8]) -> Self {
        BrotliReader {
            decoder: brotlic::BrotliDecoderOptions::new()
                .large_window_size(true)
                .build()
                .ok(),
            input,
            fed: input.len().min(CHUNK),
            consumed: 0,
            done: false,
        }
    }
}

fn invalid_brotli() -> std::io::Error {
    std::io::Error::new(ErrorKind::InvalidData, "Invalid Data")
}

impl Read for BrotliReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let decoder = self.decoder.as_mut().ok_or_else(invalid_brotli)?;
        let mut written = 0;
        while written == 0 && !buf.is_empty() {
            let available = self.input.get(self.consumed..self.fed).unwrap_or_default();
            let result = decoder
                .decompress(available, buf)
                .map_err(|_| invalid_brotli())?;
            self.consumed += result.bytes_read;
            written = result.bytes_written;
            match result.info {
                brotlic::decode::DecoderInfo::NeedsMoreInput => {
                    if written != 0 {
                        break;
                    }
                    if self.fed == self.input.len() {
                        return Err(invalid_brotli());
                    }
                    self.fed = self.input.len().min(self.fed.saturating_add(CHUNK));
                }
                brotlic::decode::DecoderInfo::NeedsMoreOutput => break,
                brotlic::decode::DecoderInfo::Finished => {
                    if written == 0 {
                        if !self.done {
                            self.done = true;
                        } else if self.consumed != self.fed {
                            return Err(invalid_brotli());
                        }
                    }
                    break;
                }
            }
        }
        Ok(written)
    }
}

/// `deflate` is zlib-wrapped per the HTTP spec, but some clients send raw deflate.
fn inflate_zlib_or_raw(input: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let zlib_err = match inflate(input, true, limit) {
        Ok(out) => return Ok(out),
        Err(err @ DecodeError::TooLarge { .. }) => return Err(err),
        Err(err) => err,
    };
    match inflate(input, false, limit) {
        Ok(out) => Ok(out),
        Err(err @ DecodeError::TooLarge { .. }) => Err(err),
        Err(raw_err) if looks_like_zlib(input) => {
            drop(raw_err);
            Err(zlib_err)
        }
        Err(raw_err) => Err(raw_err),
    }
}

fn looks_like_zlib(input: &[u8]) -> bool {
    match input {
        [cmf, flg, ..] => cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0,
        _ => false,
    }
}

/// Inflates a zlib (`zlib = true`) or raw deflate stream; the stream must end properly.
fn inflate(input: &[u8], zlib: bool, limit: usize) -> Result<Vec<u8>, DecodeError> {
    let corrupt = |reason: String| DecodeError::Corrupt {
        encoding: "deflate",
        reason,
    };
    let mut decompress = Decompress::new(zlib);
    let mut out = Vec::with_capacity(initial_capacity(input.len(), limit));
    with_scratch(|chunk| loop {
        let (in_before, out_before) = (decompress.total_in(), decompress.total_out());
        let offset = usize::try_from(in_before).unwrap_or(usize::MAX);
        let rest = input.get(offset..).unwrap_or_default();
        let status = decompress
            .decompress(rest, chunk, FlushDecompress::None)
            .map_err(|e| corrupt(e.to_string()))?;
        let produced = usize::try_from(decompress.total_out() - out_before).unwrap_or(0);
        push_capped(&mut out, chunk.get(..produced).unwrap_or_default(), limit)?;
        match status {
            Status::StreamEnd => return Ok(out),
            Status::Ok | Status::BufError => {
                if produced == 0 && decompress.total_in() == in_before {
                    return Err(corrupt("truncated stream".into()));
                }
            }
        }
    })
}

fn initial_capacity(input_len: usize, limit: usize) -> usize {
    input_len.saturating_mul(4).clamp(1024, 1 << 20).min(limit)
}

/// Appends `data`, growing the buffer geometrically but never past `limit`.
fn push_capped(out: &mut Vec<u8>, data: &[u8], limit: usize) -> Result<(), DecodeError> {
    let needed = out.len().saturating_add(data.len());
    if needed > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    if needed > out.capacity() {
        let target = out.capacity().saturating_mul(2).max(needed).min(limit);
        out.reserve_exact(target - out.len());
    }
    out.extend_from_slice(data);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const MIB: usize = 1 << 20;

    fn sample() -> Vec<u8> {
        let mut s = Vec::new();
        for i in 0..2000 {
            s.extend_from_slice(format!("{{\"line\":{i},\"text\":\"hello world\"}}\n").as_bytes());
        }
        s
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn brotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut out, 4096, 4, 22);
            w.write_all(data).unwrap();
        }
        out
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        zstd::stream::encode_all(data, 3).unwrap()
    }

    #[test]
    fn identity_values_borrow_the_body() {
        let body = sample();
        for ce in [
            None,
            Some(""),
            Some("identity"),
            Some("utf-8"),
            Some("UTF-8"),
            Some(" , "),
        ] {
            let out = decode_body(ce, &body, MIB).unwrap();
            assert!(matches!(out, Cow::Borrowed(_)), "{ce:?}");
            assert_eq!(&*out, &body[..]);
        }
    }

    #[test]
    fn identity_body_over_limit_is_too_large() {
        assert_eq!(
            decode_body(None, b"0123456789", 5),
            Err(DecodeError::TooLarge { limit: 5 })
        );
    }

    #[test]
    fn each_encoding_round_trips() {
        let body = sample();
        let cases: [(&str, Vec<u8>); 6] = [
            ("gzip", gzip(&body)),
            ("x-gzip", gzip(&body)),
            ("GZIP", gzip(&body)),
            ("deflate", zlib(&body)),
            ("br", brotli(&body)),
            ("zstd", zstd(&body)),
        ];
        for (ce, compressed) in cases {
            assert_ne!(compressed, body);
            let out = decode_body(Some(ce), &compressed, MIB).unwrap();
            assert_eq!(out.len(), body.len(), "{ce}");
            assert_eq!(&*out, &body[..], "{ce}");
        }
    }

    #[test]
    fn deflate_accepts_raw_streams_too() {
        let body = sample();
        let compressed = raw_deflate(&body);
        let out = decode_body(Some("deflate"), &compressed, MIB).unwrap();
        assert_eq!(&*out, &body[..]);
    }

    #[test]
    fn multi_member_gzip_is_concatenated() {
        let mut two = gzip(b"hello ");
        two.extend(gzip(b"world"));
        assert_eq!(
            &*decode_body(Some("gzip"), &two, MIB).unwrap(),
            b"hello world"
        );
    }

    #[test]
    fn encoding_lists_are_undone_in_reverse() {
        let body = sample();
        let layered = brotli(&gzip(&body)); // gzip applied first, then br
        let out = decode_body(Some("gzip, br"), &layered, MIB).unwrap();
        assert_eq!(&*out, &body[..]);
        assert!(decode_body(Some("br, gzip"), &layered, MIB).is_err());
    }

    #[test]
    fn unknown_encoding_is_unsupported() {
        assert_eq!(
            decode_body(Some("gzip, compress"), b"x", MIB),
            Err(DecodeError::Unsupported("compress".into()))
        );
        assert_eq!(
            decode_body(Some("compress"), b"x", MIB).map_err(|e| e.to_string()),
            Err("unsupported content encoding 'compress'".to_string())
        );
    }

    #[test]
    fn output_exactly_at_limit_is_accepted() {
        let body = sample();
        for (ce, compressed) in [
            ("gzip", gzip(&body)),
            ("deflate", zlib(&body)),
            ("br", brotli(&body)),
            ("zstd", zstd(&body)),
        ] {
            let out = decode_body(Some(ce), &compressed, body.len()).unwrap();
            assert_eq!(out.len(), body.len());
            assert_eq!(
                decode_body(Some(ce), &compressed, body.len() - 1),
                Err(DecodeError::TooLarge {
                    limit: body.len() - 1
                }),
                "{ce}"
            );
        }
    }

    #[test]
    fn gzip_bomb_is_rejected_against_a_small_limit() {
        let zeros = vec![0u8; 100 * MIB];
        let bomb = gzip(&zeros);
        drop(zeros);
        assert!(bomb.len() < MIB, "bomb is {} bytes", bomb.len());
        assert_eq!(
            decode_body(Some("gzip"), &bomb, MIB),
            Err(DecodeError::TooLarge { limit: MIB })
        );
    }

    #[test]
    fn deflate_brotli_and_zstd_bombs_are_rejected() {
        let zeros = vec![0u8; 32 * MIB];
        for (ce, bomb) in [
            ("deflate", zlib(&zeros)),
            ("deflate", raw_deflate(&zeros)),
            ("br", brotli(&zeros)),
            ("zstd", zstd(&zeros)),
        ] {
            assert!(bomb.len() < MIB / 4, "{ce} bomb is {} bytes", bomb.len());
            assert_eq!(
                decode_body(Some(ce), &bomb, MIB),
                Err(DecodeError::TooLarge { limit: MIB }),
                "{ce}"
            );
        }
        // And through the legacy store path: base64(zlib(bomb)).
        let b64 = base64::engine::general_purpose::STANDARD.encode(zlib(&zeros));
        assert_eq!(
            decode_store_body(b64.as_bytes(), MIB),
            Err(DecodeError::TooLarge { limit: MIB })
        );
    }

    #[test]
    fn garbage_is_corrupt_for_every_encoding() {
        let garbage = b"this is definitely not compressed data, not even a little";
        for (ce, name) in [
            ("gzip", "gzip"),
            ("deflate", "deflate"),
            ("br", "br"),
            ("zstd", "zstd"),
        ] {
            match decode_body(Some(ce), garbage, MIB) {
                Err(DecodeError::Corrupt { encoding, reason }) => {
                    assert_eq!(encoding, name);
                    assert!(!reason.is_empty());
                }
                other => panic!("{ce}: expected Corrupt, got {other:?}"),
            }
        }
    }

    #[test]
    fn truncated_streams_are_corrupt() {
        let body = sample();
        for (ce, compressed) in [
            ("gzip", gzip(&body)),
            ("deflate", zlib(&body)),
            ("deflate", raw_deflate(&body)),
            ("br", brotli(&body)),
            ("zstd", zstd(&body)),
        ] {
            let cut = &compressed[..compressed.len() / 2];
            assert!(
                matches!(
                    decode_body(Some(ce), cut, MIB),
                    Err(DecodeError::Corrupt { .. })
                ),
                "{ce}: {:?}",
                decode_body(Some(ce), cut, MIB).map(|b| b.len())
            );
        }
    }

    /// The pure-Rust decoder used before [`BrotliReader`], read the same way.
    fn rust_brotli(input: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
        read_capped(brotli::Decompressor::new(input, CHUNK), "br", input, limit)
    }

    #[test]
    fn brotli_reader_gives_the_results_of_the_rust_decoder() {
        // Text, incompressible bytes (input over several chunks) and a bomb; whole, cut at many
        // places, with bytes flipped, with trailing bytes; against limits around the sizes.
        let mut noise = Vec::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            noise.push((x >> 24) as u8);
        }
        let bodies = [
            sample(),
            noise,
            vec![0u8; 3 * MIB],
            Vec::new(),
            b"x".to_vec(),
        ];
        for body in &bodies {
            let full = brotli(body);
            let mut streams = vec![full.clone()];
            let step = (full.len() / 40).max(1);
            for cut in (0..full.len()).step_by(step) {
                streams.push(full[..cut].to_vec());
                let mut flipped = full.clone();
                flipped[cut] ^= 0x5a;
                streams.push(flipped);
            }
            let mut trailing = full.clone();
            trailing.extend_from_slice(b"trailing bytes");
            streams.push(trailing);
            for stream in &streams {
                for limit in [MIB / 2, body.len().saturating_sub(1), body.len(), 4 * MIB] {
                    assert_eq!(
                        decode_one(Encoding::Brotli, stream, limit),
                        rust_brotli(stream, limit),
                        "{} bytes of {}, limit {limit}",
                        stream.len(),
                        full.len()
                    );
                }
            }
        }
    }

    #[test]
    fn corrupted_gzip_checksum_is_detected() {
        let mut compressed = gzip(&sample());
        let n = compressed.len();
        compressed[n - 6] ^= 0xff; // inside the CRC32 trailer
        assert!(matches!(
            decode_body(Some("gzip"), &compressed, MIB),
            Err(DecodeError::Corrupt {
                encoding: "gzip",
                ..
            })
        ));
    }

    #[test]
    fn empty_compressed_body_is_corrupt() {
        for ce in ["gzip", "deflate", "br", "zstd"] {
            assert!(
                matches!(
                    decode_body(Some(ce), b"", MIB),
                    Err(DecodeError::Corrupt { .. })
                ),
                "{ce}"
            );
        }
    }

    #[test]
    fn store_body_forms() {
        let json = br#"{"message":"hi"}"#;
        let plain = decode_store_body(b"  \n{\"message\":\"hi\"}", MIB).unwrap();
        assert!(matches!(plain, Cow::Borrowed(_)));

        let b64 = base64::engine::general_purpose::STANDARD.encode(json);
        assert_eq!(&*decode_store_body(b64.as_bytes(), MIB).unwrap(), json);

        let b64_zlib = base64::engine::general_purpose::STANDARD.encode(zlib(json));
        // Line-wrapped base64 without padding is accepted too.
        let wrapped: String = b64_zlib
            .trim_end_matches('=')
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                if i > 0 && i % 8 == 0 {
                    vec!['\n', c]
                } else {
                    vec![c]
                }
            })
            .collect();
        assert_eq!(&*decode_store_body(wrapped.as_bytes(), MIB).unwrap(), json);

        assert!(matches!(
            decode_store_body(b"not base64 at all!", MIB),
            Err(DecodeError::Corrupt {
                encoding: "base64",
                ..
            })
        ));
        let b64_garbage = base64::engine::general_purpose::STANDARD.encode(b"garbage bytes");
        assert!(matches!(
            decode_store_body(b64_garbage.as_bytes(), MIB),
            Err(DecodeError::Corrupt {
                encoding: "deflate",
                ..
            })
        ));
        assert_eq!(
            decode_store_body(json, 4),
            Err(DecodeError::TooLarge { limit: 4 })
        );
    }
}
