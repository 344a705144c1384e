//! Exceptions, threads, stack traces, frames and breadcrumbs: every lenient shape folded into
//! `{"values": [...]}` lists of well-typed objects (PROTOCOL.md §3.2–3.5).

use serde_json::{Map, Value};

use super::fields::{
    cap_strings, clean_bool, clean_string, clean_text, clean_u64, replace_with, to_string_lossy,
    truncate_text,
};
use super::level::Level;
use super::limits;
use crate::time::parse_timestamp;

/// The entries of `{values: [...]}`, a bare list, or a single object; nulls dropped.
pub(crate) fn values_of(value: Value) -> Vec<Value> {
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut map) if map.contains_key("values") => match map.remove("values") {
            Some(Value::Array(items)) => items,
            Some(Value::Object(single)) => vec![Value::Object(single)],
            _ => Vec::new(),
        },
        Value::Object(map) => vec![Value::Object(map)],
        _ => Vec::new(),
    };
    items.into_iter().filter(|v| !v.is_null()).collect()
}

/// `{"values": [...]}`, or `None` when there is nothing left.
pub(crate) fn wrap_values(values: Vec<Value>) -> Option<Value> {
    if values.is_empty() {
        return None;
    }
    let mut map = Map::new();
    map.insert("values".into(), Value::Array(values));
    Some(Value::Object(map))
}

/// Normalizes an `exception` in any shape; `None` when no exception is left.
pub(crate) fn normalize_exceptions(value: Value) -> Option<Value> {
    wrap_values(
        values_of(value)
            .into_iter()
            .filter_map(normalize_exception)
            .collect(),
    )
}

fn normalize_exception(value: Value) -> Option<Value> {
    let Value::Object(mut exc) = value else {
        return None;
    };
    exc.retain(|key, value| match key.as_str() {
        "type" | "module" => clean_string(value, limits::EXCEPTION_TYPE),
        "value" => clean_text(value, limits::MESSAGE),
        "mechanism" => replace_with(value, normalize_mechanism),
        "stacktrace" | "raw_stacktrace" => replace_with(value, normalize_stacktrace),
        _ => true,
    });
    let keep = ["type", "value", "stacktrace"]
        .iter()
        .any(|k| exc.contains_key(*k));
    keep.then_some(Value::Object(exc))
}

fn normalize_mechanism(value: Value) -> Option<Value> {
    let mut mechanism = match value {
        Value::Object(map) => map,
        Value::String(ty) => {
            let mut map = Map::new();
            map.insert("type".into(), Value::String(ty));
            map
        }
        _ => return None,
    };
    mechanism.retain(|key, value| match key.as_str() {
        "type" => clean_string(value, limits::EXCEPTION_TYPE),
        "handled" | "synthetic" | "is_exception_group" => clean_bool(value),
        "exception_id" | "parent_id" => clean_u64(value),
        _ => true,
    });
    if !mechanism.contains_key("type") {
        mechanism.insert("type".into(), Value::String("generic".into()));
    }
    Some(Value::Object(mechanism))
}

/// Normalizes `threads` in any shape.
pub(crate) fn normalize_threads(value: Value) -> Option<Value> {
    let threads = values_of(value)
        .into_iter()
        .filter_map(|thread| {
            let Value::Object(mut thread) = thread else {
                return None;
            };
            thread.retain(|key, value| match key.as_str() {
                "crashed" | "current" | "main" => clean_bool(value),
                "name" => clean_string(value, limits::EXCEPTION_TYPE),
                "id" => value.is_string() || value.is_u64() || value.is_i64(),
                "stacktrace" | "raw_stacktrace" => replace_with(value, normalize_stacktrace),
                _ => true,
            });
            Some(Value::Object(thread))
        })
        .collect();
    wrap_values(threads)
}

/// `{frames: [...]}` (or a bare list of frames): frames typed, oldest → newest as sent,
/// trimmed from the middle to [`limits::MAX_FRAMES`] with `frames_omitted: [start, end]`.
pub(crate) fn normalize_stacktrace(value: Value) -> Option<Value> {
    let mut stacktrace = match value {
        Value::Object(map) => map,
        Value::Array(frames) => {
            let mut map = Map::new();
            map.insert("frames".into(), Value::Array(frames));
            map
        }
        _ => return None,
    };
    let frames = match stacktrace.remove("frames") {
        Some(Value::Array(frames)) => frames,
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    };
    let mut frames: Vec<Value> = frames.into_iter().filter_map(normalize_frame).collect();
    if frames.is_empty() {
        return None;
    }
    if frames.len() > limits::MAX_FRAMES {
        let head = limits::MAX_FRAMES / 2;
        let tail_start = frames.len() - (limits::MAX_FRAMES - head);
        frames.drain(head..tail_start);
        stacktrace.insert("frames_omitted".into(), Value::from(vec![head, tail_start]));
    }
    stacktrace.insert("frames".into(), Value::Array(frames));
    Some(Value::Object(stacktrace))
}

