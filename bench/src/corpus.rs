//! Loading the captured corpus: one raw (decompressed) envelope per file, named `<sdk>-….envelope`.
//!
//! Only envelopes that carry an `event` item are replayed; sessions and client reports stay in the
//! corpus for the server's tests. For every template we remember where its `event_id` occurs so
//! that each request can get a fresh id by overwriting those bytes (same length, no re-encoding).

use std::path::Path;
use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The SDK whose transport behaviour a request imitates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sdk {
    Python,
    Node,
    Browser,
}

impl Sdk {
    pub const ALL: [Sdk; 3] = [Sdk::Python, Sdk::Node, Sdk::Browser];

    pub fn name(self) -> &'static str {
        match self {
            Sdk::Python => "python",
            Sdk::Node => "node",
            Sdk::Browser => "browser",
        }
    }

    pub fn from_name(name: &str) -> Option<Sdk> {
        Sdk::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// One replayable envelope.
pub struct Template {
    pub sdk: Sdk,
    pub bytes: Vec<u8>,
    /// Byte offsets of every occurrence of the 32-hex event id.
    pub id_offsets: Vec<usize>,
    /// Byte offsets of every occurrence of the envelope header's 32-hex `trace.trace_id` (in
    /// the header and in the event's `contexts.trace`), for `--fresh-trace-ids`.
    pub trace_offsets: Vec<usize>,
}

pub struct Corpus {
    pub templates: Vec<Template>,
    pub skipped_non_event: usize,
}

impl Corpus {
    pub fn count(&self, sdk: Sdk) -> usize {
        self.templates.iter().filter(|t| t.sdk == sdk).count()
    }

    pub fn mean_size(&self, sdk: Sdk) -> usize {
        let (n, total) = self
            .templates
            .iter()
            .filter(|t| t.sdk == sdk)
            .fold((0, 0), |(n, s), t| (n + 1, s + t.bytes.len()));
        total.checked_div(n).unwrap_or(0)
    }
}

/// Load every `*.envelope` in `dir`; rewrite the trace `public_key` to `key` and refresh
/// `sent_at` / event `timestamp` to `now` (both in place, same length).
pub fn load(dir: &Path, key: &str, now: SystemTime) -> Result<Corpus> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading corpus directory {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".envelope"))
        .collect();
    names.sort();
    let mut templates = Vec::new();
    let mut skipped_non_event = 0;
    for file in names {
        let Some(sdk) = file.split('-').next().and_then(Sdk::from_name) else {
            continue;
        };
        let mut bytes = std::fs::read(dir.join(&file))?;
        let env = parse(&bytes).with_context(|| format!("parsing {file}"))?;
        let Some(event) = env.event_payload else {
            skipped_non_event += 1;
            continue;
        };
        let Some(event_id) = env.event_id else {
            bail!("{file}: event envelope without event_id header");
        };
        refresh_timestamps(&mut bytes, env.header_end, event, now);
        if let Some(old_key) = env.public_key {
            if old_key.len() == key.len() {
                replace_all(&mut bytes, old_key.as_bytes(), key.as_bytes());
            }
        }
        let id_offsets = find_all(&bytes, event_id.as_bytes());
        let trace_offsets = env
            .trace_id
            .filter(|t| t.len() == 32)
            .map(|t| find_all(&bytes, t.as_bytes()))
            .unwrap_or_default();
        templates.push(Template {
            sdk,
            bytes,
            id_offsets,
            trace_offsets,
        });
    }
    Ok(Corpus {
        templates,
        skipped_non_event,
    })
}

struct Parsed {
    header_end: usize,
    event_id: Option<String>,
    public_key: Option<String>,
    trace_id: Option<String>,
    /// Byte range of the first `event` item's payload.
    event_payload: Option<(usize, usize)>,
}

#[derive(Deserialize)]
struct EnvelopeHeader {
    event_id: Option<String>,
    trace: Option<TraceHeader>,
}

#[derive(Deserialize)]
struct TraceHeader {
    public_key: Option<String>,
    trace_id: Option<String>,
}

#[derive(Deserialize)]
struct ItemHeader {
    #[serde(rename = "type")]
    ty: String,
    length: Option<usize>,
}

