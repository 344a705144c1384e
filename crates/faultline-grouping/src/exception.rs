//! The `chained-exception` strategy (§4.5, §4.6): one component per exception (type, frames,
//! and the normalized value when no frame contributes), concatenated in the order sent, after
//! the exception-group filter.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::component::Component;
use crate::event::{exceptions, str_field};
use crate::frame::Frame;
use crate::parameterize::normalize_message;
use crate::stacktrace::{parse_frames, prefer_stacktrace_variants, stacktrace_components, Variant};
use crate::GroupingConfig;

/// One exception as read from the event.
pub(crate) struct Exception<'a> {
    pub(crate) raw: &'a Map<String, Value>,
    pub(crate) ty: Option<&'a str>,
    pub(crate) value: Option<&'a str>,
    pub(crate) synthetic: bool,
    /// `None` when the exception has no `stacktrace` at all.
    pub(crate) frames: Option<Vec<Frame<'a>>>,
    exception_id: Option<i64>,
    parent_id: Option<i64>,
    is_group: bool,
}

impl<'a> Exception<'a> {
    pub(crate) fn parse(
        raw: &'a Map<String, Value>,
        platform: &'a str,
        config: &GroupingConfig,
    ) -> Self {
        let mechanism = raw.get("mechanism").and_then(Value::as_object);
        let mech_bool =
            |k: &str| mechanism.and_then(|m| m.get(k)).and_then(Value::as_bool) == Some(true);
        let mech_int = |k: &str| mechanism.and_then(|m| m.get(k)).and_then(Value::as_i64);
        let stacktrace = raw.get("stacktrace").filter(|v| !v.is_null());
        Exception {
            raw,
            ty: str_field(raw, "type"),
            value: str_field(raw, "value"),
            synthetic: mech_bool("synthetic"),
            frames: stacktrace.map(|st| parse_frames(Some(st), platform, config)),
            exception_id: mech_int("exception_id"),
            parent_id: mech_int("parent_id"),
            is_group: mech_bool("is_exception_group"),
        }
    }

    fn mechanism(&self) -> Option<&'a Map<String, Value>> {
        self.raw.get("mechanism").and_then(Value::as_object)
    }

    /// `ns-error` component (domain, code) from `mechanism.meta.ns_error`.
    fn ns_error_component(&self) -> Option<Component> {
        let ns = self
            .mechanism()?
            .get("meta")?
            .get("ns_error")?
            .as_object()?;
        let domain = str_field(ns, "domain")?;
        let code = match ns.get("code") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => return None,
        };
        Some(Component::from_parts(
            "ns-error",
            vec![
                crate::component::Part::Leaf(domain.to_owned()),
                crate::component::Part::Leaf(code),
            ],
        ))
    }

    /// The `exception` components of the app and system variants.
    pub(crate) fn components(&self) -> [Component; 2] {
        let stacktraces = self
            .frames
            .as_ref()
            .map(|frames| stacktrace_components(frames));
        let mut ty = match self.ty {
            Some(t) => Component::leaf("type", t),
            None => Component::empty("type"),
        };
        if self.synthetic && ty.contributes {
            ty.ignore("ignored because exception is synthetic");
        }
        let ns_error = self.ns_error_component();
        let mut value = Component::empty("value");
        if let Some(raw) = self.value {
            let normalized = normalize_message(raw);
            if !normalized.is_empty() {
                let changed = normalized != raw;
                value = Component::leaf("value", normalized);
                if changed {
                    value.set_hint("stripped event-specific values");
                }
            }
        }
        if value.contributes && ns_error.as_ref().is_some_and(|n| n.contributes) {
            value.ignore("ignored because ns-error info takes precedence");
        }
        let build = |stacktrace: Option<Component>| {
            let mut value = value.clone();
            if value.contributes && stacktrace.as_ref().is_some_and(|s| s.contributes) {
                value.ignore("ignored because stacktrace takes precedence");
            }
            let mut children = Vec::with_capacity(4);
            children.extend(stacktrace);
            children.push(ty.clone());
            children.extend(ns_error.clone());
            children.push(value);
            Component::node("exception", children)
        };
        match stacktraces {
            Some([app, system]) => [build(Some(app)), build(Some(system))],
            None => [build(None), build(None)],
        }
    }
}