const FRAME_STRINGS: [&str; 14] = [
    "filename",
    "abs_path",
    "function",
    "raw_function",
    "module",
    "package",
    "symbol",
    "platform",
    "instruction_addr",
    "symbol_addr",
    "image_addr",
    "addr_mode",
    "source_link",
    "trust",
];

fn normalize_frame(value: Value) -> Option<Value> {
    let Value::Object(mut frame) = value else {
        return None;
    };
    frame.retain(|key, value| match key.as_str() {
        "context_line" => clean_text(value, limits::CONTEXT_LINE),
        "lineno" | "colno" => clean_u64(value),
        "in_app" => clean_bool(value),
        "pre_context" | "post_context" => clean_context_lines(value),
        "vars" => clean_vars(value),
        key if FRAME_STRINGS.contains(&key) => {
            !(value.is_object() || value.is_array()) && clean_string(value, limits::FRAME_STRING)
        }
        _ => true,
    });
    (!frame.is_empty()).then_some(Value::Object(frame))
}

/// `pre_context`/`post_context`: a list of lines, each a string cut to size (null as `""`).
fn clean_context_lines(value: &mut Value) -> bool {
    let Value::Array(lines) = value else {
        return false;
    };
    for line in lines {
        match line {
            Value::String(line) => truncate_text(line, limits::CONTEXT_LINE),
            other => {
                let mut text = to_string_lossy(other).unwrap_or_default();
                truncate_text(&mut text, limits::CONTEXT_LINE);
                *other = Value::String(text);
            }
        }
    }
    true
}

/// `vars`: an object with its strings cut to size.
fn clean_vars(value: &mut Value) -> bool {
    match value {
        Value::Object(vars) => {
            vars.values_mut()
                .for_each(|v| cap_strings(v, limits::VAR_STRING));
            true
        }
        // PHP sends positional arguments as a list.
        Value::Array(list) => {
            let mut vars: Map<String, Value> = std::mem::take(list)
                .into_iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect();
            vars.values_mut()
                .for_each(|v| cap_strings(v, limits::VAR_STRING));
            *value = Value::Object(vars);
            true
        }
        _ => false,
    }
}

/// Normalizes `breadcrumbs` in any shape: newest [`limits::MAX_BREADCRUMBS`] kept, timestamps
/// as float seconds shifted by `drift`, levels canonical.
pub(crate) fn normalize_breadcrumbs(value: Value, drift: f64) -> Option<Value> {
    let mut crumbs: Vec<Value> = values_of(value)
        .into_iter()
        .filter_map(|crumb| normalize_breadcrumb(crumb, drift))
        .collect();
    if crumbs.len() > limits::MAX_BREADCRUMBS {
        crumbs.drain(..crumbs.len() - limits::MAX_BREADCRUMBS);
    }
    wrap_values(crumbs)
}

