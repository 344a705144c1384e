//! Strategy selection and variant assembly (§4.1, §4.2, §4.9, §4.10).
//!
//! Strategies run in priority order — chained exception, threads, top-level stacktrace, message —
//! and the first one that yields any contributing variant wins. Its variants (app before system;
//! `default` for messages) each give a hash. A custom fingerprint replaces all of this; a hybrid
//! fingerprint salts each variant with its extra values.

use md5::{Digest, Md5};
use serde_json::Value;

use crate::component::{hash_values, Components, LeafComponent};
use crate::event::{level, message, platform, top_stacktrace};
use crate::exception::Chain;
use crate::fingerprint::{resolve, Entry, Fingerprint};
use crate::parameterize::normalize_message_cow;
use crate::stacktrace::{threads_variants, top_level_stacktrace_variants};
use crate::{Grouping, GroupingConfig, GROUPING_VERSION};

/// Marker hashed (with the level) when an event has no grouping data at all.
const NO_DATA: &str = "<no grouping data>";

/// The `message` strategy: the normalized message template (or formatted message).
fn message_variants(event: &Value) -> Vec<(&'static str, Components)> {
    let (template, formatted) = message(event);
    let Some(raw) = template.or(formatted) else {
        return Vec::new();
    };
    let normalized = normalize_message_cow(raw);
    if normalized.is_empty() {
        return Vec::new();
    }
    let changed = normalized != raw;
    let mut c = LeafComponent::new("message", normalized);
    if changed {
        c.hint = Some("stripped event-specific values");
    }
    let mut tree = Components::with_capacity(2, raw.len() + 16);
    tree.push(&c);
    vec![("default", tree)]
}

/// The contributing variants of the winning strategy, best first.
fn default_variants(
    event: &Value,
    config: &GroupingConfig,
    chain: &Chain<'_>,
) -> Vec<(&'static str, Components)> {
    let platform = platform(event);
    let strategies: [&dyn Fn() -> Vec<(&'static str, Components)>; 4] = [
        &|| chain.variants(),
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
        if variants.iter().any(|(_, c)| c.contributes()) {
            return variants
                .into_iter()
                .filter(|(_, c)| c.contributes())
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

fn fallback_values(event: &Value) -> [&str; 2] {
    [level(event), NO_DATA]
}

/// The `fallback` component: the level and the no-data marker.
fn fallback_tree(event: &Value) -> Components {
    let mut tree = Components::with_capacity(3, 32);
    let root = tree.begin("fallback");
    for value in fallback_values(event) {
        tree.push_leaf(value);
    }
    tree.end(root);
    tree.set_hint(
        root,
        "no exception, stacktrace or message to group by; grouped by level",
    );
    tree
}

/// Groups one event. See the crate docs.
pub(crate) fn group(event: &Value, config: &GroupingConfig) -> Grouping {
    match resolve(event) {
        Fingerprint::Custom(values) => custom(&values),
        fingerprint => {
            let chain = Chain::new(event, platform(event), config);
            group_with_chain(event, config, fingerprint, &chain)
        }
    }
}

/// A custom fingerprint: its values alone.
pub(crate) fn custom(values: &[String]) -> Grouping {
    let mut tree = Components::default();
    let root = tree.begin("custom-fingerprint");
    for value in values {
        tree.push_leaf(value);
    }
    tree.end(root);
    tree.set_flags(root, true, Some("client-side fingerprint"));
    Grouping {
        version: GROUPING_VERSION,
        hashes: vec![hash_values(values)],
        variant: "custom-fingerprint".to_owned(),
        components: tree,
    }
}

/// Groups an event whose fingerprint is not custom, given its exceptions.
pub(crate) fn group_with_chain(
    event: &Value,
    config: &GroupingConfig,
    fingerprint: Fingerprint,
    chain: &Chain<'_>,
) -> Grouping {
    let variants = default_variants(event, config, chain);
    match fingerprint {
        Fingerprint::Hybrid(entries) => hybrid(event, &entries, variants),
        _ if variants.is_empty() => Grouping {
            version: GROUPING_VERSION,
            hashes: vec![hash_values(fallback_values(event))],
            variant: "fallback".to_owned(),
            components: fallback_tree(event),
        },
        _ => {
            let mut hashes = Vec::with_capacity(variants.len());
            for (_, c) in &variants {
                if let Some(h) = c.hash() {
                    push_unique(&mut hashes, h);
                }
            }
            let (name, tree) = variants
                .into_iter()
                .next()
                .map(|(n, c)| (n.to_owned(), c))
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

/// A hybrid fingerprint: every variant (or the fallback) salted with the fingerprint's values;
/// `{{ default }}` stands for the variant's values.
fn hybrid(
    event: &Value,
    entries: &[Entry],
    mut variants: Vec<(&'static str, Components)>,
) -> Grouping {
    if variants.is_empty() {
        variants.push(("fallback", fallback_tree(event)));
    }
    let mut hashes = Vec::with_capacity(variants.len());
    for (_, tree) in &variants {
        let mut md5 = Md5::new();
        for entry in entries {
            match entry {
                Entry::Default => tree.feed(&mut md5),
                Entry::Value(v) => md5.update(v.as_bytes()),
            }
        }
        push_unique(&mut hashes, hex::encode(md5.finalize()));
    }
    let mut tree = Components::default();
    let root = tree.begin("hybrid-fingerprint");
    let fingerprint = tree.begin("fingerprint");
    for entry in entries {
        tree.push_leaf(match entry {
            Entry::Default => "{{ default }}",
            Entry::Value(v) => v,
        });
    }
    tree.end(fingerprint);
    tree.set_flags(fingerprint, true, None);
    let name = match variants.first() {
        Some((name, primary)) => {
            tree.append(primary);
            *name
        }
        None => "",
    };
    tree.end(root);
    tree.set_flags(
        root,
        true,
        Some("client-side fingerprint with {{ default }}"),
    );
    Grouping {
        version: GROUPING_VERSION,
        hashes,
        variant: format!("hybrid-fingerprint+{name}"),
        components: tree,
    }
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
