//! Stacktrace components and the app/system variants (§4.4), plus the threads strategy (§4.7).

use serde_json::{Map, Value};

use crate::component::{Components, NodeId, ROOT};
use crate::event::{exceptions, frames_of, platform, str_field, threads, top_stacktrace, Family};
use crate::frame::{frame_component, Frame, FrameComponent};
use crate::inapp::apply_builtin_rules;
use crate::GroupingConfig;

/// The two stacktrace variants: only in-app frames, or all frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    App,
    System,
}

impl Variant {
    pub(crate) const BOTH: [Variant; 2] = [Variant::App, Variant::System];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Variant::App => "app",
            Variant::System => "system",
        }
    }
}

/// Reads a stacktrace's frames and applies the stack rules.
pub(crate) fn parse_frames<'a>(
    stacktrace: Option<&'a Value>,
    platform: &'a str,
    config: &GroupingConfig,
) -> Vec<Frame<'a>> {
    let mut frames: Vec<Frame<'a>> = frames_of(stacktrace)
        .map(|raw| Frame::parse(raw, platform))
        .collect();
    if config.builtin_stack_rules {
        apply_builtin_rules(&mut frames);
    }
    frames
}

/// A stack's frames with their components, computed once for both variants.
pub(crate) struct Stack<'a> {
    frames: Vec<Frame<'a>>,
    /// The system variant's frame components: the stack-level rules (recursion, built-in
    /// rules, a lone JavaScript frame) are applied.
    components: Vec<FrameComponent<'a>>,
}

impl<'a> Stack<'a> {
    pub(crate) fn new(frames: Vec<Frame<'a>>) -> Self {
        let mut components = Vec::with_capacity(frames.len());
        let mut prev: Option<&Frame<'_>> = None;
        for frame in &frames {
            let mut c = frame_component(frame);
            if prev.is_some_and(|p| p.same_call_site(frame)) {
                c.ignore("ignored due to recursion");
            }
            if !frame.group {
                c.ignore("ignored by a built-in stack trace rule");
            }
            components.push(c);
            prev = Some(frame);
        }
        if let ([frame], [only]) = (frames.as_slice(), components.as_mut_slice()) {
            if only.contributes
                && frame.family() == Family::JavaScript
                && frame.function.is_none()
                && frame.has_url_origin()
            {
                only.ignore("ignored single JavaScript frame without function");
            }
        }
        Stack { frames, components }
    }

    /// The stack's frames, with the flags the stack rules set.
    pub(crate) fn frames(&self) -> &[Frame<'a>] {
        &self.frames
    }

    /// Whether the stack's component contributes in a variant (as [`Stack::push_to`] builds it).
    pub(crate) fn contributes(&self, variant: Variant) -> bool {
        self.components.iter().zip(&self.frames).any(|(c, frame)| {
            c.contributes && !(variant == Variant::App && frame.group && !frame.in_app)
        })
    }

    /// A tree big enough for this stack's component in one variant.
    pub(crate) fn tree_with_capacity(&self, extra_nodes: usize) -> Components {
        Components::with_capacity(6 * self.frames.len() + extra_nodes, 64 * self.frames.len())
    }

    /// Appends the `stacktrace` component of one variant: the app variant additionally drops
    /// frames that are not in-app.
    pub(crate) fn push_to(&self, tree: &mut Components, variant: Variant) -> NodeId {
        let node = tree.begin("stacktrace");
        for (c, frame) in self.components.iter().zip(&self.frames) {
            let non_app = variant == Variant::App && frame.group && !frame.in_app;
            c.push_to(tree, non_app.then_some("non app frame"));
        }
        tree.end(node);
        if variant == Variant::App && !tree.contributes_at(node) && !self.frames.is_empty() {
            tree.set_hint(node, "none of the frames are in-app or contribute");
        }
        node
    }