/// Result of the exception-group filter: which exceptions to group by, and the main one.
struct Filtered {
    indices: Vec<usize>,
    main: Option<usize>,
}

/// Exception-group filter (§4.6). `keys[i]` is the system hash of exception `i`.
fn filter_exception_groups(excs: &[Exception<'_>], keys: &[String]) -> Filtered {
    let all = Filtered {
        indices: (0..excs.len()).collect(),
        main: None,
    };
    if excs.len() < 2 {
        return all;
    }
    let mut by_id: HashMap<i64, usize> = HashMap::new();
    let mut children: HashMap<i64, Vec<usize>> = HashMap::new();
    // Walk newest → oldest so children come out in the order the SDK listed them.
    for (i, e) in excs.iter().enumerate().rev() {
        let Some(id) = e.exception_id else { return all };
        if by_id.insert(id, i).is_some() {
            return all;
        }
        if let Some(parent) = e.parent_id {
            children.entry(parent).or_default().push(i);
        }
    }
    let Some(&root) = by_id.get(&0) else {
        return all;
    };

    // Top-level exceptions: the first non-group descendants of the root.
    let mut top = Vec::new();
    let mut stack = vec![root];
    let mut visited = 0usize;
    while let Some(i) = stack.pop() {
        visited += 1;
        if visited > excs.len() {
            return all; // malformed tree (cycle)
        }
        let Some(e) = excs.get(i) else { return all };
        if e.is_group {
            let kids = e
                .exception_id
                .and_then(|id| children.get(&id))
                .cloned()
                .unwrap_or_default();
            stack.extend(kids.into_iter().rev());
        } else {
            top.push(i);
        }
    }
    // Sort by type (descending, stable) and keep one per distinct component hash.
    let ty = |i: usize| excs.get(i).and_then(|e| e.ty).unwrap_or("");
    top.sort_by(|a, b| ty(*b).cmp(ty(*a)));
    let mut distinct: Vec<usize> = Vec::new();
    for i in top {
        if distinct.last().map(|&d| keys.get(d)) != Some(keys.get(i)) {
            distinct.push(i);
        }
    }
    match distinct.as_slice() {
        [] => all,
        [only] => {
            // The exception and its first-child path.
            let mut path = vec![*only];
            let mut cur = *only;
            let first_child = |i: usize| {
                excs.get(i)
                    .and_then(|e| e.exception_id)
                    .and_then(|id| children.get(&id))
                    .and_then(|k| k.first().copied())
            };
            while let Some(next) = first_child(cur) {
                if path.contains(&next) {
                    break;
                }
                path.push(next);
                cur = next;
            }
            Filtered {
                indices: path,
                main: Some(*only),
            }
        }
        many => {
            // One of each distinct top-level exception, then the root group.
            let mut indices = many.to_vec();
            indices.push(root);
            Filtered {
                indices,
                main: None,
            }
        }
    }
}

/// Exceptions of the event, parsed.
pub(crate) fn parse_all<'a>(
    event: &'a Value,
    platform: &'a str,
    config: &GroupingConfig,
) -> Vec<Exception<'a>> {
    // Sentry exempts Python SDK 3.x events from the exception-group filter (their chains gained
    // ids that older SDKs did not send); we do the same so both group alike.
    let python_sdk_3 = platform == "python"
        && event
            .get("sdk")
            .and_then(|s| s.get("version"))
            .and_then(Value::as_str)
            .is_some_and(|v| v.starts_with('3'));
    exceptions(event)
        .into_iter()
        .map(|raw| {
            let mut e = Exception::parse(raw, platform, config);
            if python_sdk_3 {
                e.exception_id = None;
            }
            e
        })
        .collect()
}

