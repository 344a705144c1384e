//! The `chained-exception` strategy (§4.5, §4.6): one component per exception (type, frames,
//! and the normalized value when no frame contributes), concatenated in the order sent, after
//! the exception-group filter.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::component::{Components, LeafComponent};
use crate::event::{exceptions, frames_of, str_field};
use crate::frame::Frame;
use crate::parameterize::normalize_message_cow;
use crate::stacktrace::{parse_frames, prefer_stacktrace_variants, Stack, Variant};
use crate::GroupingConfig;

/// One exception as read from the event.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exception<'a> {
    pub(crate) raw: &'a Map<String, Value>,
    pub(crate) ty: Option<&'a str>,
    pub(crate) value: Option<&'a str>,
    pub(crate) synthetic: bool,
    /// `None` when the exception has no `stacktrace` at all.
    pub(crate) stacktrace: Option<&'a Value>,
    exception_id: Option<i64>,
    parent_id: Option<i64>,
    is_group: bool,
}

impl<'a> Exception<'a> {
    pub(crate) fn parse(raw: &'a Map<String, Value>) -> Self {
        let mechanism = raw.get("mechanism").and_then(Value::as_object);
        let mech_bool =
            |k: &str| mechanism.and_then(|m| m.get(k)).and_then(Value::as_bool) == Some(true);
        let mech_int = |k: &str| mechanism.and_then(|m| m.get(k)).and_then(Value::as_i64);
        Exception {
            raw,
            ty: str_field(raw, "type"),
            value: str_field(raw, "value"),
            synthetic: mech_bool("synthetic"),
            stacktrace: raw.get("stacktrace").filter(|v| !v.is_null()),
            exception_id: mech_int("exception_id"),
            parent_id: mech_int("parent_id"),
            is_group: mech_bool("is_exception_group"),
        }
    }

    /// True when the stacktrace holds at least one frame.
    pub(crate) fn has_frames(&self) -> bool {
        frames_of(self.stacktrace).next().is_some()
    }

    /// `mechanism.meta.ns_error`: domain and code.
    fn ns_error(&self) -> Option<(&'a str, Cow<'a, str>)> {
        let ns = self
            .raw
            .get("mechanism")?
            .get("meta")?
            .get("ns_error")?
            .as_object()?;
        let domain = str_field(ns, "domain")?;
        let code = match ns.get("code") {
            Some(Value::Number(n)) => Cow::Owned(n.to_string()),
            Some(Value::String(s)) => Cow::Borrowed(s.as_str()),
            _ => return None,
        };
        Some((domain, code))
    }
}

/// The parts of an exception's component, computed once for the variants to build.
struct ExceptionComponent<'a> {
    /// The variants whose trees may be built.
    variants: &'static [Variant],
    /// `None` when the exception has no `stacktrace` at all.
    stack: Option<Stack<'a>>,
    ty: LeafComponent<'a>,
    ns_error: Option<(&'a str, Cow<'a, str>)>,
    value: LeafComponent<'a>,
}

impl<'a> ExceptionComponent<'a> {
    /// The parts of the component, for building the trees of `variants` (only those).
    fn new(
        exception: &Exception<'a>,
        platform: &'a str,
        config: &GroupingConfig,
        variants: &'static [Variant],
    ) -> Self {
        let stack = exception
            .stacktrace
            .map(|st| Stack::new(parse_frames(Some(st), platform, config)));
        let mut ty = match exception.ty {
            Some(t) => LeafComponent::new("type", t),
            None => LeafComponent::empty("type"),
        };
        if exception.synthetic && ty.contributes {
            ty.ignore("ignored because exception is synthetic");
        }
        let ns_error = exception.ns_error();
        // The value is ignored when ns-error info is present, and in a variant whose stack
        // contributes. Ignored in every variant built, it is only shown: normalize it when read.
        let value_ignored = ns_error.is_some()
            || stack
                .as_ref()
                .is_some_and(|s| variants.iter().all(|&v| s.contributes(v)));
        let mut value = LeafComponent::empty("value");
        match exception.value {
            Some(raw) if value_ignored => value = LeafComponent::raw_message("value", raw),
            Some(raw) => {
                let normalized = normalize_message_cow(raw);
                if !normalized.is_empty() {
                    let changed = normalized != raw;
                    value = LeafComponent::new("value", normalized);
                    if changed {
                        value.hint = Some("stripped event-specific values");
                    }
                }
            }
            None => {}
        }
        if value.contributes && ns_error.is_some() {
            value.ignore("ignored because ns-error info takes precedence");
        }
        ExceptionComponent {
            variants,
            stack,
            ty,
            ns_error,
            value,
        }
    }

