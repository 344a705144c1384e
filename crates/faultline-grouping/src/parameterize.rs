//! Message normalization for grouping (§4.8): keep the first two non-blank lines, then replace
//! event-specific values (ids, numbers, addresses, dates, …) with `<kind>` placeholders.
//!
//! The patterns are tried at each position from left to right; at a position the first pattern
//! in priority order that matches wins (the semantics of one big alternation, which is how
//! Sentry applies its list). Boundary conditions that would need look-around are checked by hand
//! on the neighbouring characters (`Left` and `Right` in `patterns.rs`). Word characters are Unicode letters,
//! digits and `_`.
//!
//! Priority: email, url, hostname, ip, traceparent, uuid, sha1, md5, date, duration,
//! swift_txn_id, hex, git_sha, float, int, quoted_str, bool.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use crate::patterns::{definitions, Left, Needs, Right};

struct Pattern {
    name: &'static str,
    /// The pattern without anchor, for [`ANY`].
    raw: String,
    /// The pattern anchored at the start of the haystack.
    re: Regex,
    first: fn(char) -> bool,
    left: Left,
    right: Right,
    check: fn(&str) -> bool,
    needs: Needs,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn compile(pattern: &str) -> Option<Regex> {
    Regex::new(&format!("^(?:{pattern})")).ok()
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    definitions()
        .into_iter()
        .filter_map(|(name, raw, first, left, right, check, needs)| {
            compile(&raw).map(|re| Pattern {
                name,
                raw,
                re,
                first,
                left,
                right,
                check,
                needs,
            })
        })
        .collect()
});

/// All patterns in one unanchored alternation, ignoring boundary rules: no pattern can match
/// before the leftmost match of this one, so the scan jumps straight to candidate positions.
static ANY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let alternation: Vec<String> = PATTERNS.iter().map(|p| format!("(?:{})", p.raw)).collect();
    Regex::new(&alternation.join("|")).ok()
});

fn left_ok(rule: Left, prev: Option<char>) -> bool {
    match (rule, prev) {
        (Left::Any, _) => true,
        (Left::Equals, p) => p == Some('='),
        (_, None) => true,
        (Left::NotWord, Some(p)) => !is_word(p),
        (Left::NotAsciiWord, Some(p)) => !(p.is_ascii_alphanumeric() || p == '_'),
        (Left::NotDigit, Some(p)) => !p.is_ascii_digit(),
    }
}

fn right_ok(rule: Right, matched: &str, rest: &str) -> bool {
    let next = rest.chars().next();
    match rule {
        Right::Any => true,
        Right::NotAsciiAlnum => !next.is_some_and(|c| c.is_ascii_alphanumeric()),
        Right::ClockEnd => {
            !matched.ends_with(|c: char| c.is_ascii_digit())
                || !next.is_some_and(|c| c.is_ascii_digit() || c == ':')
        }
    }
}

/// What a text contains, as far as the patterns' [`Needs`] go: gathered in one byte scan.
struct Clues {
    /// Bit `b` is set when ASCII byte `b` occurs.
    bytes: u128,
    /// Longest run of ASCII hex digits.
    hex_run: usize,
    /// Longest run of ASCII digits.
    digit_run: usize,
}

impl Clues {
    fn of(text: &str) -> Self {
        let mut clues = Clues {
            bytes: 0,
            hex_run: 0,
            digit_run: 0,
        };
        let (mut hex_run, mut digit_run) = (0, 0);
        for b in text.bytes() {
            if b.is_ascii() {
                clues.bytes |= 1 << b;
            }
            hex_run = if b.is_ascii_hexdigit() {
                hex_run + 1
            } else {
                0
            };
            digit_run = if b.is_ascii_digit() { digit_run + 1 } else { 0 };
            clues.hex_run = clues.hex_run.max(hex_run);
            clues.digit_run = clues.digit_run.max(digit_run);
        }
        clues
    }

    fn has_any(&self, bytes: &[u8]) -> bool {
        bytes
            .iter()
            .any(|&b| b.is_ascii() && self.bytes & (1 << b) != 0)
    }

    /// False when no pattern can match. Every pattern needs an ASCII digit, one of `@ . : =`
    /// (e-mails, host names and URLs, IPv6, `key=value`), or eight hex letters in a row
    /// (hashes, UUIDs and hex words without digits): this rules most plain messages out.
    fn may_hold_values(&self) -> bool {
        self.digit_run > 0 || self.hex_run >= 8 || self.has_any(b"@.:=")
    }

    /// False when a pattern with these needs cannot match anywhere in the text.
    fn allow(&self, needs: Needs) -> bool {
        match needs {
            Needs::Nothing => true,
            Needs::AnyOf(bytes) => self.has_any(bytes),
            Needs::HexRun(len) => self.hex_run >= len,
            Needs::AnyOfOrDigitRun(bytes, len) => self.has_any(bytes) || self.digit_run >= len,
        }
    }
}

