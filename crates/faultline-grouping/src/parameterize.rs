//! Message normalization for grouping (§4.8): keep the first two non-blank lines, then replace
//! event-specific values (ids, numbers, addresses, dates, …) with `<kind>` placeholders.
//!
//! The patterns are tried at each position from left to right; at a position the first pattern
//! in priority order that matches wins (the semantics of one big alternation). Boundary
//! conditions that would need look-around are checked by hand on the neighbouring characters.

use std::sync::LazyLock;

use regex::Regex;

/// Condition on the character just before a match.
#[derive(Clone, Copy)]
enum Left {
    /// Not a word character (`[A-Za-z0-9_]` or any alphanumeric).
    NotWord,
    /// Neither a word character nor `.` (numbers: don't start inside `1.2.3`).
    NotWordOrDot,
    /// Neither a word character nor `:`/`.` (IPv6).
    NotWordColonDot,
    /// Not a character of an e-mail local part.
    NotEmailLocal,
    /// Exactly `=` (values of `key=value` pairs).
    Equals,
}

/// Condition on the text just after a match.
#[derive(Clone, Copy)]
enum Right {
    /// Nothing (the regex itself ends at a boundary where needed).
    Any,
    /// Not a word character, and not `.` followed by a digit (numbers, IPv4).
    NumberEnd,
    /// Not a word character, `:` or `.` (IPv6).
    NotWordColonDot,
}

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
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_email_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || ".!#$%&'*+?^_`~-".contains(c)
}

fn always(_: &str) -> bool {
    true
}

const MONTHS: &str = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec";
const DAYS: &str = "Mon|Tue|Wed|Thu|Fri|Sat|Sun";
const LONG_DAYS: &str = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday";

/// Top-level domains recognised in host names. Deliberately leaves out TLDs that are common
/// file extensions or words (`py`, `rs`, `sh`, `md`, `pl`, `so`, `cc`, `in`, `zip`, `app`, …).
const TLDS: &str = "com|net|org|edu|gov|mil|int|io|dev|info|biz|xyz|online|site|tech|cloud|\
    local|localdomain|internal|lan|corp|arpa|co|us|uk|eu|de|fr|nl|ch|se|es|dk|fi|pl|cz|sk|hu|ro|\
    gr|pt|ie|ua|ru|by|kz|tr|il|ae|sa|jp|cn|kr|tw|hk|sg|my|th|vn|id|ph|au|nz|ca|mx|br|ar|cl|pe|\
    za|ng|ke|eg|tv|fm|gg|ly";

/// (name, regex, first-character filter, left rule, right rule, extra check on the match).
type PatternDef = (
    &'static str,
    String,
    fn(char) -> bool,
    Left,
    Right,
    fn(&str) -> bool,
);