    /// The `exception` component of one variant.
    fn tree(&self, variant: Variant) -> Components {
        debug_assert!(
            self.variants.contains(&variant),
            "{variant:?} was not prepared"
        );
        let mut tree = match &self.stack {
            Some(stack) => stack.tree_with_capacity(8),
            None => Components::with_capacity(8, 128),
        };
        let exception = tree.begin("exception");
        let stack_contributes = self.stack.as_ref().is_some_and(|stack| {
            let node = stack.push_to(&mut tree, variant);
            tree.contributes_at(node)
        });
        tree.push(&self.ty);
        if let Some((domain, code)) = &self.ns_error {
            let ns_error = tree.begin("ns-error");
            tree.push_leaf(domain);
            tree.push_leaf(code);
            tree.end(ns_error);
        }
        if self.value.contributes && stack_contributes {
            let mut value = self.value.clone();
            value.ignore("ignored because stacktrace takes precedence");
            tree.push(&value);
        } else {
            tree.push(&self.value);
        }
        tree.end(exception);
        tree
    }
}

/// Result of the exception-group filter: which exceptions to group by, and the main one.
struct Filtered {
    indices: Vec<usize>,
    main: Option<usize>,
}

/// The system hash of an exception, `None` when it does not contribute.
type Key = Option<[u8; 16]>;

/// Exception-group filter (§4.6). `key(i)` gives the system hash of exception `i`; it is only
/// asked for top-level exceptions that need comparing.
fn filter_exception_groups(excs: &[Exception<'_>], mut key: impl FnMut(usize) -> Key) -> Filtered {
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
    let mut last_key: Option<Key> = None;
    for i in top {
        let Some(&last) = distinct.last() else {
            distinct.push(i);
            continue;
        };
        let previous = last_key.unwrap_or_else(|| key(last));
        let current = key(i);
        if current != previous {
            distinct.push(i);
        }
        last_key = Some(current);
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
pub(crate) fn parse_all<'a>(event: &'a Value, platform: &str) -> Vec<Exception<'a>> {
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
            let mut e = Exception::parse(raw);
            if python_sdk_3 {
                e.exception_id = None;
            }
            e
        })
        .collect()
}

/// The system hash of an exception computed on its own (see [`Chain::key`]).
pub(crate) fn system_key(
    exception: &Exception<'_>,
    platform: &str,
    config: &GroupingConfig,
) -> Key {
    ExceptionComponent::new(exception, platform, config, &[Variant::System])
        .tree(Variant::System)
        .digest()
}

/// Index of the main exception for titles: the one chosen by the exception-group filter, else
/// the last (newest) one. `key(i)` gives the system hash of exception `i`.
pub(crate) fn main_exception_index(
    excs: &[Exception<'_>],
    key: impl FnMut(usize) -> Key,
) -> Option<usize> {
    let last = excs.len().checked_sub(1);
    filter_exception_groups(excs, key).main.or(last)
}

/// An event's exceptions with their components (frames read, stack rules applied): the input of
/// the `chained-exception` strategy, which the issue metadata can reuse.
pub(crate) struct Chain<'a> {
    pub(crate) exceptions: Vec<Exception<'a>>,
    components: Vec<ExceptionComponent<'a>>,
}

impl<'a> Chain<'a> {
    pub(crate) fn new(event: &'a Value, platform: &'a str, config: &GroupingConfig) -> Self {
        let exceptions = parse_all(event, platform);
        let components = exceptions
            .iter()
            .map(|e| ExceptionComponent::new(e, platform, config, &Variant::BOTH))
            .collect();
        Chain {
            exceptions,
            components,
        }
    }

    /// The frames of exception `i`, `None` when it has no stacktrace.
    pub(crate) fn frames(&self, i: usize) -> Option<&[Frame<'a>]> {
        self.components.get(i)?.stack.as_ref().map(Stack::frames)
    }

    /// The system hash of exception `i`, `None` when it does not contribute.
    pub(crate) fn key(&self, i: usize) -> Key {
        self.components.get(i)?.tree(Variant::System).digest()
    }

