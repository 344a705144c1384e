//! Values derived from a normalized event: the built-in tags, the user key and the trace id.

use serde_json::{Map, Value};

use super::interfaces::clean_tag;
use super::level::Level;

/// Stable identity of the event's user for "distinct users": `id:…`, else `email:…`,
/// `username:…`, `ip:…`.
pub(crate) fn user_key(event: &Map<String, Value>) -> Option<String> {
    let user = event.get("user")?.as_object()?;
    [
        ("id", "id"),
        ("email", "email"),
        ("username", "username"),
        ("ip_address", "ip"),
    ]
    .into_iter()
    .find_map(|(field, prefix)| {
        let value = user.get(field)?.as_str()?.trim();
        (!value.is_empty()).then(|| format!("{prefix}:{value}"))
    })
}

/// The event's own tags plus the derived ones. The event's tags win on key conflicts, except
/// `level`, which always reflects the event's level.
pub(crate) fn merge_tags(
    own: Vec<(String, String)>,
    event: &Map<String, Value>,
    level: Level,
    user_key: Option<&str>,
) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = Vec::with_capacity(own.len() + 12);
    tags.push(("level".into(), level.as_str().into()));
    tags.extend(own.into_iter().filter(|(k, _)| k != "level"));
    let str_at = |path: &[&str]| -> Option<String> {
        let mut value = event.get(*path.first()?)?;
        for key in path.iter().skip(1) {
            value = value.get(key)?;
        }
        value.as_str().map(str::to_owned)
    };
    let name_version = |context: &str| {
        let name = str_at(&["contexts", context, "name"])?;
        Some(match str_at(&["contexts", context, "version"]) {
            Some(version) => format!("{name} {version}"),
            None => name,
        })
    };
    let mechanism = last_exception(event).and_then(|e| e.get("mechanism"));
    let derived = [
        ("environment", str_at(&["environment"])),
        ("release", str_at(&["release"])),
        ("server_name", str_at(&["server_name"])),
        ("transaction", str_at(&["transaction"])),
        ("logger", str_at(&["logger"])),
        ("os.name", str_at(&["contexts", "os", "name"])),
        ("runtime", name_version("runtime")),
        ("browser", name_version("browser")),
        ("user", user_key.map(str::to_owned)),
        (
            "handled",
            mechanism
                .and_then(|m| m.get("handled"))
                .and_then(Value::as_bool)
                .map(|handled| if handled { "yes" } else { "no" }.to_string()),
        ),
        (
            "mechanism",
            mechanism
                .and_then(|m| m.get("type"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        ),
    ];
    for (key, value) in derived {
        let Some((key, value)) = value.and_then(|v| clean_tag(key.to_owned(), v)) else {
            continue;
        };
        if !tags.iter().any(|(k, _)| *k == key) {
            tags.push((key, value));
        }
    }
    tags
}

/// The main exception: the last of `exception.values`.
pub(crate) fn last_exception(event: &Map<String, Value>) -> Option<&Value> {
    event.get("exception")?.get("values")?.as_array()?.last()
}

/// `contexts.trace.trace_id` as 32 lowercase hex.
pub(crate) fn trace_id(event: &Map<String, Value>) -> Option<String> {
    let raw = event
        .get("contexts")?
        .get("trace")?
        .get("trace_id")?
        .as_str()?;
    let hex = || raw.chars().filter(|c| *c != '-');
    (hex().count() == 32 && hex().all(|c| c.is_ascii_hexdigit()))
        .then(|| hex().map(|c| c.to_ascii_lowercase()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn user_key_priority() {
        assert_eq!(
            user_key(&map(json!({"user": {"id": "7", "email": "a@b"}}))).as_deref(),
            Some("id:7")
        );
        assert_eq!(
            user_key(&map(json!({"user": {"email": "a@b", "username": "ada"}}))).as_deref(),
            Some("email:a@b")
        );
        assert_eq!(
            user_key(&map(json!({"user": {"username": "ada"}}))).as_deref(),
            Some("username:ada")
        );
        assert_eq!(
            user_key(&map(json!({"user": {"ip_address": "10.0.0.1", "id": " "}}))).as_deref(),
            Some("ip:10.0.0.1")
        );
        assert_eq!(user_key(&map(json!({"user": {}}))), None);
        assert_eq!(user_key(&map(json!({}))), None);
    }

    #[test]
    fn derived_tags_and_conflicts() {
        let event = map(json!({
            "environment": "prod", "release": "app@1", "server_name": "web-1",
            "transaction": "/checkout", "logger": "app.payments",
            "contexts": {"os": {"name": "Linux"}, "runtime": {"name": "CPython", "version": "3.11.7"},
                         "browser": {"name": "Chrome"}},
            "exception": {"values": [
                {"type": "A", "mechanism": {"type": "generic", "handled": true}},
                {"type": "B", "mechanism": {"type": "excepthook", "handled": false}}
            ]}
        }));
        let own = vec![
            ("level".to_string(), "debug".to_string()),
            ("environment".to_string(), "mine".to_string()),
        ];
        let tags = merge_tags(own, &event, Level::Fatal, Some("id:42"));
        let expected: Vec<(String, String)> = [
            ("level", "fatal"),
            ("environment", "mine"),
            ("release", "app@1"),
            ("server_name", "web-1"),
            ("transaction", "/checkout"),
            ("logger", "app.payments"),
            ("os.name", "Linux"),
            ("runtime", "CPython 3.11.7"),
            ("browser", "Chrome"),
            ("user", "id:42"),
            ("handled", "no"),
            ("mechanism", "excepthook"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(tags, expected);
    }

    #[test]
    fn trace_ids() {
        assert_eq!(
            trace_id(&map(
                json!({"contexts": {"trace": {"trace_id": "61B06D363F884B3893036948E7B477AE"}}})
            ))
            .as_deref(),
            Some("61b06d363f884b3893036948e7b477ae")
        );
        assert_eq!(
            trace_id(&map(json!({"contexts": {"trace": {"trace_id": "short"}}}))),
            None
        );
    }
}