fn normalize_breadcrumb(value: Value, drift: f64) -> Option<Value> {
    let Value::Object(mut crumb) = value else {
        return None;
    };
    crumb.retain(|key, value| match key.as_str() {
        "timestamp" => {
            let timestamp = parse_timestamp(value).map(|t| t + drift);
            match timestamp.filter(|t| t.is_finite()) {
                Some(timestamp) => {
                    *value = Value::from(timestamp);
                    true
                }
                None => false,
            }
        }
        "level" => {
            let level = Level::from_json(value).unwrap_or(Level::Info);
            *value = Value::String(level.as_str().into());
            true
        }
        "type" | "category" => clean_string(value, limits::FRAME_STRING),
        "message" => clean_text(value, limits::MESSAGE),
        "data" if value.is_object() => {
            cap_strings(value, limits::EXTRA_VALUE);
            true
        }
        "data" => false,
        _ => true,
    });
    if !crumb.contains_key("level") {
        crumb.insert("level".into(), Value::String(Level::Info.as_str().into()));
    }
    if !crumb.contains_key("type") {
        crumb.insert("type".into(), Value::String("default".into()));
    }
    Some(Value::Object(crumb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_shapes() {
        let one = json!({"type": "E"});
        assert_eq!(
            values_of(json!({"values": [one.clone(), null]})),
            vec![one.clone()]
        );
        assert_eq!(values_of(json!([one.clone()])), vec![one.clone()]);
        assert_eq!(values_of(one.clone()), vec![one.clone()]);
        assert_eq!(values_of(json!({"values": null})), Vec::<Value>::new());
        assert_eq!(values_of(json!("nope")), Vec::<Value>::new());
        assert_eq!(values_of(json!(null)), Vec::<Value>::new());
    }

    #[test]
    fn exception_fields_are_typed() {
        let exc = normalize_exceptions(json!([
            {"type": "ValueError", "value": 42, "module": null,
             "mechanism": {"type": "excepthook", "handled": "false", "exception_id": "0"},
             "stacktrace": {"frames": [
                {"function": "main", "lineno": "12", "colno": 3.0, "in_app": "true",
                 "pre_context": ["a", null, 7], "context_line": "x()", "post_context": "bad",
                 "vars": {"s": "y".repeat(5000)}},
                null, "junk", {}
             ]}},
            {"value": {"code": 5}, "mechanism": "onerror"},
            {"module": "only-module"},
            {"stacktrace": {"frames": []}}
        ]))
        .unwrap();
        let values = exc["values"].as_array().unwrap();
        assert_eq!(values.len(), 2);
        let first = &values[0];
        assert_eq!(first["value"], json!("42"));
        assert!(first.get("module").is_none());
        assert_eq!(
            first["mechanism"],
            json!({"type": "excepthook", "handled": false, "exception_id": 0})
        );
        let frames = first["stacktrace"]["frames"].as_array().unwrap();
        assert_eq!(frames.len(), 1);
        let frame = &frames[0];
        assert_eq!(frame["lineno"], json!(12));
        assert_eq!(frame["colno"], json!(3));
        assert_eq!(frame["in_app"], json!(true));
        assert_eq!(frame["pre_context"], json!(["a", "", "7"]));
        assert!(frame.get("post_context").is_none());
        assert_eq!(
            frame["vars"]["s"].as_str().unwrap().chars().count(),
            limits::VAR_STRING
        );
        assert_eq!(values[1]["value"], json!("{\"code\":5}"));
        assert_eq!(values[1]["mechanism"], json!({"type": "onerror"}));
    }

    #[test]
    fn mechanism_type_defaults_to_generic() {
        let exc =
            normalize_exceptions(json!({"type": "E", "mechanism": {"handled": true}})).unwrap();
        assert_eq!(
            exc["values"][0]["mechanism"],
            json!({"type": "generic", "handled": true})
        );
    }

    #[test]
    fn frames_are_trimmed_from_the_middle() {
        let frames: Vec<Value> = (0..1000)
            .map(|i| json!({"function": format!("f{i}")}))
            .collect();
        let exc =
            normalize_exceptions(json!({"type": "E", "stacktrace": {"frames": frames}})).unwrap();
        let st = &exc["values"][0]["stacktrace"];
        let frames = st["frames"].as_array().unwrap();
        assert_eq!(frames.len(), limits::MAX_FRAMES);
        assert_eq!(frames[0]["function"], json!("f0"));
        assert_eq!(frames[124]["function"], json!("f124"));
        assert_eq!(frames[125]["function"], json!("f875"));
        assert_eq!(frames[249]["function"], json!("f999"));
        assert_eq!(st["frames_omitted"], json!([125, 875]));
    }

    #[test]
    fn php_vars_list_becomes_an_object() {
        let exc = normalize_exceptions(
            json!({"type": "E", "stacktrace": [{"function": "f", "vars": ["a", 1]}]}),
        )
        .unwrap();
        assert_eq!(
            exc["values"][0]["stacktrace"]["frames"][0]["vars"],
            json!({"0": "a", "1": 1})
        );
    }

    #[test]
    fn threads_shapes() {
        let threads = normalize_threads(json!([
            {"id": 1, "crashed": "yes", "stacktrace": {"frames": [{"function": "run"}]}},
            {"id": {"bad": 1}, "name": 7}
        ]))
        .unwrap();
        assert_eq!(threads["values"][0]["crashed"], json!(true));
        assert_eq!(
            threads["values"][0]["stacktrace"]["frames"][0]["function"],
            json!("run")
        );
        assert_eq!(threads["values"][1], json!({"name": "7"}));
    }

    #[test]
    fn breadcrumbs_are_typed_shifted_and_capped() {
        let mut crumbs: Vec<Value> = (0..150)
            .map(|i| json!({"timestamp": 1000.0 + f64::from(i), "message": format!("m{i}"), "level": "warn"}))
            .collect();
        crumbs.push(
            json!({"timestamp": "2023-11-14T22:13:20Z", "level": 40, "data": "x", "category": 5}),
        );
        crumbs.push(json!({"timestamp": "never"}));
        let out = normalize_breadcrumbs(Value::Array(crumbs), 10.0).unwrap();
        let values = out["values"].as_array().unwrap();
        assert_eq!(values.len(), 100);
        assert_eq!(values[0]["message"], json!("m52"));
        assert_eq!(values[0]["timestamp"], json!(1062.0));
        assert_eq!(values[0]["level"], json!("warning"));
        assert_eq!(values[0]["type"], json!("default"));
        assert_eq!(
            values[98],
            json!({"timestamp": 1_700_000_010.0, "level": "error", "type": "default", "category": "5"})
        );
        assert_eq!(values[99], json!({"level": "info", "type": "default"}));
        let js =
            normalize_breadcrumbs(json!({"values": [{"message": "x", "level": "bogus"}]}), 0.0)
                .unwrap();
        assert_eq!(js["values"][0]["level"], json!("info"));
    }
}
