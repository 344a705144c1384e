//! SDK fingerprints (§4.10): custom fingerprints replace default grouping; a fingerprint that
//! contains `{{ default }}` next to other values is a hybrid, salting the default grouping.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::event::{exceptions, level, message, str_at, str_field, tag};
use crate::stacktrace::crash_frame;

/// One fingerprint entry after variable resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    /// `{{ default }}`: the default grouping's values go here.
    Default,
    /// A literal or a resolved variable.
    Value(String),
}

/// How the fingerprint of an event asks to be grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fingerprint {
    /// No fingerprint, an empty one, or only `{{ default }}`.
    Default,
    /// No `{{ default }}`: group by these values only.
    Custom(Vec<String>),
    /// `{{ default }}` plus other values.
    Hybrid(Vec<Entry>),
}

static VARIABLE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\{\{\s*(\S+?)\s*\}\}$").ok());

/// Stringifies one raw fingerprint entry the way Relay does (`null` and containers dropped).
fn entry_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("True".into()),
        Value::Bool(false) => Some("False".into()),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Some(i.to_string()),
            (_, Some(u), _) => Some(u.to_string()),
            (_, _, Some(f)) if f.is_finite() => Some(format!("{}", f.trunc() as i64)),
            _ => None,
        },
        _ => None,
    }
}

/// Reads and resolves the event's fingerprint.
pub(crate) fn resolve(event: &Value) -> Fingerprint {
    let raw: Vec<String> = match event.get("fingerprint") {
        Some(Value::Array(items)) => items.iter().filter_map(entry_string).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    if raw.is_empty() {
        return Fingerprint::Default;
    }
    let entries: Vec<Entry> = raw
        .iter()
        .map(|s| match variable_name(s) {
            Some("default") => Entry::Default,
            Some(var) => Entry::Value(variable_value(event, var).unwrap_or_else(|| s.clone())),
            None => Entry::Value(s.clone()),
        })
        .collect();
    let has_default = entries.contains(&Entry::Default);
    if entries.iter().all(|e| *e == Entry::Default) {
        Fingerprint::Default
    } else if has_default {
        Fingerprint::Hybrid(entries)
    } else {
        Fingerprint::Custom(
            entries
                .into_iter()
                .filter_map(|e| match e {
                    Entry::Value(v) => Some(v),
                    Entry::Default => None,
                })
                .collect(),
        )
    }
}

fn variable_name(s: &str) -> Option<&str> {
    let caps = VARIABLE.as_ref()?.captures(s)?;
    caps.get(1).map(|m| m.as_str())
}

/// Value of a fingerprint variable, `None` for unknown variables (kept literally).
fn variable_value(event: &Value, var: &str) -> Option<String> {
    let last_exception = exceptions(event).last().copied();
    let exc_field = |k: &str| {
        last_exception
            .and_then(|e| str_field(e, k))
            .map(str::to_owned)
    };
    let frame = || crash_frame(event);
    let or = |v: Option<String>, missing: &str| Some(v.unwrap_or_else(|| missing.to_owned()));
    match var {
        "transaction" => or(
            str_at(event, "transaction").map(str::to_owned),
            "<no-transaction>",
        ),
        "message" => {
            let (template, formatted) = message(event);
            let msg = formatted
                .or(template)
                .map(str::to_owned)
                .or_else(|| exc_field("value"));
            or(msg, "<no-message>")
        }
        "type" | "error.type" => or(exc_field("type"), "<no-type>"),
        "value" | "error.value" => or(exc_field("value"), "<no-value>"),
        "function" | "stack.function" => or(
            frame().and_then(|f| f.function.map(str::to_owned)),
            "<no-function>",
        ),
        "path" | "stack.abs_path" => or(
            frame().and_then(|f| f.abs_path.or(f.filename).map(str::to_owned)),
            "<no-abs-path>",
        ),
        "stack.filename" => or(
            frame().and_then(|f| f.filename.or(f.abs_path).map(str::to_owned)),
            "<no-filename>",
        ),
        "module" | "stack.module" => or(
            frame().and_then(|f| f.module.map(str::to_owned)),
            "<no-module>",
        ),
        "package" | "stack.package" => or(
            frame().and_then(|f| f.package.map(str::to_owned)),
            "<no-package>",
        ),
        "level" => Some(level(event).to_owned()),
        "logger" => or(str_at(event, "logger").map(str::to_owned), "<no-logger>"),
        _ => {
            let name = var.strip_prefix("tags.")?;
            Some(
                tag(event, name)
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("<no-value-for-tag-{name}>")),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds() {
        assert_eq!(resolve(&json!({})), Fingerprint::Default);
        assert_eq!(resolve(&json!({"fingerprint": []})), Fingerprint::Default);
        assert_eq!(
            resolve(&json!({"fingerprint": ["{{default}}"]})),
            Fingerprint::Default
        );
        assert_eq!(
            resolve(&json!({"fingerprint": ["a", 3, 3.7, true, null]})),
            Fingerprint::Custom(vec!["a".into(), "3".into(), "3".into(), "True".into()])
        );
        assert_eq!(
            resolve(&json!({"fingerprint": ["{{ default }}", "x"]})),
            Fingerprint::Hybrid(vec![Entry::Default, Entry::Value("x".into())])
        );
    }

    #[test]
    fn variables() {
        let e = json!({
            "fingerprint": ["{{ type }}", "{{error.value}}", "{{ transaction }}", "{{ tags.region }}",
                            "{{ function }}", "{{ module }}", "{{ logger }}", "{{ level }}", "{{ nope }}",
                            "{{ tags.missing }}"],
            "level": "warning",
            "tags": [["region", "eu"]],
            "exception": {"values": [{"type": "E", "value": "v",
                "stacktrace": {"frames": [{"function": "f", "module": "m", "in_app": true}]}}]}
        });
        assert_eq!(
            resolve(&e),
            Fingerprint::Custom(
                [
                    "E",
                    "v",
                    "<no-transaction>",
                    "eu",
                    "f",
                    "m",
                    "<no-logger>",
                    "warning",
                    "{{ nope }}",
                    "<no-value-for-tag-missing>"
                ]
                .map(String::from)
                .to_vec()
            )
        );
    }

    #[test]
    fn message_variable() {
        let e = json!({"fingerprint": ["{{ message }}"], "logentry": {"formatted": "hello"}});
        assert_eq!(resolve(&e), Fingerprint::Custom(vec!["hello".into()]));
    }
}
