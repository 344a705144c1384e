//! Strategy selection and variant assembly (§4.1, §4.2, §4.9, §4.10).
//!
//! Strategies run in priority order — chained exception, threads, top-level stacktrace, message —
//! and the first one that yields any contributing variant wins. Its variants (app before system;
//! `default` for messages) each give a hash. A custom fingerprint replaces all of this; a hybrid
//! fingerprint salts each variant with its extra values.

use serde_json::{json, Value};

use crate::component::{hash_values, Component};
use crate::event::{level, message, platform, top_stacktrace};
use crate::exception::{chained_exception_variants, parse_all};
use crate::fingerprint::{resolve, Entry, Fingerprint};
use crate::parameterize::normalize_message;
use crate::stacktrace::{threads_variants, top_level_stacktrace_variants};
use crate::{Grouping, GroupingConfig, GROUPING_VERSION};

/// Marker hashed (with the level) when an event has no grouping data at all.
const NO_DATA: &str = "<no grouping data>";

/// The `message` strategy: the normalized message template (or formatted message).
fn message_variants(event: &Value) -> Vec<(&'static str, Component)> {
    let (template, formatted) = message(event);
    let Some(raw) = template.or(formatted) else {
        return Vec::new();
    };
    let normalized = normalize_message(raw);
    if normalized.is_empty() {
        return Vec::new();
    }
    let changed = normalized != raw;
    let mut c = Component::leaf("message", normalized);
    if changed {
        c.set_hint("stripped event-specific values");
    }
    vec![("default", c)]
}