    /// The `chained-exception` strategy: `app` and `system` variants.
    pub(crate) fn variants(&self) -> Vec<(&'static str, Components)> {
        if self.exceptions.is_empty() {
            return Vec::new();
        }
        let mut per_exception: Vec<[Components; 2]> = self
            .components
            .iter()
            .map(|component| Variant::BOTH.map(|variant| component.tree(variant)))
            .collect();
        let key = |i: usize| per_exception.get(i).and_then(|[_, system]| system.digest());
        let filtered = filter_exception_groups(&self.exceptions, key);

        let mut out: Vec<(&'static str, Components)> = Variant::BOTH
            .iter()
            .enumerate()
            .map(|(slot, variant)| {
                let tree = match filtered.indices.as_slice() {
                    [only] => per_exception
                        .get_mut(*only)
                        .and_then(|pair| pair.get_mut(slot))
                        .map(std::mem::take)
                        .unwrap_or_default(),
                    indices => {
                        let chosen = || {
                            indices
                                .iter()
                                .filter_map(|&i| per_exception.get(i)?.get(slot))
                        };
                        let (nodes, text) = chosen()
                            .fold((1, 0), |(n, t), c| (n + c.node_count(), t + c.text_len()));
                        let mut tree = Components::with_capacity(nodes, text);
                        let chain = tree.begin("chained-exception");
                        for c in chosen() {
                            tree.append(c);
                        }
                        tree.end(chain);
                        tree
                    }
                };
                (variant.name(), tree)
            })
            .collect();
        prefer_stacktrace_variants(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn variants(event: &Value) -> Vec<(&'static str, Components)> {
        Chain::new(event, "python", &GroupingConfig::default()).variants()
    }

    fn values(tree: &Components) -> Vec<String> {
        tree.values().map(|v| v.into_owned()).collect()
    }

    #[test]
    fn value_used_only_without_frames() {
        let e = json!({"exception": [{"type": "E", "value": "bad 42"}]});
        let v = variants(&e);
        assert_eq!(values(&v[1].1), ["E", "bad <int>"]);
        let e = json!({"exception": [{"type": "E", "value": "bad 42",
            "stacktrace": {"frames": [{"module": "m", "function": "f", "in_app": true}]}}]});
        let v = variants(&e);
        assert_eq!(values(&v[0].1), ["m", "f", "E"]);
    }

    #[test]
    fn app_variant_dropped_without_in_app_frames() {
        let e = json!({"exception": [{"type": "E", "value": "x",
            "stacktrace": {"frames": [{"module": "lib", "function": "f"}]}}]});
        let v = variants(&e);
        assert!(!v[0].1.contributes());
        assert_eq!(values(&v[1].1), ["lib", "f", "E"]);
    }

    #[test]
    fn synthetic_type_ignored() {
        let e = json!({"exception": [{"type": "SIGSEGV", "value": "Segfault",
            "mechanism": {"type": "signalhandler", "synthetic": true}}]});
        assert_eq!(values(&variants(&e)[1].1), ["Segfault"]);
    }

    #[test]
    fn exception_group_single_distinct_leaf() {
        let leaf = |id: i64| {
            json!({"type": "ValueError", "value": format!("bad {id}"),
            "mechanism": {"type": "chained", "exception_id": id, "parent_id": 0, "source": format!("exceptions[{}]", id - 1)}})
        };
        let e = json!({"exception": [leaf(2), leaf(1),
            {"type": "ExceptionGroup", "value": "many", "mechanism": {"type": "generic", "exception_id": 0, "is_exception_group": true}}]});
        let chain = Chain::new(&e, "python", &GroupingConfig::default());
        let key = |i| chain.key(i);
        assert_eq!(main_exception_index(&chain.exceptions, key), Some(1));
        let v = chain.variants();
        assert_eq!(v[1].1.id(), "exception");
        assert_eq!(values(&v[1].1), ["ValueError", "bad <int>"]);
    }

    #[test]
    fn exception_group_distinct_leaves_keep_root() {
        let e = json!({"exception": [
            {"type": "KeyError", "value": "k", "mechanism": {"type": "chained", "exception_id": 2, "parent_id": 0}},
            {"type": "ValueError", "value": "v", "mechanism": {"type": "chained", "exception_id": 1, "parent_id": 0}},
            {"type": "ExceptionGroup", "value": "many", "mechanism": {"type": "generic", "exception_id": 0, "is_exception_group": true}}]});
        let v = variants(&e);
        assert_eq!(
            values(&v[1].1),
            ["ValueError", "v", "KeyError", "k", "ExceptionGroup", "many"]
        );
    }
}
