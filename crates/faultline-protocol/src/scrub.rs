//! Server-side data scrubbing: secrets and card numbers are replaced by `[Filtered]` before
//! anything else reads an event.
//!
//! Where: frame `vars`, `extra`, `contexts`, `request` (headers, cookies, `data`,
//! `query_string`, `url`, `env`), breadcrumb `data` and `message`, and `user.data`. Tags,
//! exception values and messages are not scrubbed.
//!
//! What:
//! * the value of any key whose lower-cased name (with `-` and spaces read as `_`) contains
//!   one of [`SENSITIVE_KEYS`] or a configured extra key, at any depth, and the value of any
//!   `[name, value]` pair whose name does;
//! * `name=value` inside strings (query strings, URLs, cookie headers, form bodies, log lines)
//!   when `name` is sensitive: only the value is replaced (`?password=[Filtered]&page=2`);
//! * card numbers: 13–19 digits, optionally grouped by spaces or dashes, starting with 2–6
//!   (the issuer ranges in use) and passing the Luhn check. Only the number is replaced, the
//!   rest of the string is kept (`'[Filtered]'` for a Python repr of a card number). Object
//!   keys in scrubbed databags are checked too.
//!
//! Empty and `null` values are left as they are. Nesting deeper than [`MAX_DEPTH`] is
//! replaced by `[Filtered]` rather than walked.
//!
//! Scrubbing runs on the event as sent, so it accepts every lenient shape, and it is built to
//! give the same result as scrubbing the normalized event (a cookie string is split the way
//! normalization splits it, for instance): normalizing a normalized event changes nothing,
//! which the `event` fuzz target checks.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value};

/// The replacement for scrubbed values.
pub const FILTERED: &str = "[Filtered]";

/// Substrings of key names whose values are always scrubbed.
pub const SENSITIVE_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "auth",
    "credentials",
    "cookie",
    "session",
    "csrf",
    "xsrf",
    "private_key",
    "credit_card",
    "creditcard",
    "card_number",
    "cardnumber",
];

/// Deepest nesting walked; anything below is filtered whole.
pub const MAX_DEPTH: usize = 64;

/// What to scrub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrubConfig {
    /// Scrub at all (default `true`).
    pub enabled: bool,
    /// More key substrings to treat as sensitive, e.g. `["iban", "ssn"]` (case-insensitive).
    pub extra_keys: Vec<String>,
}

impl Default for ScrubConfig {
    fn default() -> Self {
        ScrubConfig {
            enabled: true,
            extra_keys: Vec::new(),
        }
    }
}

impl ScrubConfig {
    /// Whether values under this key name are scrubbed.
    pub fn is_sensitive_key(&self, key: &str) -> bool {
        SensitiveKeys::new(self).matches(key)
    }
}

/// The key names to scrub, ready for matching: [`SENSITIVE_KEYS`] and the configured extra
/// keys, normalized once per event rather than once per key.
struct SensitiveKeys {
    extra: Vec<String>,
}

impl SensitiveKeys {
    fn new(config: &ScrubConfig) -> Self {
        let extra = config
            .extra_keys
            .iter()
            .map(|k| normalize_key(k))
            .filter(|k| !k.is_empty())
            .collect();
        SensitiveKeys { extra }
    }

    /// Whether the key, lower-cased with `-` and spaces read as `_`, contains a sensitive
    /// name. The built-in names are matched without copying the key, and without trimming it:
    /// none of them starts or ends with `_` or whitespace, so surrounding whitespace can never
    /// be part of a match.
    fn matches(&self, key: &str) -> bool {
        contains_builtin(key.as_bytes()) || {
            !self.extra.is_empty() && {
                let key = normalize_key(key);
                self.extra.iter().any(|k| key.contains(k.as_str()))
            }
        }
    }
}

fn normalize_key(key: &str) -> String {
    key.trim().chars().map(fold_char).collect()
}

fn fold_char(c: char) -> char {
    match c {
        '-' | ' ' => '_',
        c => c.to_ascii_lowercase(),
    }
}

/// [`fold_char`] on one byte of UTF-8: only ASCII is changed, so folding a string byte by byte
/// gives the bytes of folding it char by char.
fn fold_byte(b: u8) -> u8 {
    match b {
        b'-' | b' ' => b'_',
        b => b.to_ascii_lowercase(),
    }
}

