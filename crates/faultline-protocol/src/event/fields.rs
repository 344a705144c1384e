//! Small coercions and limits shared by the normalizers: any JSON scalar to a string, lenient
//! booleans and integers, and trimming strings and databags to size.

use serde_json::{Map, Value};

/// A scalar as a string: strings as-is, numbers in JSON notation, booleans Python-style
/// (`True`/`False`, as SDKs stringify them). Objects and arrays become compact JSON.
/// `null` gives `None`.
pub(crate) fn to_string_lossy(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("True".into()),
        Value::Bool(false) => Some("False".into()),
        Value::Number(n) => Some(integral_number(value).unwrap_or_else(|| n.to_string())),
        other => serde_json::to_string(other).ok(),
    }
}

/// An integer-valued number (`42`, `42.0`) as `"42"`.
pub(crate) fn integral_number(value: &Value) -> Option<String> {
    let Value::Number(n) = value else { return None };
    if let Some(i) = n.as_i64() {
        return Some(i.to_string());
    }
    if let Some(u) = n.as_u64() {
        return Some(u.to_string());
    }
    let f = n.as_f64()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then(|| format!("{f:.0}"))
}

/// Lenient booleans: `true`, `"true"`, `"yes"`, `"1"`, `1` and their opposites.
pub(crate) fn to_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n
            .as_f64()
            .filter(|f| *f == 0.0 || *f == 1.0)
            .map(|f| f == 1.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Lenient non-negative integers: `12`, `12.0`, `"12"`.
pub(crate) fn to_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            let f = n.as_f64()?;
            (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < 1.8e19).then_some(f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A value as a string like [`to_string_lossy`], moving a string rather than copying it.
pub(crate) fn into_string_lossy(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        other => to_string_lossy(&other),
    }
}

/// Cuts `s` to at most `max` characters.
pub(crate) fn truncate_chars(s: &mut String, max: usize) {
    // A string has at most as many characters as bytes.
    if s.len() <= max {
        return;
    }
    if let Some((at, _)) = s.char_indices().nth(max) {
        s.truncate(at);
    }
}

/// Cuts free text to at most `max` characters, ending with `…` when something was cut.
pub(crate) fn truncate_text(s: &mut String, max: usize) {
    if max > 0 && s.len() > max && s.char_indices().nth(max).is_some() {
        truncate_chars(s, max - 1);
        s.push('…');
    }
}

/// A one-line string: CR/LF folded to spaces, trimmed of surrounding whitespace, cut to `max`
/// characters (and trimmed again).
pub(crate) fn clean_line(s: &mut String, max: usize) {
    if s.bytes().any(|b| b == b'\r' || b == b'\n') {
        *s = s.replace(['\r', '\n'], " ");
    }
    trim_in_place(s);
    truncate_chars(s, max);
    s.truncate(s.trim_end().len());
}

/// `s.trim()`, without a copy.
pub(crate) fn trim_in_place(s: &mut String) {
    s.truncate(s.trim_end().len());
    let leading = s.len() - s.trim_start().len();
    if leading > 0 {
        s.drain(..leading);
    }
}

/// Turns a value into its string form (see [`to_string_lossy`]) cleaned by [`clean_line`].
/// Returns `false`, for the caller to remove it, when it is null or ends up empty.
pub(crate) fn clean_string(value: &mut Value, max: usize) -> bool {
    if let Value::String(s) = value {
        clean_line(s, max);
        return !s.is_empty();
    }
    let Some(mut s) = to_string_lossy(value) else {
        return false;
    };
    clean_line(&mut s, max);
    let keep = !s.is_empty();
    *value = Value::String(s);
    keep
}

/// Like [`clean_string`] for free text: internal newlines kept, `…` marks a cut. Returns
/// `false` when the value is null.
pub(crate) fn clean_text(value: &mut Value, max: usize) -> bool {
    if let Value::String(s) = value {
        truncate_text(s, max);
        return true;
    }
    let Some(mut s) = to_string_lossy(value) else {
        return false;
    };
    truncate_text(&mut s, max);
    *value = Value::String(s);
    true
}

/// Turns a value into a lenient boolean; `false` when it is none.
pub(crate) fn clean_bool(value: &mut Value) -> bool {
    let Some(b) = to_bool(value) else {
        return false;
    };
    *value = Value::Bool(b);
    true
}

/// Turns a value into a lenient non-negative integer; `false` when it is none.
pub(crate) fn clean_u64(value: &mut Value) -> bool {
    let Some(n) = to_u64(value) else {
        return false;
    };
    *value = Value::from(n);
    true
}

/// Replaces a value with `normalize` of it; `false` when that gives nothing.
pub(crate) fn replace_with(
    value: &mut Value,
    normalize: impl FnOnce(Value) -> Option<Value>,
) -> bool {
    match normalize(std::mem::take(value)) {
        Some(normalized) => {
            *value = normalized;
            true
        }
        None => false,
    }
}

/// Applies `clean` (one of the functions above) to a field, removing the field when `clean`
/// says so. Returns whether the field is there afterwards.
pub(crate) fn clean_field(
    map: &mut Map<String, Value>,
    key: &str,
    clean: impl FnOnce(&mut Value) -> bool,
) -> bool {
    let Some(value) = map.get_mut(key) else {
        return false;
    };
    let keep = clean(value);
    if !keep {
        map.remove(key);
    }
    keep
}

/// Replaces a field with `normalize` of it, removing it when that gives nothing.
pub(crate) fn normalize_field(
    map: &mut Map<String, Value>,
    key: &str,
    normalize: impl FnOnce(Value) -> Option<Value>,
) {
    clean_field(map, key, |value| replace_with(value, normalize));
}

/// Cleans a field with [`clean_string`] and returns its new value.
pub(crate) fn string_field(map: &mut Map<String, Value>, key: &str, max: usize) -> Option<String> {
    if !clean_field(map, key, |v| clean_string(v, max)) {
        return None;
    }
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Cuts every string inside a databag to `max` characters.
pub(crate) fn cap_strings(value: &mut Value, max: usize) {
    match value {
        Value::String(s) => truncate_text(s, max),
        Value::Array(items) => items.iter_mut().for_each(|v| cap_strings(v, max)),
        Value::Object(map) => map.values_mut().for_each(|v| cap_strings(v, max)),
        _ => {}
    }
}

/// Serialized size of a value in bytes, counted without keeping the bytes.
pub(crate) fn json_size(value: &Value) -> usize {
    let mut counter = ByteCounter(0);
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        Err(_) => 0,
    }
}

/// A writer that only counts what it is given.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bounds a databag (`extra`, `contexts`, `modules`): a value larger than `max_value` bytes
/// once serialized is cut (strings) or replaced by its JSON text cut to size (objects and
/// arrays); entries past `max_total` bytes in all, in key order, are dropped.
pub(crate) fn limit_databag(map: &mut Map<String, Value>, max_value: usize, max_total: usize) {
    let mut total = 0usize;
    map.retain(|key, value| {
        let mut size = json_size(value);
        if size > max_value {
            let mut text = match &mut *value {
                Value::String(s) => std::mem::take(s),
                other => serde_json::to_string(&*other).unwrap_or_default(),
            };
            truncate_text(&mut text, max_value / 2);
            while serde_json::to_string(&text).map_or(0, |t| t.len()) > max_value {
                let chars = text.chars().count();
                truncate_text(&mut text, chars / 2);
            }
            *value = Value::String(text);
            size = json_size(value);
        }
        total = total.saturating_add(size + key.len());
        total <= max_total
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stringifies_scalars_python_style() {
        assert_eq!(to_string_lossy(&json!("a")).as_deref(), Some("a"));
        assert_eq!(to_string_lossy(&json!(true)).as_deref(), Some("True"));
        assert_eq!(to_string_lossy(&json!(false)).as_deref(), Some("False"));
        assert_eq!(to_string_lossy(&json!(42)).as_deref(), Some("42"));
        assert_eq!(to_string_lossy(&json!(42.0)).as_deref(), Some("42"));
        assert_eq!(to_string_lossy(&json!(-3.5)).as_deref(), Some("-3.5"));
        assert_eq!(
            to_string_lossy(&json!({"a":[1]})).as_deref(),
            Some("{\"a\":[1]}")
        );
        assert_eq!(to_string_lossy(&json!(null)), None);
    }

    #[test]
    fn lenient_bools_and_ints() {
        assert_eq!(to_bool(&json!("TRUE")), Some(true));
        assert_eq!(to_bool(&json!(0)), Some(false));
        assert_eq!(to_bool(&json!("maybe")), None);
        assert_eq!(to_u64(&json!(12)), Some(12));
        assert_eq!(to_u64(&json!(12.0)), Some(12));
        assert_eq!(to_u64(&json!("12")), Some(12));
        assert_eq!(to_u64(&json!(12.5)), None);
        assert_eq!(to_u64(&json!(-1)), None);
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        let mut s = "héllo wörld".to_string();
        truncate_chars(&mut s, 2);
        assert_eq!(s, "hé");
        let mut s = "ééééé".to_string();
        truncate_text(&mut s, 3);
        assert_eq!(s, "éé…");
        let mut s = "short".to_string();
        truncate_text(&mut s, 5);
        assert_eq!(s, "short");
    }

    #[test]
    fn string_fields_are_trimmed_and_removed_when_empty() {
        let mut map = json!({"a": "  x\ny  ", "b": "", "c": null, "d": 1.5, "e": "abcdef"});
        let map = map.as_object_mut().unwrap();
        assert_eq!(string_field(map, "a", 10).as_deref(), Some("x y"));
        assert_eq!(string_field(map, "b", 10), None);
        assert_eq!(string_field(map, "c", 10), None);
        assert_eq!(string_field(map, "d", 10).as_deref(), Some("1.5"));
        assert_eq!(string_field(map, "e", 3).as_deref(), Some("abc"));
        assert_eq!(string_field(map, "missing", 3), None);
        assert_eq!(
            Value::Object(map.clone()),
            json!({"a": "x y", "d": "1.5", "e": "abc"})
        );
    }

    #[test]
    fn databags_are_bounded() {
        let big = "x".repeat(40_000);
        let mut map = json!({"a": big, "b": {"nested": "y".repeat(40_000)}, "c": 1});
        let map = map.as_object_mut().unwrap();
        limit_databag(map, 16 * 1024, 256 * 1024);
        for value in map.values() {
            assert!(json_size(value) <= 16 * 1024 + 2, "{}", json_size(value));
        }
        assert_eq!(map.get("c"), Some(&json!(1)));

        let mut many = Map::new();
        for i in 0..100 {
            many.insert(format!("k{i}"), Value::String("z".repeat(1000)));
        }
        limit_databag(&mut many, 16 * 1024, 10 * 1024);
        assert!(many.len() < 11 && many.len() > 5, "{}", many.len());
    }
}