/// Minimal envelope walk (PROTOCOL.md §2.1): header line, then items with or without `length`.
fn parse(data: &[u8]) -> Result<Parsed> {
    let line_end = |from: usize| {
        data[from..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |p| from + p)
    };
    let header_end = line_end(0);
    let header: EnvelopeHeader = serde_json::from_slice(&data[..header_end])?;
    let (public_key, trace_id) = header
        .trace
        .map_or((None, None), |t| (t.public_key, t.trace_id));
    let mut parsed = Parsed {
        header_end,
        event_id: header.event_id.filter(|id| id.len() == 32),
        public_key,
        trace_id,
        event_payload: None,
    };
    let mut pos = header_end + 1;
    while pos < data.len() {
        let ih_end = line_end(pos);
        if data[pos..ih_end].iter().all(u8::is_ascii_whitespace) {
            pos = ih_end + 1;
            continue;
        }
        let ih: ItemHeader = serde_json::from_slice(&data[pos..ih_end])?;
        let start = ih_end + 1;
        let end = match ih.length {
            Some(len) if start + len <= data.len() => start + len,
            Some(_) => bail!("item length runs past the end"),
            None => line_end(start.min(data.len())),
        };
        if ih.ty == "event" && parsed.event_payload.is_none() {
            parsed.event_payload = Some((start, end));
        }
        pos = end + 1;
    }
    Ok(parsed)
}

#[derive(Deserialize)]
struct EventTop<'a> {
    #[serde(borrow)]
    timestamp: Option<&'a RawValue>,
}

fn refresh_timestamps(buf: &mut [u8], header_end: usize, event: (usize, usize), now: SystemTime) {
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    // Envelope header `sent_at` (RFC 3339 string).
    if let Some(pos) = find(&buf[..header_end], b"\"sent_at\":\"") {
        let start = pos + b"\"sent_at\":\"".len();
        if let Some(len) = buf[start..header_end].iter().position(|&b| b == b'"') {
            overwrite_timestamp(&mut buf[start..start + len], secs);
        }
    }
    // Top-level event `timestamp` (float seconds or RFC 3339 string).
    let (s, e) = event;
    let raw = match serde_json::from_slice::<EventTop>(&buf[s..e]) {
        Ok(EventTop {
            timestamp: Some(raw),
        }) => raw.get().as_bytes().to_vec(),
        _ => return,
    };
    let mut needle = b"\"timestamp\":".to_vec();
    needle.extend_from_slice(&raw);
    if let Some(pos) = find(&buf[s..e], &needle) {
        let start = s + pos + b"\"timestamp\":".len();
        let quoted = raw.first() == Some(&b'"');
        let (a, b) = if quoted {
            (start + 1, start + raw.len() - 1)
        } else {
            (start, start + raw.len())
        };
        overwrite_timestamp(&mut buf[a..b], secs);
    }
}

/// Replace a timestamp in place with `secs`, keeping its shape and length: `1795239146.743` or
/// `2026-11-21T05:31:25.480123Z`. Leaves anything else untouched.
fn overwrite_timestamp(slot: &mut [u8], secs: f64) {
    let text = String::from_utf8_lossy(slot).into_owned();
    let frac_digits = |s: &str| {
        s.split('.')
            .nth(1)
            .map_or(0, |f| f.trim_end_matches('Z').len())
    };
    let new = if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let d = frac_digits(&text);
        format!("{secs:.d$}")
    } else if text.len() >= 20 && text.ends_with('Z') && text.as_bytes().get(10) == Some(&b'T') {
        let d = frac_digits(&text);
        let whole = secs.floor() as i64;
        let frac = format!("{:.d$}", secs - whole as f64);
        let (y, mo, da) = civil_from_days(whole.div_euclid(86_400));
        let sod = whole.rem_euclid(86_400);
        let mut s = format!(
            "{y:04}-{mo:02}-{da:02}T{:02}:{:02}:{:02}",
            sod / 3600,
            sod / 60 % 60,
            sod % 60
        );
        if d > 0 {
            s.push_str(frac.get(1..).unwrap_or(".0"));
        }
        s.push('Z');
        s
    } else {
        return;
    };
    if new.len() == slot.len() {
        slot.copy_from_slice(new.as_bytes());
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = find(&hay[from..], needle) {
        out.push(from + p);
        from += p + needle.len();
    }
    out
}

fn replace_all(buf: &mut [u8], old: &[u8], new: &[u8]) {
    for pos in find_all(buf, old) {
        buf[pos..pos + new.len()].copy_from_slice(new);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_their_shape() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_795_239_146_743);
        let secs = t
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let mut a = *b"1700000000.123";
        overwrite_timestamp(&mut a, secs);
        assert_eq!(&a, b"1795239146.743");
        let mut b = *b"2023-01-01T00:00:00.000000Z";
        overwrite_timestamp(&mut b, secs);
        assert_eq!(&b, b"2026-11-21T05:32:26.743000Z");
    }

    #[test]
    fn walks_envelopes_with_and_without_length() {
        let env = b"{\"event_id\":\"0123456789abcdef0123456789abcdef\"}\n{\"type\":\"session\"}\n{}\n{\"type\":\"event\",\"length\":2}\n{}\n";
        let p = parse(env).unwrap();
        let (s, e) = p.event_payload.unwrap();
        assert_eq!(&env[s..e], b"{}");
    }
}