/// Whether any of [`SENSITIVE_KEYS`] (all already folded) occurs in the folded `key`. Names are
/// only compared where two bytes of the key fold to the first two bytes of one of them (one
/// table lookup per byte of the key), and then only the names with that first byte.
fn contains_builtin(key: &[u8]) -> bool {
    let index = NameIndex::get();
    for (start, pair) in key.windows(2).enumerate() {
        let &[a, b] = pair else { continue };
        if !index.starts_a_name(a, b) {
            continue;
        }
        let rest = key.get(start..).unwrap_or_default();
        let names = index
            .by_first
            .get(usize::from(fold_byte(a)))
            .map_or(&[][..], Vec::as_slice);
        if names.iter().any(|name| starts_with_folded(rest, name)) {
            return true;
        }
    }
    false
}

/// [`SENSITIVE_KEYS`] (all ASCII, at least two bytes long) grouped by their first byte.
struct NameIndex {
    /// Bit `a * 256 + b` is set when the bytes `a b`, folded, are how a name starts.
    bigrams: [u64; 1024],
    /// For each ASCII byte, the names starting with it.
    by_first: [Vec<&'static [u8]>; 128],
}

impl NameIndex {
    fn get() -> &'static NameIndex {
        static INDEX: OnceLock<NameIndex> = OnceLock::new();
        INDEX.get_or_init(|| {
            let mut index = NameIndex {
                bigrams: [0; 1024],
                by_first: std::array::from_fn(|_| Vec::new()),
            };
            for name in SENSITIVE_KEYS {
                let name = name.as_bytes();
                if let [first, ..] = name {
                    if let Some(names) = index.by_first.get_mut(usize::from(*first)) {
                        names.push(name);
                    }
                }
            }
            for a in 0..=u8::MAX {
                for b in 0..=u8::MAX {
                    let folded = [fold_byte(a), fold_byte(b)];
                    if SENSITIVE_KEYS
                        .iter()
                        .any(|n| n.as_bytes().starts_with(&folded))
                    {
                        let bit = usize::from(a) << 8 | usize::from(b);
                        if let Some(word) = index.bigrams.get_mut(bit >> 6) {
                            *word |= 1 << (bit & 63);
                        }
                    }
                }
            }
            index
        })
    }

    /// Whether a name starts with the bytes `a b` once folded.
    fn starts_a_name(&self, a: u8, b: u8) -> bool {
        let bit = usize::from(a) << 8 | usize::from(b);
        self.bigrams
            .get(bit >> 6)
            .is_some_and(|word| (word >> (bit & 63)) & 1 != 0)
    }
}

/// Whether the folded `bytes` start with `prefix` (already folded).
fn starts_with_folded(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes.iter().zip(prefix).all(|(&b, &p)| fold_byte(b) == p)
}

/// Scrubs an event in place (any shape: canonical or as an SDK sent it).
///
/// ```
/// use faultline_protocol::scrub::{scrub_event, ScrubConfig};
/// let mut event = serde_json::json!({
///     "extra": {"db_password": "hunter2", "card": "4111 1111 1111 1111"},
///     "request": {"url": "https://shop.example/login?user=ada&token=abc"},
/// });
/// scrub_event(&mut event, &ScrubConfig::default());
/// assert_eq!(event["extra"]["db_password"], "[Filtered]");
/// assert_eq!(event["extra"]["card"], "[Filtered]");
/// assert_eq!(event["request"]["url"], "https://shop.example/login?user=ada&token=[Filtered]");
/// ```
pub fn scrub_event(event: &mut Value, config: &ScrubConfig) {
    if !config.enabled {
        return;
    }
    let Some(event) = event.as_object_mut() else {
        return;
    };
    let scrubber = Scrubber {
        keys: SensitiveKeys::new(config),
    };
    for (key, value) in event.iter_mut() {
        match key.as_str() {
            "exception"
            | "threads"
            | "stacktrace"
            | "sentry.interfaces.Exception"
            | "sentry.interfaces.Stacktrace"
            | "sentry.interfaces.Threads" => {
                scrubber.frame_vars(value, 0);
            }
            "extra" | "contexts" | "sentry.interfaces.Contexts" => scrubber.value(value, 0),
            "request" | "sentry.interfaces.Http" => scrubber.request(value),
            "breadcrumbs" | "sentry.interfaces.Breadcrumbs" => scrubber.breadcrumbs(value, 0),
            "user" | "sentry.interfaces.User" => {
                if let Some(data) = value.get_mut("data") {
                    scrubber.value(data, 1);
                }
            }
            _ => {}
        }
    }
}