/// The contributing variants of the winning strategy, best first.
fn default_variants(event: &Value, config: &GroupingConfig) -> Vec<(&'static str, Component)> {
    let platform = platform(event);
    let strategies: [&dyn Fn() -> Vec<(&'static str, Component)>; 4] = [
        &|| chained_exception_variants(&parse_all(event, platform, config)),
        &|| {
            if crate::event::threads(event).is_empty() {
                Vec::new()
            } else {
                threads_variants(event, platform, config)
            }
        },
        &|| {
            top_stacktrace(event)
                .map(|st| top_level_stacktrace_variants(st, platform, config))
                .unwrap_or_default()
        },
        &|| message_variants(event),
    ];
    for strategy in strategies {
        let variants = strategy();
        if variants.iter().any(|(_, c)| c.contributes) {
            return variants
                .into_iter()
                .filter(|(_, c)| c.contributes)
                .collect();
        }
    }
    Vec::new()
}

fn push_unique(hashes: &mut Vec<String>, hash: String) {
    if !hashes.contains(&hash) {
        hashes.push(hash);
    }
}

fn fallback_values(event: &Value) -> [String; 2] {
    [level(event).to_owned(), NO_DATA.to_owned()]
}

/// Groups one event. See the crate docs.
pub(crate) fn group(event: &Value, config: &GroupingConfig) -> Grouping {
    let fingerprint = resolve(event);
    if let Fingerprint::Custom(values) = &fingerprint {
        return Grouping {
            version: GROUPING_VERSION,
            hashes: vec![hash_values(values)],
            variant: "custom-fingerprint".to_owned(),
            components: json!({
                "id": "custom-fingerprint",
                "contributes": true,
                "hint": "client-side fingerprint",
                "values": values,
            }),
        };
    }

    let variants = default_variants(event, config);
    let fallback = variants.is_empty();
    match fingerprint {
        Fingerprint::Hybrid(entries) => {
            // (name, values) per variant; `{{ default }}` expands to the variant's values.
            let per_variant: Vec<(String, Vec<String>, Value)> = if fallback {
                let values = fallback_values(event);
                vec![("fallback".to_owned(), values.to_vec(), fallback_json(event))]
            } else {
                variants
                    .iter()
                    .map(|(name, c)| {
                        let values = c.values().into_iter().map(str::to_owned).collect();
                        ((*name).to_owned(), values, c.to_json())
                    })
                    .collect()
            };
            let fingerprint_json: Vec<Value> = entries
                .iter()
                .map(|e| match e {
                    Entry::Default => Value::String("{{ default }}".to_owned()),
                    Entry::Value(v) => Value::String(v.clone()),
                })
                .collect();
            let mut hashes = Vec::new();
            for (_, default_values, _) in &per_variant {
                let salted = entries.iter().flat_map(|e| match e {
                    Entry::Default => default_values.clone(),
                    Entry::Value(v) => vec![v.clone()],
                });
                push_unique(&mut hashes, hash_values(salted));
            }
            let (name, _, tree) = per_variant.into_iter().next().unwrap_or_default();
            Grouping {
                version: GROUPING_VERSION,
                hashes,
                variant: format!("hybrid-fingerprint+{name}"),
                components: json!({
                    "id": "hybrid-fingerprint",
                    "contributes": true,
                    "hint": "client-side fingerprint with {{ default }}",
                    "values": [
                        {"id": "fingerprint", "contributes": true, "hint": null, "values": fingerprint_json},
                        tree,
                    ],
                }),
            }
        }
        _ if fallback => Grouping {
            version: GROUPING_VERSION,
            hashes: vec![hash_values(fallback_values(event))],
            variant: "fallback".to_owned(),
            components: fallback_json(event),
        },
        _ => {
            let mut hashes = Vec::new();
            for (_, c) in &variants {
                if let Some(h) = c.hash() {
                    push_unique(&mut hashes, h);
                }
            }
            let (name, tree) = variants
                .first()
                .map(|(n, c)| ((*n).to_owned(), c.to_json()))
                .unwrap_or_default();
            Grouping {
                version: GROUPING_VERSION,
                hashes,
                variant: name,
                components: tree,
            }
        }
    }
}

fn fallback_json(event: &Value) -> Value {
    json!({
        "id": "fallback",
        "contributes": true,
        "hint": "no exception, stacktrace or message to group by; grouped by level",
        "values": fallback_values(event),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn g(event: Value) -> Grouping {
        group(&event, &GroupingConfig::default())
    }

    #[test]
    fn exception_beats_threads_beats_stacktrace_beats_message() {
        let frames = json!({"frames": [{"module": "app.jobs", "function": "run", "in_app": true}]});
        let all = json!({
            "exception": [{"type": "E", "value": "v", "stacktrace": frames}],
            "threads": [{"id": 1, "current": true, "stacktrace": frames}],
            "stacktrace": frames,
            "message": "hello"
        });
        assert_eq!(g(all.clone()).components["id"], json!("exception"));
        let mut no_exc = all.clone();
        no_exc["exception"] = Value::Null;
        assert_eq!(g(no_exc.clone()).components["id"], json!("threads"));
        no_exc["threads"] = Value::Null;
        assert_eq!(g(no_exc.clone()).components["id"], json!("stacktrace"));
        no_exc["stacktrace"] = Value::Null;
        let m = g(no_exc);
        assert_eq!(
            (m.variant.as_str(), m.components["id"].clone()),
            ("default", json!("message"))
        );
    }

    #[test]
    fn exception_without_type_value_or_frames_falls_through_to_message() {
        let e = g(json!({"exception": [{"mechanism": {"type": "generic"}}], "message": "boom 1"}));
        assert_eq!(e.variant, "default");
        assert_eq!(e.hashes, vec![hash_values(["boom <int>"])]);
    }

    #[test]
    fn message_template_is_preferred_over_formatted() {
        let a =
            g(json!({"logentry": {"message": "user %s failed", "formatted": "user bob failed"}}));
        let b =
            g(json!({"logentry": {"message": "user %s failed", "formatted": "user eve failed"}}));
        assert_eq!(a.hashes, b.hashes);
        assert_eq!(a.hashes, vec![hash_values(["user %s failed"])]);
    }

    #[test]
    fn app_and_system_hashes_are_distinct_and_ordered() {
        let e = g(
            json!({"platform": "python", "exception": [{"type": "E", "stacktrace": {"frames": [
            {"module": "django.core", "function": "handle", "abs_path": "/venv/lib/python3.12/site-packages/django/core.py"},
            {"module": "app.views", "function": "index", "in_app": true}]}}]}),
        );
        assert_eq!(e.variant, "app");
        assert_eq!(
            e.hashes,
            vec![
                hash_values(["app.views", "index", "E"]),
                hash_values(["django.core", "handle", "app.views", "index", "E"]),
            ]
        );
    }

    #[test]
    fn fallback_and_hybrid_fallback() {
        let f = g(json!({"level": "warning"}));
        assert_eq!(f.variant, "fallback");
        assert_eq!(f.hashes, vec![hash_values(["warning", NO_DATA])]);
        let h = g(json!({"level": "warning", "fingerprint": ["{{ default }}", "x"]}));
        assert_eq!(h.variant, "hybrid-fingerprint+fallback");
        assert_eq!(h.hashes, vec![hash_values(["warning", NO_DATA, "x"])]);
    }

    #[test]
    fn hybrid_salts_every_variant() {
        let e = g(
            json!({"fingerprint": ["{{ default }}", "t"], "exception": [{"type": "E", "stacktrace": {"frames": [
            {"module": "lib", "function": "f"}, {"module": "app", "function": "g", "in_app": true}]}}]}),
        );
        assert_eq!(e.variant, "hybrid-fingerprint+app");
        assert_eq!(
            e.hashes,
            vec![
                hash_values(["app", "g", "E", "t"]),
                hash_values(["lib", "f", "app", "g", "E", "t"]),
            ]
        );
        assert_eq!(
            e.components["values"][0]["values"],
            json!(["{{ default }}", "t"])
        );
    }
}
