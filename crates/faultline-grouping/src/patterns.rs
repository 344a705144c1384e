//! The parameterization patterns (§4.8) in priority order, with the boundary rules that stand
//! in for look-around (the `regex` crate has none).

/// Condition on the character just before a match.
#[derive(Clone, Copy)]
pub(crate) enum Left {
    /// Anything.
    Any,
    /// Not a word character (a word boundary before a word character).
    NotWord,
    /// Not an ASCII letter, digit or `_` (IPv6: keeps `Class::method` intact).
    NotAsciiWord,
    /// Not a digit (clock times: the hour has at most two digits).
    NotDigit,
    /// Exactly `=` (values of `key=value` pairs).
    Equals,
}

/// Condition on the text just after a match (the regexes end with `\b` where that suffices).
#[derive(Clone, Copy)]
pub(crate) enum Right {
    /// Nothing beyond what the regex checks.
    Any,
    /// Not an ASCII letter or digit (IPv6).
    NotAsciiAlnum,
    /// When the match ends in a digit, not followed by a digit or `:` (clock times).
    ClockEnd,
}

/// What a text must contain somewhere for a pattern to match in it: checked once per message,
/// so that a pattern that cannot match is not run at every candidate position.
#[derive(Clone, Copy)]
pub(crate) enum Needs {
    /// Nothing beyond the first-character and boundary rules.
    Nothing,
    /// One of these (ASCII) bytes: every match contains one.
    AnyOf(&'static [u8]),
    /// A run of at least this many ASCII hex digits.
    HexRun(usize),
    /// One of these bytes, or a run of at least this many ASCII digits.
    AnyOfOrDigitRun(&'static [u8], usize),
}

fn always(_: &str) -> bool {
    true
}

fn digit(c: char) -> bool {
    c.is_ascii_digit()
}

fn hexdigit(c: char) -> bool {
    c.is_ascii_hexdigit()
}

fn digit_or_dash(c: char) -> bool {
    c.is_ascii_digit() || c == '-'
}

fn hex_or_dash(c: char) -> bool {
    c.is_ascii_hexdigit() || c == '-'
}

/// Exactly one case of hex letters, and when shorter than 8 characters at least one digit and
/// one letter (so `2024`, `cafe` and `deadbeef`-like words of 4–7 letters stay).
fn plausible_hex(m: &str) -> bool {
    let body = m.strip_prefix('-').unwrap_or(m);
    let lower = body.chars().any(|c| c.is_ascii_lowercase());
    let upper = body.chars().any(|c| c.is_ascii_uppercase());
    if lower && upper {
        return false;
    }
    let digits = body.chars().any(|c| c.is_ascii_digit());
    body.len() >= 8 || (digits && (lower || upper))
}

fn git_sha(m: &str) -> bool {
    m.chars().any(|c| c.is_ascii_digit()) && m.chars().any(|c| c.is_ascii_lowercase())
}

const MONTHS: &str = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec";
const DAYS: &str = "Sun|Mon|Tue|Wed|Thu|Fri|Sat";
const ZONE: &str = "[-+][0-9]{2}[0-5][0-9]|UT|GMT|[ECMP][SD]T|[A-IK-Z]";

/// The most used top-level domains (host names are only recognised with one of these).
const TLDS: &[&str] = &[
    "com", "net", "org", "de", "uk", "jp", "fr", "br", "it", "ru", "es", "me", "gov", "pl", "ca",
    "au", "cn", "co", "in", "nl", "edu", "info", "eu", "ch", "id", "at", "kr", "cz", "mx", "be",
    "tv", "se", "tr", "tw", "al", "ua", "ir", "vn", "cl", "sk", "ly", "cc", "to", "no", "fi", "us",
    "pt", "dk", "ar", "hu", "tk", "gr", "il", "news", "ro", "my", "biz", "ie", "za", "nz", "sg",
    "ee", "th", "io", "xyz", "pe", "bg", "hk", "rs", "lt", "link", "ph", "club", "si", "site",
    "mobi", "by", "cat", "wiki", "la", "ga", "xxx", "cf", "hr", "ng", "jobs", "online", "kz", "ug",
    "gq", "ae", "is", "lv", "pro", "fm", "tips", "ms", "sa", "app",
];

/// (name, regex, first-character filter, left rule, right rule, extra check on the match, what
/// the text must contain).
pub(crate) type PatternDef = (
    &'static str,
    String,
    fn(char) -> bool,
    Left,
    Right,
    fn(&str) -> bool,
    Needs,
);

pub(crate) fn definitions() -> Vec<PatternDef> {
    let octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
    let h = "[0-9A-Fa-f]{1,4}";
    let tlds_lower = TLDS.join("|");
    let tlds_upper = tlds_lower.to_uppercase();
    let ymd_hm =
        r"[0-9]{4}-?[01][0-9]-?[0-3][0-9][\sT][0-2][0-9]:?[0-5][0-9](?::?[0-5][0-9](?:\.[0-9]+)?)?";
    let day_start = |c: char| c.is_ascii_digit() || "SMTWFJAONDd".contains(c);
    vec![
        (
            "email",
            r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*".into(),
            |c| c.is_ascii_graphic(),
            Left::Any,
            Right::Any,
            always,
            Needs::AnyOf(b"@"),
        ),
        ("url", r"(?:wss?|https?|ftp)://[^\s/$.?#].[^\s]*".into(), |c| "whf".contains(c), Left::NotWord, Right::Any, always, Needs::AnyOf(b":")),
        (
            "hostname",
            format!(r"(?:[A-Za-z0-9-]{{1,63}}\.)+?(?:{tlds_upper}|{tlds_lower})\b"),
            |c| c.is_ascii_alphanumeric(),
            Left::NotWord,
            Right::Any,
            always,
            Needs::AnyOf(b"."),
        ),
        (
            "ip",
            format!(
                r"(?:{h}:){{7}}{h}|(?:{h}:){{1,7}}:(?:{h}(?::{h}){{0,5}})?|:(?::{h}){{1,7}}|::|fe80:(?::[0-9A-Fa-f]{{0,4}}){{0,4}}%[0-9A-Za-z]+"
            ),
            |c| c.is_ascii_hexdigit() || c == ':',
            Left::NotAsciiWord,
            Right::NotAsciiAlnum,
            always,
            Needs::AnyOf(b":"),
        ),
        ("ip", format!(r"(?:{octet}\.){{3}}{octet}\b"), digit, Left::NotWord, Right::Any, always, Needs::AnyOf(b".")),
        (
            "traceparent",
            r"00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]\b|1-[0-9a-f]{8}-[0-9a-f]{24}\b".into(),
            |c| c == '0' || c == '1',
            Left::NotWord,
            Right::Any,
            always,
            Needs::AnyOf(b"-"),
        ),
        (
            "uuid",
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b".into(),
            hexdigit,
            Left::NotWord,
            Right::Any,
            always,
            Needs::AnyOf(b"-"),
        ),
        ("sha1", r"[0-9a-fA-F]{40}\b".into(), hexdigit, Left::NotWord, Right::Any, always, Needs::HexRun(40)),
        ("md5", r"[0-9a-fA-F]{32}\b".into(), hexdigit, Left::NotWord, Right::Any, always, Needs::HexRun(32)),
        // Dates need no word boundary; clock times only refuse a digit before the hour.
        (
            "date",
            [
                // RFC 822/1123: Tue, 3 Jun 2008 11:05:30 GMT
                format!(r"(?:{DAYS}),\s[0-9]{{1,2}}\s(?:{MONTHS})\s[0-9]{{2,4}}\s[0-9]{{1,2}}:[0-9]{{1,2}}(?::[0-9]{{1,2}})?\s(?:{ZONE})"),
                // Mon Jan 02, 1999 / Jan 02, 1999
                format!(r"(?:(?:{DAYS})\s)?(?:{MONTHS})\s[0-3][0-9],\s[0-9]{{2,4}}"),
                // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
                format!(r"(?:{DAYS}|Sunday|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday),\s[0-9]{{2}}-(?:{MONTHS})-[0-9]{{2}}\s[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}\s(?:UT|GMT|[ECMP][SD]T|[A-IK-Z])"),
                // RFC 3339
                r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?Z?(?:[+-]?[0-9]{2}:[0-9]{2})?".to_owned(),
                // JavaScript Date.toString()
                format!(r"(?:{DAYS})\s(?:{MONTHS})\s[0-9]{{2}}\s[0-9]{{4}}\s[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}\sGMT[+-][0-9]{{4}}(?:\s\([^)]+\))?"),
                // ISO-ish date-times with an offset or Z, then without
                format!(r"{ymd_hm}(?:[+-][0-2][0-9]:?[0-5][0-9]|Z)"),
                ymd_hm.to_owned(),
            ]
            .join("|"),
            day_start,
            Left::Any,
            Right::Any,
            always,
            Needs::AnyOfOrDigitRun(b",-:", 8),
        ),
        (
            "date",
            r"(?:1[0-2]|[1-9]):[0-5][0-9](?::[0-5][0-9])?(?:\s?[aApP][mM])?".into(),
            digit,
            Left::NotDigit,
            Right::ClockEnd,
            // The 12-hour form only wins when it is followed by AM/PM or is a valid 1–12 hour;
            // the 24-hour form below covers the rest.
            always,
            Needs::AnyOf(b":"),
        ),
        ("date", r"(?:2[0-3]|1[0-9]|0?[0-9]):[0-5][0-9](?::[0-5][0-9])?".into(), digit, Left::NotDigit, Right::ClockEnd, always, Needs::AnyOf(b":")),
        (
            "date",
            [
                r"[0-9]{4}-[01][0-9]-[0-3][0-9]".to_owned(),
                r"[0-2][0-9]:[0-5][0-9]:[0-5][0-9]".to_owned(),
                format!(r"\b(?:(?:{DAYS})\s+)?(?:{MONTHS})\s+[0-9]{{1,2}}\s+[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}\s+[0-9]{{4}}"),
                format!(r"\b(?:(?:{DAYS}),\s+)?(?:0[1-9]|[1-2]?[0-9]|3[01])\s+(?:{MONTHS})\s+(?:19[0-9]{{2}}|[2-9][0-9]{{3}})\s+(?:2[0-3]|[0-1][0-9]):[0-5][0-9](?::(?:60|[0-5][0-9]))?\s+(?:{ZONE})"),
                r"datetime\.datetime\(.*?\)".to_owned(),
            ]
            .join("|"),
            day_start,
            Left::Any,
            Right::Any,
            always,
            Needs::AnyOf(b"-:."),
        ),
        ("duration", r"[0-9]+ms".into(), digit, Left::NotWord, Right::Any, always, Needs::AnyOf(b"m")),
        ("duration", r"[0-9]+(?:\.[0-9]+)?s\b".into(), digit, Left::Any, Right::Any, always, Needs::AnyOf(b"s")),
        ("swift_txn_id", r"tx[0-9a-f]{21}-[0-9a-f]{10}\S*".into(), |c| c == 't', Left::NotWord, Right::Any, always, Needs::AnyOf(b"-")),
        ("hex", r"0[xX][0-9a-fA-F]+\b".into(), |c| c == '0', Left::NotWord, Right::Any, always, Needs::AnyOf(b"xX")),
        (
            "hex",
            r"-?(?:[0-9a-f]{4,6}|[0-9A-F]{4,6}|[0-9a-f]{8,128}|[0-9A-F]{8,128})\b".into(),
            hex_or_dash,
            Left::NotWord,
            Right::Any,
            plausible_hex,
            Needs::HexRun(4),
        ),
        ("git_sha", r"[0-9a-f]{7}\b".into(), hexdigit, Left::NotWord, Right::Any, git_sha, Needs::HexRun(7)),
        ("float", r"-[0-9]+\.[0-9]+\b".into(), |c| c == '-', Left::Any, Right::Any, always, Needs::AnyOf(b".")),
        ("float", r"[0-9]+\.[0-9]+\b".into(), digit, Left::NotWord, Right::Any, always, Needs::AnyOf(b".")),
        ("int", r"-?[0-9]{1,7}\b".into(), digit_or_dash, Left::NotWord, Right::Any, always, Needs::Nothing),
        ("quoted_str", r#"'[^']+'|"[^"]+""#.into(), |c| c == '"' || c == '\'', Left::Equals, Right::Any, always, Needs::AnyOf(b"\"'")),
        ("bool", r"True|true|False|false".into(), |c| "tfTF".contains(c), Left::Equals, Right::Any, always, Needs::Nothing),
    ]
}
