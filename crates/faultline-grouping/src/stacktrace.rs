//! Stacktrace components and the app/system variants (§4.4), plus the threads strategy (§4.7).

use serde_json::{Map, Value};

use crate::component::Component;
use crate::event::{exceptions, frames_of, platform, str_field, threads, top_stacktrace, Family};
use crate::frame::{frame_component, Frame};
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
        .into_iter()
        .map(|raw| Frame::parse(raw, platform))
        .collect();
    if config.builtin_stack_rules {
        apply_builtin_rules(&mut frames);
    }
    frames
}

/// The `stacktrace` components of the app and system variants. Frame components are built
/// once; the app variant additionally drops frames that are not in-app.
pub(crate) fn stacktrace_components(frames: &[Frame<'_>]) -> [Component; 2] {
    let mut system = Vec::with_capacity(frames.len());
    let mut prev: Option<&Frame<'_>> = None;
    for frame in frames {
        let mut c = frame_component(frame);
        if prev.is_some_and(|p| p.same_call_site(frame)) {
            c.ignore("ignored due to recursion");
        }
        if !frame.group {
            c.ignore("ignored by a built-in stack trace rule");
        }
        system.push(c);
        prev = Some(frame);
    }
    if let ([frame], [only]) = (frames, system.as_mut_slice()) {
        if only.contributes
            && frame.family() == Family::JavaScript
            && frame.function.is_none()
            && frame.has_url_origin()
        {
            only.ignore("ignored single JavaScript frame without function");
        }
    }
    let app: Vec<Component> = system
        .iter()
        .zip(frames)
        .map(|(c, frame)| {
            let mut c = c.clone();
            if frame.group && !frame.in_app {
                c.ignore("non app frame");
            }
            c
        })
        .collect();
    let mut app = Component::node("stacktrace", app);
    if !app.contributes && !frames.is_empty() {
        app.set_hint("none of the frames are in-app or contribute");
    }
    [app, Component::node("stacktrace", system)]
}

/// The `stacktrace` component of one variant.
#[cfg(test)]
pub(crate) fn stacktrace_component(frames: &[Frame<'_>], variant: Variant) -> Component {
    let [app, system] = stacktrace_components(frames);
    match variant {
        Variant::App => app,
        Variant::System => system,
    }
}

/// In a set of variants, when some contain a contributing stacktrace, the others stop
/// contributing (Sentry's "does not have a contributing stacktrace" rule).
pub(crate) fn prefer_stacktrace_variants(variants: &mut [(&'static str, Component)]) {
    let with_stack: Vec<&str> = variants
        .iter()
        .filter(|(_, c)| c.has_contributing("stacktrace"))
        .map(|(name, _)| *name)
        .collect();
    if with_stack.is_empty() {
        return;
    }
    let hint = if with_stack.len() == 1 {
        format!(
            "ignored because this variant does not have a contributing stacktrace, but the {} variant does",
            with_stack.join("")
        )
    } else {
        "ignored because this variant does not have a contributing stacktrace, but others do"
            .to_owned()
    };
    for (name, c) in variants.iter_mut() {
        if !with_stack.contains(name) && c.contributes {
            c.ignore(&hint);
        }
    }
}

/// The top-level (deprecated) `stacktrace` strategy.
pub(crate) fn top_level_stacktrace_variants(
    stacktrace: &Value,
    platform: &str,
    config: &GroupingConfig,
) -> Vec<(&'static str, Component)> {
    let frames = parse_frames(Some(stacktrace), platform, config);
    let [app, system] = stacktrace_components(&frames);
    let mut out = vec![("app", app), ("system", system)];
    prefer_stacktrace_variants(&mut out);
    out
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
) -> Vec<(&'static str, Component)> {
    let Some(thread) = pick_thread(event) else {
        let mut c = Component::empty("threads");
        c.set_hint("ignored because does not contain exactly one thread");
        return vec![("app", c.clone()), ("system", c)];
    };
    let stacktrace = thread.get("stacktrace");
    let platform = str_field(thread, "platform").unwrap_or(platform);
    let frames = parse_frames(stacktrace, platform, config);
    let [app, system] = stacktrace_components(&frames);
    let mut out = vec![
        ("app", Component::node("threads", vec![app])),
        ("system", Component::node("threads", vec![system])),
    ];
    prefer_stacktrace_variants(&mut out);
    out
}

/// The last in-app frame of `frames`, else the last frame.
pub(crate) fn pick_crash_frame<'a>(frames: Vec<Frame<'a>>) -> Option<Frame<'a>> {
    let last_app = frames.iter().rposition(|f| f.in_app);
    let index = last_app.or(frames.len().checked_sub(1))?;
    frames.into_iter().nth(index)
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
    pick_crash_frame(crash_frames(event, None))
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
        assert_eq!(c.values(), ["m", "f", "m", "f"]);
    }

    #[test]
    fn app_variant_only_in_app_frames() {
        let st = json!({"frames": [
            {"module": "lib", "function": "call"},
            {"module": "app", "function": "handler", "in_app": true}
        ]});
        let frames = parse_frames(Some(&st), "python", &GroupingConfig::default());
        assert_eq!(
            stacktrace_component(&frames, Variant::App).values(),
            ["app", "handler"]
        );
        assert_eq!(
            stacktrace_component(&frames, Variant::System).values(),
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