    /// The app and system variants, each a `stacktrace` component or, with `wrapper`, one
    /// wrapped in a component of that id.
    fn variants(&self, wrapper: Option<&'static str>) -> Vec<(&'static str, Components)> {
        let mut out: Vec<(&'static str, Components)> = Variant::BOTH
            .iter()
            .map(|&variant| {
                let mut tree = self.tree_with_capacity(2);
                let outer = wrapper.map(|id| tree.begin(id));
                self.push_to(&mut tree, variant);
                if let Some(outer) = outer {
                    tree.end(outer);
                }
                (variant.name(), tree)
            })
            .collect();
        prefer_stacktrace_variants(&mut out);
        out
    }
}

/// The `stacktrace` component of one variant.
#[cfg(test)]
pub(crate) fn stacktrace_component(frames: &[Frame<'_>], variant: Variant) -> Components {
    let stack = Stack::new(frames.to_vec());
    let mut tree = Components::default();
    stack.push_to(&mut tree, variant);
    tree
}

/// In a set of variants, when some contain a contributing stacktrace, the others stop
/// contributing (Sentry's "does not have a contributing stacktrace" rule).
pub(crate) fn prefer_stacktrace_variants(variants: &mut [(&'static str, Components)]) {
    let has_stack = |c: &Components| c.has_contributing("stacktrace");
    let mut with_stack = variants
        .iter()
        .filter(|(_, c)| has_stack(c))
        .map(|(name, _)| *name);
    // Only the app and system variants are compared here.
    let hint = match (with_stack.next(), with_stack.next()) {
        (None, _) => return,
        (Some("app"), None) => {
            "ignored because this variant does not have a contributing stacktrace, but the app variant does"
        }
        (Some("system"), None) => {
            "ignored because this variant does not have a contributing stacktrace, but the system variant does"
        }
        _ => "ignored because this variant does not have a contributing stacktrace, but others do",
    };
    for (_, c) in variants.iter_mut() {
        if c.contributes() && !has_stack(c) {
            c.ignore(ROOT, hint);
        }
    }
}

/// The top-level (deprecated) `stacktrace` strategy.
pub(crate) fn top_level_stacktrace_variants(
    stacktrace: &Value,
    platform: &str,
    config: &GroupingConfig,
) -> Vec<(&'static str, Components)> {
    Stack::new(parse_frames(Some(stacktrace), platform, config)).variants(None)
}

/// The thread whose stack represents the event: the single crashed thread, else the single
/// current thread, else the only thread.
pub(crate) fn pick_thread<'a>(event: &'a Value) -> Option<&'a Map<String, Value>> {
    let all = threads(event);
    let flagged = |key: &str| -> Vec<&'a Map<String, Value>> {
        all.iter()
            .copied()
            .filter(|t| t.get(key).and_then(Value::as_bool) == Some(true))
            .collect()
    };
    for candidates in [flagged("crashed"), flagged("current"), all.clone()] {
        if let [one] = candidates.as_slice() {
            return Some(one);
        }
    }
    None
}

/// The `threads` strategy.
pub(crate) fn threads_variants(
    event: &Value,
    platform: &str,
    config: &GroupingConfig,
) -> Vec<(&'static str, Components)> {
    let Some(thread) = pick_thread(event) else {
        let mut c = Components::default();
        let node = c.begin("threads");
        c.end(node);
        c.set_hint(node, "ignored because does not contain exactly one thread");
        return vec![("app", c.clone()), ("system", c)];
    };
    let stacktrace = thread.get("stacktrace");
    let platform = str_field(thread, "platform").unwrap_or(platform);
    Stack::new(parse_frames(stacktrace, platform, config)).variants(Some("threads"))
}

/// The last in-app frame of `frames`, else the last frame.
pub(crate) fn pick_crash_frame<'f, 'a>(frames: &'f [Frame<'a>]) -> Option<&'f Frame<'a>> {
    frames.iter().rev().find(|f| f.in_app).or(frames.last())
}

/// The frames that best describe where an event happened: the given exception's stack (or the
/// last exception's), else the top-level stacktrace, else the representative thread's stack.
pub(crate) fn crash_frames<'a>(
    event: &'a Value,
    exception: Option<&'a Map<String, Value>>,
) -> Vec<Frame<'a>> {
    let config = GroupingConfig::default();
    let platform = platform(event);
    let exception = exception.or_else(|| exceptions(event).last().copied());
    let candidates = [
        exception.and_then(|e| e.get("stacktrace")),
        top_stacktrace(event),
        pick_thread(event).and_then(|t| t.get("stacktrace")),
    ];
    candidates
        .into_iter()
        .map(|st| parse_frames(st, platform, &config))
        .find(|frames| !frames.is_empty())
        .unwrap_or_default()
}

/// The crash frame of an event (fingerprint variables, culprit).
pub(crate) fn crash_frame(event: &Value) -> Option<Frame<'_>> {
    pick_crash_frame(&crash_frames(event, None)).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recursion_is_collapsed() {
        let st = json!({"frames": [
            {"module": "m", "function": "f", "lineno": 1, "in_app": true},
            {"module": "m", "function": "f", "lineno": 1, "in_app": true},
            {"module": "m", "function": "f", "lineno": 2, "in_app": true}
        ]});
        let frames = parse_frames(Some(&st), "go", &GroupingConfig::default());
        let c = stacktrace_component(&frames, Variant::System);
        assert_eq!(c.values().collect::<Vec<_>>(), ["m", "f", "m", "f"]);
    }

    #[test]
    fn app_variant_only_in_app_frames() {
        let st = json!({"frames": [
            {"module": "lib", "function": "call"},
            {"module": "app", "function": "handler", "in_app": true}
        ]});
        let frames = parse_frames(Some(&st), "python", &GroupingConfig::default());
        assert_eq!(
            stacktrace_component(&frames, Variant::App)
                .values()
                .collect::<Vec<_>>(),
            ["app", "handler"]
        );
        assert_eq!(
            stacktrace_component(&frames, Variant::System)
                .values()
                .collect::<Vec<_>>(),
            ["lib", "call", "app", "handler"]
        );
    }

    #[test]
    fn thread_selection() {
        let e = json!({"threads": {"values": [{"id": 1}, {"id": 2, "crashed": true}]}});
        assert_eq!(pick_thread(&e).and_then(|t| t.get("id")), Some(&json!(2)));
        let e = json!({"threads": [{"id": 1}, {"id": 2}]});
        assert!(pick_thread(&e).is_none());
        let e = json!({"threads": [{"id": 7}]});
        assert!(pick_thread(&e).is_some());
    }
}
