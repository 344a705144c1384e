//! JSON text to [`serde_json::Value`].

use serde_json::Value;

/// `serde_json::from_slice::<Value>`, with the same result and errors, but faster: when the
/// whole text is valid UTF-8 (one quick pass), serde_json is given a `&str` and skips checking
/// every string inside it again. Otherwise the bytes go to `from_slice`, which reports the bad
/// byte where it is.
pub(crate) fn from_slice(bytes: &[u8]) -> serde_json::Result<Value> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same value, or the same error message (which includes the position).
    fn same_as_from_slice(bytes: &[u8]) {
        let ours = from_slice(bytes).map_err(|e| e.to_string());
        let theirs = serde_json::from_slice::<Value>(bytes).map_err(|e| e.to_string());
        assert_eq!(ours, theirs, "{}", String::from_utf8_lossy(bytes));
    }

    #[test]
    fn same_values_and_errors_as_from_slice() {
        for text in [
            "null",
            " [1, -2, 1.5e300, 18446744073709551616, \"a\"] ",
            "\"h\u{e9}llo \\u00e9 \\ud83d\\ude00 \\n\"",
            r#"{"k": 1, "k": 2, "j": {"x": []}}"#,
            r#"{"$serde_json::private::RawValue": "{\"x\": [1, 2]}"}"#,
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "\"bad \\x escape\"",
            "\"\\udc00\"",
            "\"control \u{1} character\"",
            "{} extra",
        ] {
            same_as_from_slice(text.as_bytes());
        }
        same_as_from_slice(&"[".repeat(200).into_bytes());
        for invalid_utf8 in [
            &b"\"\xff\""[..],
            b"{\"a\": \"ok\", \"b\": \"\xc3\x28\"}",
            b"[1, \xff]",
            b"\"\xed\xa0\x80\"",
            b"\"truncated \xe2\x82\"",
        ] {
            same_as_from_slice(invalid_utf8);
        }
    }
}
