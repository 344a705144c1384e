//! Pre-built request bodies: one per request of the run, each with a fresh event id, already
//! compressed the way its SDK sends it. Built before the timed phase so that sending costs only a
//! reference-count increment.

use std::fmt::Write as _;

use anyhow::{bail, Result};
use bytes::Bytes;

use crate::corpus::{Corpus, Sdk, Template};

/// Requested share of each SDK, e.g. `python=70,node=20,browser=10`.
#[derive(Clone, Debug)]
pub struct Mix {
    pub weights: [u32; 3],
}

impl Mix {
    pub fn parse(s: &str) -> Result<Mix> {
        let mut weights = [0; 3];
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let Some((name, w)) = part.split_once('=') else {
                bail!("bad --mix entry {part:?}; expected sdk=weight");
            };
            let Some(sdk) = Sdk::from_name(name.trim()) else {
                bail!("unknown SDK {name:?} in --mix (python, node, browser)");
            };
            weights[sdk.index()] = w.trim().parse()?;
        }
        if weights.iter().all(|&w| w == 0) {
            bail!("--mix gives every SDK weight 0");
        }
        Ok(Mix { weights })
    }

    /// The SDK of each of `n` requests, interleaved smoothly (weighted round robin).
    fn sequence(&self, n: usize) -> Vec<Sdk> {
        let total: i64 = self.weights.iter().map(|&w| i64::from(w)).sum();
        let mut current = [0i64; 3];
        (0..n)
            .map(|_| {
                for (c, &w) in current.iter_mut().zip(&self.weights) {
                    *c += i64::from(w);
                }
                let best = (0..3)
                    .max_by_key(|&i| (current[i], std::cmp::Reverse(i)))
                    .unwrap_or(0);
                current[best] -= total;
                Sdk::ALL[best]
            })
            .collect()
    }
}

/// One request of the run.
pub struct Body {
    pub sdk: Sdk,
    pub bytes: Bytes,
}

pub struct Pool {
    pub bodies: Vec<Body>,
    pub bytes_total: usize,
}

/// Build `n` bodies following `mix`, using `threads` OS threads (compression is the costly part).
/// `fresh_traces`: give every request a trace id of its own (as SDKs that start a trace per
/// request do) instead of its template's.
pub fn build(
    corpus: &Corpus,
    mix: &Mix,
    n: usize,
    threads: usize,
    run_nonce: u64,
    fresh_traces: bool,
) -> Result<Pool> {
    let mut by_sdk: [Vec<&Template>; 3] = Default::default();
    for t in &corpus.templates {
        by_sdk[t.sdk.index()].push(t);
    }
    for sdk in Sdk::ALL {
        if mix.weights[sdk.index()] > 0 && by_sdk[sdk.index()].is_empty() {
            bail!(
                "--mix asks for {} but the corpus has no {} event envelopes",
                sdk.name(),
                sdk.name()
            );
        }
    }
    let sdks = mix.sequence(n);
    let mut seen = [0usize; 3];
    let plan: Vec<&Template> = sdks
        .iter()
        .map(|sdk| {
            let list = &by_sdk[sdk.index()];
            let t = list[seen[sdk.index()] % list.len()];
            seen[sdk.index()] += 1;
            t
        })
        .collect();

    let threads = threads.max(1);
    let chunk = n.div_ceil(threads).max(1);
    let parts: Vec<Chunk> = std::thread::scope(|scope| {
        let handles: Vec<_> = plan
            .chunks(chunk)
            .enumerate()
            .map(|(k, templates)| {
                scope.spawn(move || build_chunk(k * chunk, templates, run_nonce, fresh_traces))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("pool builder thread panicked"))
            .collect()
    });

    let mut bodies = Vec::with_capacity(n);
    let mut bytes_total = 0;
    for (buf, spans) in parts {
        bytes_total += buf.len();
        let buf = Bytes::from(buf);
        for (sdk, a, b) in spans {
            bodies.push(Body {
                sdk,
                bytes: buf.slice(a..b),
            });
        }
    }
    Ok(Pool {
        bodies,
        bytes_total,
    })
}

/// One builder thread's output: its bytes and the (sdk, start, end) span of each body in them.
type Chunk = (Vec<u8>, Vec<(Sdk, usize, usize)>);

fn build_chunk(first: usize, templates: &[&Template], nonce: u64, fresh_traces: bool) -> Chunk {
    let mut out = Vec::with_capacity(templates.iter().map(|t| t.bytes.len() / 2).sum());
    let mut spans = Vec::with_capacity(templates.len());
    let mut scratch = Vec::new();
    let mut id = String::with_capacity(32);
    for (k, t) in templates.iter().enumerate() {
        id.clear();
        event_id(nonce, (first + k) as u64, &mut id);
        scratch.clear();
        scratch.extend_from_slice(&t.bytes);
        for &off in &t.id_offsets {
            scratch[off..off + 32].copy_from_slice(id.as_bytes());
        }
        if fresh_traces {
            id.clear();
            event_id(nonce ^ TRACE_SALT, (first + k) as u64, &mut id);
            for &off in &t.trace_offsets {
                scratch[off..off + 32].copy_from_slice(id.as_bytes());
            }
        }
        let start = out.len();
        match t.sdk {
            // sentry-python: brotli quality 4 (sentry_sdk/transport.py), default window 22.
            Sdk::Python => brotli_q4(&scratch, &mut out),
            // @sentry/node gzips only above 32 KiB; the corpus events are smaller. Browser: never.
            Sdk::Node | Sdk::Browser => out.extend_from_slice(&scratch),
        }
        spans.push((t.sdk, start, out.len()));
    }
    (out, spans)
}

fn brotli_q4(input: &[u8], out: &mut Vec<u8>) {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 4,
        lgwin: 22,
        size_hint: input.len(),
        ..Default::default()
    };
    let mut reader = input;
    // Writing into a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut reader, out, &params);
}