/// Replaces event-specific values in `text` with `<kind>` placeholders (no line trimming).
pub(crate) fn parameterize(text: &str) -> Cow<'_, str> {
    let clues = Clues::of(text);
    let any = ANY.as_ref();
    if !clues.may_hold_values() || any.is_some_and(|any| !any.is_match(text)) {
        return Cow::Borrowed(text);
    }
    // The patterns that can match somewhere in this text, in priority order.
    let patterns: Vec<&Pattern> = PATTERNS.iter().filter(|p| clues.allow(p.needs)).collect();
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    let mut pos = 0;
    while pos < text.len() {
        // Copy the stretch that no pattern can match.
        let candidate = match any {
            Some(any) => any.find_at(text, pos).map_or(text.len(), |m| m.start()),
            None => pos,
        };
        if candidate > pos {
            let skipped = text.get(pos..candidate).unwrap_or("");
            out.push_str(skipped);
            prev = skipped.chars().next_back().or(prev);
            pos = candidate;
        }
        let rest = text.get(pos..).unwrap_or("");
        let Some(ch) = rest.chars().next() else { break };
        let hit = patterns.iter().find_map(|p| {
            if !(p.first)(ch) || !left_ok(p.left, prev) {
                return None;
            }
            let m = p.re.find(rest)?;
            let matched = m.as_str();
            let after = rest.get(m.end()..).unwrap_or("");
            (m.end() > 0 && (p.check)(matched) && right_ok(p.right, matched, after))
                .then_some((p.name, m.end()))
        });
        match hit {
            Some((name, len)) => {
                out.push('<');
                out.push_str(name);
                out.push('>');
                prev = text.get(..pos + len).and_then(|s| s.chars().next_back());
                pos += len;
            }
            None => {
                out.push(ch);
                prev = Some(ch);
                pos += ch.len_utf8();
            }
        }
    }
    Cow::Owned(out)
}

/// Message normalization for grouping (§4.8): the first two non-blank lines (with `...`
/// appended when anything was cut), then [`parameterize`].
pub(crate) fn normalize_message(message: &str) -> String {
    normalize_message_cow(message).into_owned()
}