/// Index of the main exception for titles: the one chosen by the exception-group filter, else
/// the last (newest) one.
pub(crate) fn main_exception_index(excs: &[Exception<'_>]) -> Option<usize> {
    let last = excs.len().checked_sub(1);
    // The filter needs ids on every exception; skip hashing when it cannot apply.
    if excs.len() < 2 || excs.iter().any(|e| e.exception_id.is_none()) {
        return last;
    }
    let keys: Vec<String> = excs
        .iter()
        .map(|e| {
            let [_, system] = e.components();
            system.hash().unwrap_or_default()
        })
        .collect();
    filter_exception_groups(excs, &keys).main.or(last)
}

/// The `chained-exception` strategy: `app` and `system` variants.
pub(crate) fn chained_exception_variants(excs: &[Exception<'_>]) -> Vec<(&'static str, Component)> {
    if excs.is_empty() {
        return Vec::new();
    }
    let per_exception: Vec<[Component; 2]> = excs.iter().map(Exception::components).collect();
    let keys: Vec<String> = per_exception
        .iter()
        .map(|[_, system]| system.hash().unwrap_or_default())
        .collect();
    let filtered = filter_exception_groups(excs, &keys);

    let mut out: Vec<(&'static str, Component)> = Variant::BOTH
        .iter()
        .enumerate()
        .map(|(slot, variant)| {
            let mut comps: Vec<Component> = filtered
                .indices
                .iter()
                .filter_map(|&i| {
                    per_exception
                        .get(i)
                        .and_then(|pair| pair.get(slot))
                        .cloned()
                })
                .collect();
            let component = if comps.len() == 1 {
                comps.remove(0)
            } else {
                Component::node("chained-exception", comps)
            };
            (variant.name(), component)
        })
        .collect();
    prefer_stacktrace_variants(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn variants(event: &Value) -> Vec<(&'static str, Component)> {
        let config = GroupingConfig::default();
        let excs = parse_all(event, "python", &config);
        chained_exception_variants(&excs)
    }

    #[test]
    fn value_used_only_without_frames() {
        let e = json!({"exception": [{"type": "E", "value": "bad 42"}]});
        let v = variants(&e);
        assert_eq!(v[1].1.values(), ["E", "bad <int>"]);
        let e = json!({"exception": [{"type": "E", "value": "bad 42",
            "stacktrace": {"frames": [{"module": "m", "function": "f", "in_app": true}]}}]});
        let v = variants(&e);
        assert_eq!(v[0].1.values(), ["m", "f", "E"]);
    }

    #[test]
    fn app_variant_dropped_without_in_app_frames() {
        let e = json!({"exception": [{"type": "E", "value": "x",
            "stacktrace": {"frames": [{"module": "lib", "function": "f"}]}}]});
        let v = variants(&e);
        assert!(!v[0].1.contributes);
        assert_eq!(v[1].1.values(), ["lib", "f", "E"]);
    }

    #[test]
    fn synthetic_type_ignored() {
        let e = json!({"exception": [{"type": "SIGSEGV", "value": "Segfault",
            "mechanism": {"type": "signalhandler", "synthetic": true}}]});
        assert_eq!(variants(&e)[1].1.values(), ["Segfault"]);
    }

    #[test]
    fn exception_group_single_distinct_leaf() {
        let leaf = |id: i64| {
            json!({"type": "ValueError", "value": format!("bad {id}"),
            "mechanism": {"type": "chained", "exception_id": id, "parent_id": 0, "source": format!("exceptions[{}]", id - 1)}})
        };
        let e = json!({"exception": [leaf(2), leaf(1),
            {"type": "ExceptionGroup", "value": "many", "mechanism": {"type": "generic", "exception_id": 0, "is_exception_group": true}}]});
        let config = GroupingConfig::default();
        let excs = parse_all(&e, "python", &config);
        assert_eq!(main_exception_index(&excs), Some(1));
        let v = chained_exception_variants(&excs);
        assert_eq!(v[1].1.id, "exception");
        assert_eq!(v[1].1.values(), ["ValueError", "bad <int>"]);
    }

    #[test]
    fn exception_group_distinct_leaves_keep_root() {
        let e = json!({"exception": [
            {"type": "KeyError", "value": "k", "mechanism": {"type": "chained", "exception_id": 2, "parent_id": 0}},
            {"type": "ValueError", "value": "v", "mechanism": {"type": "chained", "exception_id": 1, "parent_id": 0}},
            {"type": "ExceptionGroup", "value": "many", "mechanism": {"type": "generic", "exception_id": 0, "is_exception_group": true}}]});
        let v = variants(&e);
        assert_eq!(
            v[1].1.values(),
            ["ValueError", "v", "KeyError", "k", "ExceptionGroup", "many"]
        );
    }
}