/// Makes trace ids differ from the event ids of the same run.
const TRACE_SALT: u64 = 0x7ace_7ace_7ace_7ace;

/// A unique 32-hex id per request: 64 bits of run nonce + a bijective mix of the request number.
fn event_id(nonce: u64, i: u64, out: &mut String) {
    let _ = write!(out, "{:016x}{:016x}", nonce, splitmix64(i ^ 0x5eed));
}

pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_is_proportional_and_interleaved() {
        let mix = Mix::parse("python=70,node=20,browser=10").unwrap();
        let seq = mix.sequence(100);
        let count = |s| seq.iter().filter(|&&x| x == s).count();
        assert_eq!(
            (count(Sdk::Python), count(Sdk::Node), count(Sdk::Browser)),
            (70, 20, 10)
        );
        assert!(seq[..10].contains(&Sdk::Node));
    }

    #[test]
    fn ids_are_unique_and_32_hex() {
        let mut a = String::new();
        let mut b = String::new();
        event_id(7, 1, &mut a);
        event_id(7, 2, &mut b);
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
    /// Every `"trace_id":"…"` value in a body, in order.
    fn trace_ids(body: &[u8]) -> Vec<String> {
        let text = String::from_utf8_lossy(body);
        text.split("\"trace_id\":\"")
            .skip(1)
            .map(|rest| rest.chars().take_while(|c| *c != '"').collect())
            .collect()
    }

    #[test]
    fn fresh_trace_ids_replace_the_templates_everywhere() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let corpus = crate::corpus::load(
            &dir,
            "0123456789abcdef0123456789abcdef",
            std::time::SystemTime::now(),
        )
        .unwrap();
        // Node bodies are sent as they are, so their text can be read here.
        let mix = Mix::parse("node=1").unwrap();
        let kept = build(&corpus, &mix, 4, 1, 9, false).unwrap();
        let fresh = build(&corpus, &mix, 4, 1, 9, true).unwrap();
        let mut seen = std::collections::HashSet::new();
        for (k, f) in kept.bodies.iter().zip(&fresh.bodies) {
            let (old, new) = (trace_ids(&k.bytes), trace_ids(&f.bytes));
            assert!(old.len() >= 2, "header and contexts.trace: {old:?}");
            assert_eq!(old.len(), new.len());
            assert!(old.iter().all(|t| t == &old[0]), "{old:?}");
            assert!(new.iter().all(|t| t == &new[0]), "one id per body: {new:?}");
            assert_eq!(new[0].len(), 32);
            assert!(new[0].bytes().all(|b| b.is_ascii_hexdigit()));
            assert_ne!(new[0], old[0]);
            assert!(seen.insert(new[0].clone()), "each body its own trace");
            assert_eq!(k.bytes.len(), f.bytes.len());
        }
    }
}