fn compile(pattern: &str) -> Option<Regex> {
    Regex::new(&format!("^(?:{pattern})")).ok()
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let digit = |c: char| c.is_ascii_digit();
    let hexdigit = |c: char| c.is_ascii_hexdigit();
    let date_start = |c: char| c.is_ascii_digit() || "MTWFSJAONDd".contains(c);
    let label = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    let h16 = "[0-9A-Fa-f]{1,4}";
    let defs: Vec<PatternDef> = vec![
        (
            "email",
            format!(r"[A-Za-z0-9.!#$%&'*+?^_`~-]+@{label}(?:\.{label})+"),
            is_email_local,
            Left::NotEmailLocal,
            Right::Any,
            always,
        ),
        ("url", r"(?:wss?|https?|ftp)://[^\s/$.?#][^\s]*".into(), |c| "whf".contains(c), Left::NotWord, Right::Any, always),
        (
            "hostname",
            format!(r"(?:{label}\.)+(?i:{TLDS})\b"),
            |c| c.is_ascii_alphanumeric(),
            Left::NotWordOrDot,
            Right::Any,
            |m| !m.starts_with('-'),
        ),
        (
            "ip",
            r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])".into(),
            digit,
            Left::NotWordOrDot,
            Right::NumberEnd,
            always,
        ),
        (
            "ip",
            format!(
                r"(?:{h16}:){{7}}{h16}|(?:{h16}:){{1,7}}:(?:{h16}(?::{h16}){{0,5}})?|::(?:{h16}(?::{h16}){{0,6}})?"
            ),
            |c| c.is_ascii_hexdigit() || c == ':',
            Left::NotWordColonDot,
            Right::NotWordColonDot,
            |m| m.chars().any(|c| c.is_ascii_digit()),
        ),
        (
            "traceparent",
            r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}\b|1-[0-9a-f]{8}-[0-9a-f]{24}\b".into(),
            |c| c == '0' || c == '1',
            Left::NotWord,
            Right::Any,
            always,
        ),
        (
            "uuid",
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b".into(),
            hexdigit,
            Left::NotWord,
            Right::Any,
            always,
        ),
        ("sha1", r"[0-9a-fA-F]{40}\b".into(), hexdigit, Left::NotWord, Right::Any, always),
        ("md5", r"[0-9a-fA-F]{32}\b".into(), hexdigit, Left::NotWord, Right::Any, always),
        (
            "date",
            [
                r"datetime\.(?:datetime|date|time)\([^)]*\)".to_owned(),
                // RFC 822/1123: Tue, 3 Jun 2008 11:05:30 GMT
                format!(r"(?:{DAYS}),? [0-9]{{1,2}}[ -](?:{MONTHS})[ -][0-9]{{2,4}} [0-9]{{2}}:[0-9]{{2}}(?::[0-9]{{2}})?(?: (?:[A-Z]{{1,5}}|[+-][0-9]{{4}})\b)?"),
                // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
                format!(r"(?:{LONG_DAYS}), [0-9]{{2}}-(?:{MONTHS})-[0-9]{{2}} [0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(?: [A-Z]{{1,5}}\b)?"),
                // JS Date.toString / asctime
                format!(r"(?:{DAYS}) (?:{MONTHS}) [ 0-9]?[0-9] (?:[0-9]{{4}} [0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(?: GMT[+-][0-9]{{4}}(?: \([^)]*\))?)?|[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}} [0-9]{{4}})"),
                // ISO 8601 / RFC 3339 date-times
                r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:Z\b|z\b| ?[+-][0-9]{2}(?::?[0-9]{2})?\b| ?UTC\b)?".to_owned(),
                // plain dates
                r"[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}\b".to_owned(),
                r"[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{4}\b".to_owned(),
                format!(r"[0-9]{{1,2}} (?:{MONTHS})[a-z]* [0-9]{{4}}\b"),
                format!(r"(?:{MONTHS})[a-z]* [0-9]{{1,2}},? [0-9]{{4}}\b"),
                // clock times, 24 h or 12 h
                r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?(?: ?[AaPp][Mm]\b)?\b".to_owned(),
            ]
            .join("|"),
            date_start,
            Left::NotWord,
            Right::NumberEnd,
            always,
        ),
        (
            "duration",
            r"[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|min|s|m|h)\b".into(),
            digit,
            Left::NotWordOrDot,
            Right::Any,
            always,
        ),
        (
            "hex",
            r"0[xX][0-9a-fA-F]+\b|[0-9a-fA-F]{8,128}\b".into(),
            hexdigit,
            Left::NotWord,
            Right::Any,
            |m| {
                if m.starts_with("0x") || m.starts_with("0X") {
                    return true;
                }
                let has_digit = m.chars().any(|c| c.is_ascii_digit());
                let lower = m.chars().any(|c| c.is_ascii_lowercase());
                let upper = m.chars().any(|c| c.is_ascii_uppercase());
                has_digit && !(lower && upper)
            },
        ),
        (
            "git_sha",
            r"[0-9a-f]{7}\b".into(),
            hexdigit,
            Left::NotWord,
            Right::Any,
            |m| m.chars().any(|c| c.is_ascii_digit()) && m.chars().any(|c| c.is_ascii_alphabetic()),
        ),
        (
            "float",
            r"-?[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?".into(),
            |c| c.is_ascii_digit() || c == '-',
            Left::NotWordOrDot,
            Right::NumberEnd,
            always,
        ),
        (
            "int",
            r"-?[0-9]{1,7}".into(),
            |c| c.is_ascii_digit() || c == '-',
            Left::NotWordOrDot,
            Right::NumberEnd,
            always,
        ),
        ("quoted_str", r#""[^"]*"|'[^']*'"#.into(), |c| c == '"' || c == '\'', Left::Equals, Right::Any, always),
        ("bool", r"(?:[Tt]rue|[Ff]alse|TRUE|FALSE)\b".into(), |c| "tfTF".contains(c), Left::Equals, Right::Any, always),
    ];
    defs.into_iter()
        .filter_map(|(name, pattern, first, left, right, check)| {
            // ASCII word boundaries keep the regexes on the fast DFA engines; Unicode
            // neighbours are handled by the hand-written left/right rules.
            let pattern = pattern.replace(r"\b", r"(?-u:\b)");
            compile(&pattern).map(|re| Pattern {
                name,
                raw: pattern,
                re,
                first,
                left,
                right,
                check,
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
        (Left::Equals, p) => p == Some('='),
        (_, None) => true,
        (Left::NotWord, Some(p)) => !is_word(p),
        (Left::NotWordOrDot, Some(p)) => !is_word(p) && p != '.',
        (Left::NotWordColonDot, Some(p)) => !is_word(p) && p != ':' && p != '.',
        (Left::NotEmailLocal, Some(p)) => !is_email_local(p),
    }
}

fn right_ok(rule: Right, rest: &str) -> bool {
    let mut chars = rest.chars();
    let next = chars.next();
    match rule {
        Right::Any => true,
        Right::NumberEnd => match next {
            None => true,
            Some('.') => !chars.next().is_some_and(|c| c.is_ascii_digit()),
            Some(c) => !is_word(c),
        },
        Right::NotWordColonDot => next.is_none_or(|c| !is_word(c) && c != ':' && c != '.'),
    }
}

/// Replaces event-specific values in `text` with `<kind>` placeholders (no line trimming).
pub(crate) fn parameterize(text: &str) -> String {
    let patterns = &*PATTERNS;
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    let mut pos = 0;
    while pos < text.len() {
        // Copy the stretch that no pattern can match.
        let candidate = match ANY.as_ref() {
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
            (m.end() > 0 && (p.check)(matched) && right_ok(p.right, after))
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
    out
}

/// Message normalization for grouping (§4.8): the first two non-blank lines (with `...`
/// appended when anything was cut), then [`parameterize`].
pub(crate) fn normalize_message(message: &str) -> String {
    let kept: Vec<&str> = message
        .split(['\n', '\r'])
        .filter(|line| !line.trim().is_empty())
        .take(2)
        .collect();
    let mut trimmed = kept.join("\n").trim().to_owned();
    if trimmed != message {
        trimmed.push_str("...");
    }
    parameterize(&trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        parameterize(s)
    }

    #[test]
    fn numbers() {
        assert_eq!(p("Processed 12 items"), "Processed <int> items");
        assert_eq!(
            p("took -3 and 4.25 and 1e3"),
            "took <int> and <float> and 1e3"
        );
        assert_eq!(p("version 1.2.3 is old"), "version 1.2.3 is old");
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
        assert_eq!(p("word feedface stays"), "word feedface stays");
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
    fn unicode_is_safe() {
        assert_eq!(p("ünïcödé 12 — ok ✓"), "ünïcödé <int> — ok ✓");
        assert_eq!(p("9µs"), "<duration>");
    }
}
