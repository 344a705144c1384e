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

/// Cuts `s` to at most `max` characters.
pub(crate) fn truncate_chars(s: &mut String, max: usize) {
    if let Some((at, _)) = s.char_indices().nth(max) {
        s.truncate(at);
    }
}

/// Cuts free text to at most `max` characters, ending with `…` when something was cut.
pub(crate) fn truncate_text(s: &mut String, max: usize) {
    if max > 0 && s.char_indices().nth(max).is_some() {
        truncate_chars(s, max - 1);
        s.push('…');
    }
}

/// Replaces a field with its string form (see [`to_string_lossy`]), trimmed of surrounding
/// whitespace, with CR/LF folded to spaces and cut to `max` characters. Removes the field
/// when it is null or empty.
pub(crate) fn string_field(map: &mut Map<String, Value>, key: &str, max: usize) -> Option<String> {
    let value = map.get(key)?;
    let Some(s) = to_string_lossy(value) else {
        map.remove(key);
        return None;
    };
    let mut s = s.replace(['\r', '\n'], " ").trim().to_string();
    truncate_chars(&mut s, max);
    s.truncate(s.trim_end().len());
    if s.is_empty() {
        map.remove(key);
        return None;
    }
    map.insert(key.to_string(), Value::String(s.clone()));
    Some(s)
}

/// Like [`string_field`] for free text: internal newlines kept, `…` marks a cut.
pub(crate) fn text_field(map: &mut Map<String, Value>, key: &str, max: usize) {
    let Some(value) = map.get(key) else { return };
    match to_string_lossy(value) {
        Some(mut s) => {
            truncate_text(&mut s, max);
            map.insert(key.to_string(), Value::String(s));
        }
        None => {
            map.remove(key);
        }
    }
}

/// Replaces a field with a lenient boolean, or removes it.
pub(crate) fn bool_field(map: &mut Map<String, Value>, key: &str) {
    if let Some(b) = map.get(key).map(to_bool) {
        match b {
            Some(b) => map.insert(key.to_string(), Value::Bool(b)),
            None => map.remove(key),
        };
    }
}

/// Replaces a field with a lenient non-negative integer, or removes it.
pub(crate) fn u64_field(map: &mut Map<String, Value>, key: &str) {
    if let Some(n) = map.get(key).map(to_u64) {
        match n {
            Some(n) => map.insert(key.to_string(), Value::from(n)),
            None => map.remove(key),
        };
    }
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

/// Serialized size of a value in bytes.
pub(crate) fn json_size(value: &Value) -> usize {
    serde_json::to_vec(value).map_or(0, |v| v.len())
}

/// Bounds a databag (`extra`, `contexts`, `modules`): a value larger than `max_value` bytes
/// once serialized is cut (strings) or replaced by its JSON text cut to size (objects and
/// arrays); entries past `max_total` bytes in all are dropped.
pub(crate) fn limit_databag(map: &mut Map<String, Value>, max_value: usize, max_total: usize) {
    let mut total = 0usize;
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let Some(value) = map.get_mut(&key) else {
            continue;
        };
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
        if total > max_total {
            map.remove(&key);
        }
    }
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