/// [`normalize_message`], borrowing `message` when nothing changes.
pub(crate) fn normalize_message_cow(message: &str) -> Cow<'_, str> {
    // One line without surrounding whitespace is kept whole.
    if !message.contains(['\n', '\r']) && message.trim().len() == message.len() {
        return parameterize(message);
    }
    let kept: Vec<&str> = message
        .split(['\n', '\r'])
        .filter(|line| !line.trim().is_empty())
        .take(2)
        .collect();
    let mut trimmed = kept.join("\n").trim().to_owned();
    if trimmed != message {
        trimmed.push_str("...");
    }
    let replaced = match parameterize(&trimmed) {
        Cow::Owned(replaced) => Some(replaced),
        Cow::Borrowed(_) => None,
    };
    Cow::Owned(replaced.unwrap_or(trimmed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        parameterize(s).into_owned()
    }

    #[test]
    fn numbers() {
        assert_eq!(p("Processed 12 items"), "Processed <int> items");
        assert_eq!(
            p("took -3 and 4.25 and 1e3"),
            "took <int> and <float> and 1e3"
        );
        assert_eq!(p("version 1.2.3 is old"), "version <float>.<int> is old");
        assert_eq!(p("HTTP/1.1-8080 x-5"), "HTTP/<float>-<int> x-<int>");
        assert_eq!(p("user_42 x42 42x"), "user_42 x42 42x");
        assert_eq!(p("order 123456789"), "order <hex>");
        assert_eq!(p("end 1.5."), "end <float>.");
    }

    #[test]
    fn identifiers() {
        assert_eq!(
            p("id 3f2a9c1e-7d41-4c55-9a0b-12ab34cd56ef gone"),
            "id <uuid> gone"
        );
        assert_eq!(p("md5 d41d8cd98f00b204e9800998ecf8427e"), "md5 <md5>");
        assert_eq!(
            p("sha da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            "sha <sha1>"
        );
        assert_eq!(p("at 0x7ffd5fbff8a0 and DEADBEEF1"), "at <hex> and <hex>");
        assert_eq!(p("commit a1b2c3d"), "commit <git_sha>");
        assert_eq!(p("word feedface cafe stays"), "word <hex> cafe stays");
        assert_eq!(p("years 2024 and a1b2"), "years <int> and <hex>");
        assert_eq!(
            p("tp 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
            "tp <traceparent>"
        );
    }

    #[test]
    fn network() {
        assert_eq!(p("mail bob.smith+x@example.co.uk now"), "mail <email> now");
        assert_eq!(
            p("GET https://api.example.com/v1/users/7?x=1 failed"),
            "GET <url> failed"
        );
        assert_eq!(
            p("connect to db.internal.example.com refused"),
            "connect to <hostname> refused"
        );
        assert_eq!(p("from 10.0.0.12:5432"), "from <ip>:<int>");
        assert_eq!(p("v6 fe80::1ff:fe23:4567:890a and ::1"), "v6 <ip> and <ip>");
        assert_eq!(p("call Foo::bar and std::io"), "call Foo::bar and std::io");
        assert_eq!(p("file app.py line"), "file app.py line");
        assert_eq!(p("bob@localhost"), "<email>");
        assert_eq!(
            p("swift tx1234567890abcdef12345-0123456789-cluster"),
            "swift <swift_txn_id>"
        );
        assert_eq!(p("at 13:45 not 25:61"), "at <date> not <int>:<int>");
        assert_eq!(p("1/2/2024"), "<int>/<int>/<int>");
    }

    #[test]
    fn dates_and_durations() {
        assert_eq!(p("at 2024-01-02T03:04:05.123Z ok"), "at <date> ok");
        assert_eq!(p("at 2024-01-02 03:04:05+02:00"), "at <date>");
        assert_eq!(p("on 2024-01-02"), "on <date>");
        assert_eq!(p("Tue, 3 Jun 2008 11:05:30 GMT"), "<date>");
        assert_eq!(
            p("Mon Jan 15 2024 10:00:00 GMT+0100 (Central European Standard Time)"),
            "<date>"
        );
        assert_eq!(p("at 10:30:00 and 3:15 PM"), "at <date> and <date>");
        assert_eq!(p("datetime.datetime(2024, 1, 2, 3, 4)"), "<date>");
        assert_eq!(
            p("took 250ms, then 1.5s"),
            "took <duration>, then <duration>"
        );
    }

    #[test]
    fn key_values() {
        assert_eq!(
            p(r#"name="bob" ok=true n='x'"#),
            "name=<quoted_str> ok=<bool> n=<quoted_str>"
        );
        assert_eq!(p("flag true"), "flag true");
    }

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(PATTERNS.len(), definitions().len());
        assert!(ANY.is_some());
    }

    #[test]
    fn two_lines() {
        assert_eq!(
            normalize_message("a 1\n\n  \nb 2\nc 3"),
            "a <int>\nb <int>..."
        );
        assert_eq!(normalize_message("one line"), "one line");
        assert_eq!(normalize_message("trailing\n"), "trailing...");
        assert_eq!(normalize_message(""), "");
    }

    #[test]
    fn plain_text_is_borrowed() {
        for s in [
            "division by zero",
            "Cannot read properties of undefined (reading 'map')",
        ] {
            assert!(matches!(parameterize(s), Cow::Borrowed(_)), "{s}");
            assert!(matches!(normalize_message_cow(s), Cow::Borrowed(_)), "{s}");
        }
        assert!(!Clues::of("façade deface").may_hold_values());
        assert!(Clues::of("deadbeef").may_hold_values());
        assert_eq!(p("word feedfacecafe x"), "word <hex> x");
    }

    /// Every match of every pattern, anywhere in these samples, holds what the pattern's
    /// `Needs` say it must (so skipping patterns whose needs a text lacks changes nothing).
    #[test]
    fn needs_hold_for_every_match() {
        let samples = [
            "at 20240102 0304 and 20240102T030405.5+0100, 2024-01-02T03:04:05Z",
            "Tue, 3 Jun 2008 11:05:30 GMT; Sunday, 06-Nov-94 08:49:37 GMT",
            "Mon Jan 02, 1999 and Jan 15 10:00:00 2024 and 3 Jun 2008 11:05 GMT",
            "Mon Jan 15 2024 10:00:00 GMT+0100 (CET) datetime.datetime(2024, 1, 2)",
            "10:30:00 3:15 PM 25:61 1.5s 250ms 9s 0x1F DEADBEEF1 a1b2c3d feedface",
            "bob.smith+x@example.co.uk https://api.example.com/v1?x=1 db.internal.example.com",
            "10.0.0.12:5432 fe80::1ff:fe23:4567:890a ::1 fe80::1%eth0 Foo::bar",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 1-0af76519-16cd43dd8448eb211c80319c",
            "3f2a9c1e-7d41-4c55-9a0b-12ab34cd56ef da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "d41d8cd98f00b204e9800998ecf8427e tx1234567890abcdef12345-0123456789-cluster",
            r#"-3 -4.25 1.2.3 name="bob" ok=true n='x' abcdef ABCDEF abcdefab 1234567"#,
        ];
        for sample in samples {
            for (pos, _) in sample.char_indices() {
                let rest = sample.get(pos..).unwrap_or("");
                for p in PATTERNS.iter() {
                    if let Some(m) = p.re.find(rest).filter(|m| m.end() > 0) {
                        assert!(
                            Clues::of(m.as_str()).allow(p.needs),
                            "{}: {:?} in {sample:?}",
                            p.name,
                            m.as_str()
                        );
                    }
                }
            }
        }
        // The separator-free ISO date needs its run of eight digits.
        assert_eq!(p("at 20240102 0304 ok"), "at <date> ok");
    }

    #[test]
    fn unicode_is_safe() {
        assert_eq!(p("ünïcödé 12 — ok ✓"), "ünïcödé <int> — ok ✓");
        assert_eq!(p("9µs 5é"), "9µs 5é");
    }
}