struct Scrubber {
    keys: SensitiveKeys,
}

impl Scrubber {
    /// Finds every `vars` object under exceptions/threads/stack traces, whatever the shape.
    fn frame_vars(&self, value: &mut Value, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    if key == "vars" {
                        self.value(child, depth + 1);
                    } else {
                        self.frame_vars(child, depth + 1);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.frame_vars(v, depth + 1)),
            _ => {}
        }
    }

    /// Scrubs a databag: sensitive keys and pairs, embedded `name=value`, card numbers.
    fn value(&self, value: &mut Value, depth: usize) {
        if depth > MAX_DEPTH {
            *value = Value::String(FILTERED.into());
            return;
        }
        match value {
            Value::Object(map) => self.object(map, depth),
            Value::Array(items) => {
                if let [Value::String(name), item] = items.as_mut_slice() {
                    if self.keys.matches(name) {
                        if let Some(scrubbed) = scrub_card_numbers(name) {
                            *name = scrubbed;
                        }
                        filter(item);
                        return;
                    }
                }
                items.iter_mut().for_each(|v| self.value(v, depth + 1));
            }
            Value::String(s) => {
                if let Some(scrubbed) = self.text(s) {
                    *s = scrubbed;
                }
            }
            _ => {}
        }
    }

    fn object(&self, map: &mut Map<String, Value>, depth: usize) {
        // Keys are scanned for card numbers too: they become pair names after normalization.
        let renames: Vec<(String, String)> = map
            .keys()
            .filter_map(|key| scrub_card_numbers(key).map(|new| (key.clone(), new)))
            .collect();
        for (old, new) in renames {
            if let Some(value) = map.remove(&old) {
                map.insert(new, value);
            }
        }
        for (key, child) in map.iter_mut() {
            if self.keys.matches(key) {
                filter(child);
            } else {
                self.value(child, depth + 1);
            }
        }
    }

    fn request(&self, request: &mut Value) {
        let Some(request) = request.as_object_mut() else {
            return;
        };
        for (key, value) in request.iter_mut() {
            match key.as_str() {
                // A cookie string is split exactly as normalization will split it.
                "cookies" if value.is_string() => {
                    if let Value::String(cookies) = value {
                        if let Some(scrubbed) = self.cookie_string(cookies) {
                            *cookies = scrubbed;
                        }
                    }
                }
                // Other strings here are `a=b&c=d` or URLs: `text` handles both; maps and
                // pair lists go through `value`.
                "headers" | "cookies" | "query_string" | "url" | "env" => self.value(value, 1),
                "data" => self.body(value),
                _ => {}
            }
        }
    }

    /// `a=b; c=d`: values of sensitive names (and card numbers, and sensitive `k=v` inside
    /// values) replaced, names kept: the same result as scrubbing the pairs normalization
    /// will make of it.
    fn cookie_string(&self, cookies: &str) -> Option<String> {
        let carded = scrub_card_numbers(cookies);
        let mut changed = carded.is_some();
        let parts: Vec<String> = carded
            .as_deref()
            .unwrap_or(cookies)
            .split(';')
            .map(|part| {
                let Some((name, value)) = part.split_once('=') else {
                    return part.to_string();
                };
                let value = value.trim();
                let scrubbed = if value.is_empty() || value == FILTERED {
                    None
                } else if self.keys.matches(name) {
                    Some(FILTERED.to_string())
                } else {
                    self.pairs_in_text(value)
                };
                match scrubbed {
                    Some(scrubbed) => {
                        changed = true;
                        format!("{name}={scrubbed}")
                    }
                    None => part.to_string(),
                }
            })
            .collect();
        changed.then(|| parts.join(";"))
    }

    /// A request body: JSON text is parsed, scrubbed and re-serialized; other strings are
    /// treated as form data or free text.
    fn body(&self, body: &mut Value) {
        if let Value::String(text) = body {
            let trimmed = text.trim_start();
            if trimmed.starts_with('{') || trimmed.starts_with('[') {
                if let Ok(mut parsed) = serde_json::from_str::<Value>(text) {
                    self.value(&mut parsed, 1);
                    if let Ok(serialized) = serde_json::to_string(&parsed) {
                        *text = serialized;
                        return;
                    }
                }
            }
        }
        self.value(body, 1);
    }

    fn breadcrumbs(&self, value: &mut Value, depth: usize) {
        if depth > 2 {
            return;
        }
        match value {
            Value::Array(items) => items
                .iter_mut()
                .for_each(|v| self.breadcrumbs(v, depth + 1)),
            Value::Object(map) if map.contains_key("values") => {
                if let Some(values) = map.get_mut("values") {
                    self.breadcrumbs(values, depth + 1);
                }
            }
            Value::Object(crumb) => {
                if let Some(data) = crumb.get_mut("data") {
                    self.value(data, 1);
                }
                if let Some(Value::String(message)) = crumb.get_mut("message") {
                    if let Some(scrubbed) = self.text(message) {
                        *message = scrubbed;
                    }
                }
            }
            _ => {}
        }
    }

    /// Scrubs a string; `None` when nothing changed.
    fn text(&self, s: &str) -> Option<String> {
        let carded = scrub_card_numbers(s);
        let current = carded.as_deref().unwrap_or(s);
        self.pairs_in_text(current).or(carded)
    }

    /// Replaces the value of every sensitive `name=value` inside a string.
    fn pairs_in_text(&self, s: &str) -> Option<String> {
        if !s.contains('=') {
            return None;
        }
        let bytes = s.as_bytes();
        let mut out = String::new();
        let mut copied = 0;
        let mut pos = 0;
        while let Some(eq) = bytes
            .get(pos..)
            .and_then(|b| b.iter().position(|&c| c == b'='))
        {
            let eq = pos + eq;
            let before = bytes.get(..eq).unwrap_or_default();
            let key_start = before
                .iter()
                .rposition(|&c| !is_key_byte(c))
                .map_or(0, |i| i + 1);
            let key = s.get(key_start..eq).unwrap_or_default();
            // The value is only measured for sensitive keys: measuring every one would make
            // `a=a=a=…` quadratic.
            if key.is_empty() || !self.keys.matches(key) {
                // The value may hold more pairs: `next=/login?password=x`.
                pos = eq + 1;
                continue;
            }
            let after = bytes.get(eq + 1..).unwrap_or_default();
            let value_len = after
                .iter()
                .position(|&c| is_value_end(c))
                .unwrap_or(after.len());
            let value_end = eq + 1 + value_len;
            let value = s.get(eq + 1..value_end).unwrap_or_default();
            if !value.is_empty() && value != FILTERED {
                out.push_str(s.get(copied..=eq).unwrap_or_default());
                out.push_str(FILTERED);
                copied = value_end;
            }
            pos = value_end.max(eq + 1);
        }
        if copied == 0 {
            return None;
        }
        out.push_str(s.get(copied..).unwrap_or_default());
        Some(out)
    }
}

