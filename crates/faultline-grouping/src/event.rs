//! Tolerant accessors over an event given as `serde_json::Value`.
//!
//! Input is normally the canonical shape of `docs/normalized-event.md`, but everything here also
//! accepts the lenient SDK shapes: `exception`/`threads` as `{values: […]}`, a bare list or a single
//! object; legacy `sentry.interfaces.*` keys; frames with missing or mistyped fields; `null`
//! entries. Nothing here panics on client data.

use serde_json::{Map, Value};

/// A non-empty string field of an object.
pub(crate) fn str_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A non-empty string at `key` of a JSON value (which must be an object).
pub(crate) fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.as_object().and_then(|o| str_field(o, key))
}

/// First present value among the keys (e.g. a field and its legacy alias).
fn first_key<'a>(event: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter()
        .find_map(|k| event.get(*k))
        .filter(|v| !v.is_null())
}

/// Items of a "values" interface: `{values:[…]}`, a bare list, or a single object.
/// Non-object entries are dropped.
pub(crate) fn values_list(v: Option<&Value>) -> Vec<&Map<String, Value>> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
        Some(Value::Object(obj)) => match obj.get("values") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
            Some(_) => Vec::new(),
            None => vec![obj],
        },
        _ => Vec::new(),
    }
}

/// The event's exceptions, oldest → newest.
pub(crate) fn exceptions(event: &Value) -> Vec<&Map<String, Value>> {
    values_list(first_key(
        event,
        &["exception", "sentry.interfaces.Exception"],
    ))
}

/// The event's threads.
pub(crate) fn threads(event: &Value) -> Vec<&Map<String, Value>> {
    values_list(first_key(event, &["threads", "sentry.interfaces.Threads"]))
}

/// The deprecated top-level stacktrace.
pub(crate) fn top_stacktrace(event: &Value) -> Option<&Value> {
    first_key(event, &["stacktrace", "sentry.interfaces.Stacktrace"]).filter(|v| v.is_object())
}

/// Frame objects of a stacktrace object (missing or malformed → none).
pub(crate) fn frames_of(stacktrace: Option<&Value>) -> impl Iterator<Item = &Map<String, Value>> {
    let frames: &[Value] = match stacktrace {
        Some(Value::Object(st)) => match st.get("frames") {
            Some(Value::Array(frames)) => frames,
            _ => &[],
        },
        // Some SDKs have been seen sending the frame list directly.
        Some(Value::Array(frames)) => frames,
        _ => &[],
    };
    frames.iter().filter_map(Value::as_object)
}

/// The event platform (`other` when missing).
pub(crate) fn platform(event: &Value) -> &str {
    str_at(event, "platform").unwrap_or("other")
}

/// Level string, `error` when missing.
pub(crate) fn level(event: &Value) -> &str {
    str_at(event, "level").unwrap_or("error")
}

/// The message of an event: (template, formatted). Accepts `logentry` objects, a legacy
/// `message` string or object, and `sentry.interfaces.Message`.
pub(crate) fn message(event: &Value) -> (Option<&str>, Option<&str>) {
    let entry = first_key(event, &["logentry", "sentry.interfaces.Message"])
        .or_else(|| event.get("message"));
    match entry {
        Some(Value::String(s)) if !s.is_empty() => (None, Some(s.as_str())),
        Some(Value::Object(obj)) => {
            let formatted = str_field(obj, "formatted");
            // A legacy top-level `message` string next to a logentry object still counts.
            let formatted = formatted.or_else(|| {
                event
                    .get("message")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
            });
            (str_field(obj, "message"), formatted)
        }
        _ => (None, None),
    }
}

/// A tag value by key: tags as `[[k, v], …]` pairs (canonical) or as a map.
pub(crate) fn tag<'a>(event: &'a Value, key: &str) -> Option<&'a str> {
    match event.get("tags") {
        Some(Value::Array(pairs)) => pairs.iter().find_map(|pair| match pair {
            Value::Array(kv) => match (kv.first(), kv.get(1)) {
                (Some(Value::String(k)), Some(Value::String(v))) if k == key => Some(v.as_str()),
                _ => None,
            },
            Value::Object(o) => match (o.get("key"), o.get("value")) {
                (Some(Value::String(k)), Some(Value::String(v))) if k == key => Some(v.as_str()),
                _ => None,
            },
            _ => None,
        }),
        Some(Value::Object(map)) => map.get(key).and_then(Value::as_str),
        _ => None,
    }
}

/// Behaviour family of a platform, as Sentry groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    JavaScript,
    Native,
    Other,
}

pub(crate) fn family(platform: &str) -> Family {
    match platform {
        "javascript" | "node" => Family::JavaScript,
        "native" | "c" | "cocoa" | "objc" | "swift" => Family::Native,
        _ => Family::Other,
    }
}

/// True for JVM platforms (Java rules apply).
pub(crate) fn is_jvm(platform: &str) -> bool {
    matches!(
        platform,
        "java" | "kotlin" | "groovy" | "scala" | "clojure" | "android"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exception_shapes() {
        let wrapped = json!({"exception": {"values": [{"type": "A"}, null, {"type": "B"}]}});
        assert_eq!(exceptions(&wrapped).len(), 2);
        let bare = json!({"exception": [{"type": "A"}]});
        assert_eq!(exceptions(&bare).len(), 1);
        let single = json!({"exception": {"type": "A", "value": "x"}});
        assert_eq!(exceptions(&single).len(), 1);
        let legacy = json!({"sentry.interfaces.Exception": {"values": [{"type": "A"}]}});
        assert_eq!(exceptions(&legacy).len(), 1);
        assert!(exceptions(&json!({"exception": "nope"})).is_empty());
        assert!(exceptions(&json!({"exception": {"values": 3}})).is_empty());
    }

    #[test]
    fn message_shapes() {
        assert_eq!(message(&json!({"message": "hi"})), (None, Some("hi")));
        let e = json!({"logentry": {"message": "n=%s", "formatted": "n=1"}});
        assert_eq!(message(&e), (Some("n=%s"), Some("n=1")));
        let e = json!({"logentry": {"message": "n=%s"}, "message": "n=2"});
        assert_eq!(message(&e), (Some("n=%s"), Some("n=2")));
        assert_eq!(message(&json!({"message": false})), (None, None));
    }

    #[test]
    fn tags_shapes() {
        let e = json!({"tags": [["a", "1"], ["b", "2"]]});
        assert_eq!(tag(&e, "b"), Some("2"));
        let e = json!({"tags": {"a": "1"}});
        assert_eq!(tag(&e, "a"), Some("1"));
        assert_eq!(tag(&e, "zzz"), None);
    }
}