/// Replaces a sensitive value; `null` and `""` hold nothing and stay as they are.
fn filter(value: &mut Value) {
    let empty = match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    };
    if !empty {
        *value = Value::String(FILTERED.into());
    }
}

fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'[' | b']' | b'%')
}

fn is_value_end(c: u8) -> bool {
    c.is_ascii_whitespace() || matches!(c, b'&' | b';' | b',' | b'#' | b'\'' | b'"' | b'<' | b'>')
}

/// Replaces card numbers inside a string; `None` when there are none.
pub fn scrub_card_numbers(s: &str) -> Option<String> {
    if !has_card_length_run(s) {
        return None;
    }
    static CARD: OnceLock<Option<Regex>> = OnceLock::new();
    let re = CARD
        .get_or_init(|| Regex::new(r"\b[2-6](?:[ -]?[0-9]){12,18}\b").ok())
        .as_ref()?;
    // As `replace_all`, but without copying anything until a card number turns up.
    let mut out: Option<String> = None;
    let mut copied = 0;
    for candidate in re.find_iter(s) {
        if is_card_number(candidate.as_str()) {
            let out = out.get_or_insert_with(|| String::with_capacity(s.len()));
            out.push_str(s.get(copied..candidate.start()).unwrap_or_default());
            out.push_str(FILTERED);
            copied = candidate.end();
        }
    }
    let mut out = out?;
    out.push_str(s.get(copied..).unwrap_or_default());
    Some(out)
}

/// Whether `s` holds 13 digits in a row, with at most one space or dash between two of them:
/// the least a card number needs. Cheaper than the regular expression, and false for most
/// strings with many digits (timestamps, ids, hex digests).
fn has_card_length_run(s: &str) -> bool {
    if s.len() < 13 || count_digits(s.as_bytes()) < 13 {
        return false;
    }
    let mut digits = 0;
    let mut after_separator = false;
    for b in s.bytes() {
        if b.is_ascii_digit() {
            digits += 1;
            if digits == 13 {
                return true;
            }
            after_separator = false;
        } else if matches!(b, b' ' | b'-') && digits > 0 && !after_separator {
            after_separator = true;
        } else {
            digits = 0;
            after_separator = false;
        }
    }
    false
}

/// The number of ASCII digits in `bytes`. Counted in `u8`s, 255 bytes at a time, so that the
/// loop is vectorized wide: this rules out most strings before any closer look.
fn count_digits(bytes: &[u8]) -> usize {
    bytes
        .chunks(255)
        .map(|chunk| {
            let digits = chunk
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from(b.is_ascii_digit())));
            usize::from(digits)
        })
        .sum()
}

/// 13–19 digits (spaces and dashes ignored) passing the Luhn check.
pub fn is_card_number(candidate: &str) -> bool {
    let digits = || candidate.chars().filter_map(|c| c.to_digit(10));
    if !(13..=19).contains(&digits().count()) {
        return false;
    }
    let sum: u32 = digits()
        .rev()
        .enumerate()
        .map(|(i, d)| match (i % 2 == 1, d * 2) {
            (true, doubled) if doubled > 9 => doubled - 9,
            (true, doubled) => doubled,
            (false, _) => d,
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scrub(mut event: Value) -> Value {
        scrub_event(&mut event, &ScrubConfig::default());
        event
    }

    #[test]
    fn sensitive_key_matching() {
        let config = ScrubConfig {
            enabled: true,
            extra_keys: vec!["IBAN".into()],
        };
        for key in [
            "password",
            "DB_PASSWORD",
            "passwd",
            "pwd",
            "client_secret",
            "access_token",
            "api_key",
            "X-Api-Key",
            "apikey",
            "Authorization",
            "credentials",
            "Cookie",
            "Set-Cookie",
            "sessionid",
            "csrftoken",
            "X-XSRF-TOKEN",
            "private_key",
            "private-key",
            "credit_card",
            "creditCard",
            "card_number",
            "iban_number",
        ] {
            assert!(config.is_sensitive_key(key), "{key}");
        }
        for key in [
            "username",
            "email",
            "card",
            "amount",
            "items",
            "Content-Type",
        ] {
            assert!(!config.is_sensitive_key(key), "{key}");
        }
        assert!(!ScrubConfig::default().is_sensitive_key("iban"));
    }

    #[test]
    fn key_matching_is_the_folded_substring_search() {
        for name in SENSITIVE_KEYS {
            assert_eq!(
                normalize_key(name),
                *name,
                "built-in names are already folded"
            );
        }
        let config = ScrubConfig {
            enabled: true,
            extra_keys: vec!["-Ssn ".into(), "  ".into(), "ÅRB".into()],
        };
        let keys = SensitiveKeys::new(&config);
        for key in [
            "",
            " ",
            "PASSWORD",
            " pass word ",
            "pass-word",
            "pass_word",
            "Pass Word",
            "x_PaSsWoRd_y",
            "\tpassword\n",
            "\u{3000}secret\u{3000}",
            "İpassword",
            "pässword",
            "tokeñ",
            "to ken",
            "TO-KEN",
            "apikey",
            "api key",
            "api-key",
            "API_KEY",
            "private key",
            "card-Number",
            "x-xsrf-token",
            "p",
            "pw",
            "pwd",
            "_ssn",
            " ssn",
            "ssn ",
            "my-SSN",
            "årb",
            "ÅRB",
            "xÅRBx",
            "\u{0}auth\u{0}",
        ] {
            let folded = normalize_key(key);
            let expected = SENSITIVE_KEYS.iter().any(|s| folded.contains(s))
                || config
                    .extra_keys
                    .iter()
                    .map(|k| normalize_key(k))
                    .any(|k| !k.is_empty() && folded.contains(&k));
            assert_eq!(keys.matches(key), expected, "{key:?}");
            assert_eq!(config.is_sensitive_key(key), expected, "{key:?}");
        }
    }

    #[test]
    fn key_matching_agrees_with_the_definition_on_generated_keys() {
        // Keys built from pieces of the names, separators, whitespace and non-ASCII text.
        let pieces = [
            "pass", "word", "PASS", "Wd", "p", "w", "d", "sec", "ret", "tok", "en", "api", "key",
            "_", "-", " ", "\t", "\u{3000}", "é", "İ", "au", "th", "co", "okie", "sess", "ion",
            "cs", "rf", "x", "priv", "ate", "card", "num", "ber", "cred", "it", "ials", "pw",
        ];
        let keys = SensitiveKeys::new(&ScrubConfig::default());
        let mut x: u32 = 7;
        for _ in 0..50_000 {
            let mut key = String::new();
            for _ in 0..1 + x % 6 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                key.push_str(pieces[x as usize % pieces.len()]);
            }
            let folded = normalize_key(&key);
            let expected = SENSITIVE_KEYS.iter().any(|s| folded.contains(s));
            assert_eq!(keys.matches(&key), expected, "{key:?}");
        }
    }

    #[test]
    fn digits_are_counted_across_chunks() {
        for len in [0, 1, 254, 255, 256, 1000] {
            let text: String = (0..len)
                .map(|i| if i % 3 == 0 { '7' } else { 'x' })
                .collect();
            let expected = text.bytes().filter(u8::is_ascii_digit).count();
            assert_eq!(count_digits(text.as_bytes()), expected, "{len}");
        }
        assert_eq!(count_digits("9".repeat(600).as_bytes()), 600);
    }

    #[test]
    fn card_regex_runs_only_where_it_can_match() {
        for s in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "x5555 5555-5555 4444y",
            "1234567890123",
        ] {
            assert!(has_card_length_run(s), "{s}");
        }
        for s in [
            "",
            "4111 1111  1111 1111",
            "4111--1111-1111-1111",
            "411111111111",
            "61b06d363f884b38 93036948e7b477ae",
            "1700000000.123456",
            "-4111 1111 111",
        ] {
            assert!(!has_card_length_run(s), "{s}");
            assert_eq!(scrub_card_numbers(s), None, "{s}");
        }
    }

    #[test]
    fn frame_vars_in_every_shape() {
        let frames = json!([{"function": "f", "vars": {"password": "'hunter2'", "user": "'ada'",
            "nested": {"api_token": "x", "ok": [1, 2]}, "pair": ["secret", "s3"]}}]);
        let expected = json!({"password": "[Filtered]", "user": "'ada'",
            "nested": {"api_token": "[Filtered]", "ok": [1, 2]}, "pair": ["secret", "[Filtered]"]});
        let shapes = [
            json!({"exception": {"values": [{"type": "E", "stacktrace": {"frames": frames.clone()}}]}}),
            json!({"exception": [{"type": "E", "stacktrace": {"frames": frames.clone()}}]}),
            json!({"exception": {"type": "E", "stacktrace": {"frames": frames.clone()}}}),
            json!({"threads": {"values": [{"stacktrace": {"frames": frames.clone()}}]}}),
            json!({"stacktrace": {"frames": frames.clone()}}),
            json!({"sentry.interfaces.Exception": {"values": [{"stacktrace": {"frames": frames.clone()}}]}}),
        ];
        for event in shapes {
            let out = scrub(event);
            let text = out.to_string();
            assert!(
                !text.contains("hunter2") && !text.contains("s3\""),
                "{text}"
            );
            let vars = find_vars(&out).unwrap_or_else(|| panic!("no vars in {text}"));
            assert_eq!(vars, &expected);
        }
    }

    fn find_vars(value: &Value) -> Option<&Value> {
        match value {
            Value::Object(map) => map.get("vars").or_else(|| map.values().find_map(find_vars)),
            Value::Array(items) => items.iter().find_map(find_vars),
            _ => None,
        }
    }

    #[test]
    fn extra_contexts_and_user_data() {
        let out = scrub(json!({
            "extra": {"Session-Id": "abc", "list": [{"token": 1}], "note": "fine", "n": null, "password": null},
            "contexts": {"app": {"auth_header": "Bearer x", "name": "shop"}},
            "user": {"id": "7", "data": {"card_number": "4111111111111111", "plan": "pro"}},
            "tags": {"password": "kept-in-tags"},
        }));
        assert_eq!(
            out["extra"],
            json!({"Session-Id": "[Filtered]", "list": [{"token": "[Filtered]"}], "note": "fine", "n": null, "password": null})
        );
        assert_eq!(
            out["contexts"]["app"],
            json!({"auth_header": "[Filtered]", "name": "shop"})
        );
        assert_eq!(
            out["user"],
            json!({"id": "7", "data": {"card_number": "[Filtered]", "plan": "pro"}})
        );
        assert_eq!(
            out["tags"]["password"],
            json!("kept-in-tags"),
            "tags are not scrubbed"
        );
    }

    #[test]
    fn request_parts() {
        let out = scrub(json!({"request": {
            "url": "https://shop.example/login?user=ada&password=hunter2&page=2#frag",
            "headers": [["Authorization", "Bearer abc"], ["Cookie", "sessionid=1"], ["X-Api-Key", "k"],
                        ["Accept", "text/html"], ["Referer", "https://x.example/?api_key=zzz"]],
            "cookies": "sessionid=abc; theme=dark; csrftoken=def",
            "query_string": "q=shoes&token=t0k",
            "data": "username=ada&password=hunter2",
            "env": {"REMOTE_ADDR": "10.0.0.1", "SECRET_KEY": "django"},
            "method": "POST",
        }}));
        let req = &out["request"];
        assert_eq!(
            req["url"],
            json!("https://shop.example/login?user=ada&password=[Filtered]&page=2#frag")
        );
        assert_eq!(
            req["headers"],
            json!([
                ["Authorization", "[Filtered]"],
                ["Cookie", "[Filtered]"],
                ["X-Api-Key", "[Filtered]"],
                ["Accept", "text/html"],
                ["Referer", "https://x.example/?api_key=[Filtered]"]
            ])
        );
        assert_eq!(
            req["cookies"],
            json!("sessionid=[Filtered]; theme=dark; csrftoken=[Filtered]")
        );
        assert_eq!(req["query_string"], json!("q=shoes&token=[Filtered]"));
        assert_eq!(req["data"], json!("username=ada&password=[Filtered]"));
        assert_eq!(
            req["env"],
            json!({"REMOTE_ADDR": "10.0.0.1", "SECRET_KEY": "[Filtered]"})
        );

        let out = scrub(json!({"request": {
            "headers": {"authorization": "x", "accept": "y"},
            "cookies": {"session": "s", "theme": "t"},
            "query_string": [["password", "p"], ["q", "1"]],
            "data": {"card": {"number": "5555 5555 5555 4444"}, "pwd": "x"},
        }}));
        let req = &out["request"];
        assert_eq!(
            req["headers"],
            json!({"authorization": "[Filtered]", "accept": "y"})
        );
        assert_eq!(
            req["cookies"],
            json!({"session": "[Filtered]", "theme": "t"})
        );
        assert_eq!(
            req["query_string"],
            json!([["password", "[Filtered]"], ["q", "1"]])
        );
        assert_eq!(
            req["data"],
            json!({"card": {"number": "[Filtered]"}, "pwd": "[Filtered]"})
        );

        let out = scrub(json!({"request": {"data": "{\"login\":\"ada\",\"password\":\"x\"}"}}));
        assert_eq!(
            out["request"]["data"],
            json!("{\"login\":\"ada\",\"password\":\"[Filtered]\"}")
        );
    }

    #[test]
    fn cookie_strings_are_split_like_normalization_splits_them() {
        let out = scrub(json!({"request": {
            "cookies": "x auth y=1; theme=dark; pan=4111111111111111; 5555555555554444=v; b"
        }}));
        assert_eq!(
            out["request"]["cookies"],
            json!("x auth y=[Filtered]; theme=dark; pan=[Filtered]; [Filtered]=v; b")
        );
        let out = scrub(json!({"extra": {"4111111111111111": "v", "k": "v"}}));
        assert_eq!(out["extra"], json!({"[Filtered]": "v", "k": "v"}));
    }

    #[test]
    fn pairs_nested_in_values_are_found() {
        let out = scrub(json!({"request": {
            "url": "/=a?password=x",
            "data": "next=/login?token=abc&x=1",
        }}));
        assert_eq!(out["request"]["url"], json!("/=a?password=[Filtered]"));
        assert_eq!(
            out["request"]["data"],
            json!("next=/login?token=[Filtered]&x=1")
        );
    }

    #[test]
    fn many_pairs_in_one_string_are_scanned_in_linear_time() {
        // Quadratic scanning would take minutes here.
        let long = "a=".repeat(200_000) + "password=x";
        let out = scrub(json!({"extra": {"blob": long}}));
        assert!(out["extra"]["blob"]
            .as_str()
            .unwrap_or_default()
            .ends_with("password=[Filtered]"));
    }

    #[test]
    fn breadcrumbs_data_and_messages() {
        for crumbs in [
            json!({"values": [{"message": "GET /api?access_token=abc", "data": {"url": "/x?password=1", "authorization": "y"}}]}),
            json!([{"message": "GET /api?access_token=abc", "data": {"url": "/x?password=1", "authorization": "y"}}]),
        ] {
            let out = scrub(json!({"breadcrumbs": crumbs}));
            let text = out.to_string();
            assert!(text.contains("GET /api?access_token=[Filtered]"), "{text}");
            assert!(text.contains("/x?password=[Filtered]"), "{text}");
            assert!(text.contains("\"authorization\":\"[Filtered]\""), "{text}");
        }
        let out = scrub(json!({"breadcrumbs": [{"message": "charged 4111-1111-1111-1111 ok"}]}));
        assert_eq!(
            out["breadcrumbs"][0]["message"],
            json!("charged [Filtered] ok")
        );
    }

    #[test]
    fn card_numbers() {
        assert!(is_card_number("4111111111111111"));
        assert!(is_card_number("4111 1111 1111 1111"));
        assert!(is_card_number("5555-5555-5555-4444"));
        assert!(is_card_number("378282246310005"));
        assert!(!is_card_number("4111111111111112"));
        assert!(!is_card_number("411111111111"));
        assert_eq!(
            scrub_card_numbers("'4111111111111111'").as_deref(),
            Some("'[Filtered]'")
        );
        assert_eq!(
            scrub_card_numbers("a 4111 1111 1111 1111 b 378282246310005").as_deref(),
            Some("a [Filtered] b [Filtered]")
        );
        // Luhn-failing numbers, timestamps in ms and ids are left alone.
        assert_eq!(scrub_card_numbers("order 4111111111111112"), None);
        assert_eq!(scrub_card_numbers("ts 1700000000000"), None);
        assert_eq!(scrub_card_numbers("short 4111"), None);
        let out = scrub(json!({"extra": {"cc": "4111111111111111", "n": 4111111111111111u64}}));
        assert_eq!(
            out["extra"],
            json!({"cc": "[Filtered]", "n": 4111111111111111u64})
        );
    }

    #[test]
    fn disabled_config_changes_nothing() {
        let event = json!({"extra": {"password": "x"}});
        let mut out = event.clone();
        scrub_event(
            &mut out,
            &ScrubConfig {
                enabled: false,
                extra_keys: vec![],
            },
        );
        assert_eq!(out, event);
    }

    #[test]
    fn extra_keys_apply_everywhere() {
        let config = ScrubConfig {
            enabled: true,
            extra_keys: vec!["ssn".into()],
        };
        let mut event =
            json!({"extra": {"user_ssn": "123-45-6789"}, "request": {"url": "/x?ssn=1"}});
        scrub_event(&mut event, &config);
        assert_eq!(event["extra"]["user_ssn"], json!("[Filtered]"));
        assert_eq!(event["request"]["url"], json!("/x?ssn=[Filtered]"));
    }

    #[test]
    fn deep_nesting_is_cut_off() {
        let mut deep = json!("password=leaf");
        for _ in 0..1000 {
            deep = json!({"k": deep});
        }
        let mut event = json!({"extra": {"deep": deep}});
        scrub_event(&mut event, &ScrubConfig::default());
        let mut cursor = &event["extra"]["deep"];
        let mut depth = 0;
        while let Some(next) = cursor.get("k") {
            cursor = next;
            depth += 1;
        }
        assert_eq!(cursor, &json!(FILTERED));
        assert!(depth <= MAX_DEPTH, "{depth}");
    }

    #[test]
    fn non_object_events_are_ignored() {
        let mut v = json!([1, 2]);
        scrub_event(&mut v, &ScrubConfig::default());
        assert_eq!(v, json!([1, 2]));
    }
}
