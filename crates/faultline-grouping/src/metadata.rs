//! Issue metadata for the UI (§4.12): kind, title, culprit and the main exception's facts.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::event::{family, message, str_at, str_field, Family};
use crate::exception::{main_exception_index, parse_all, system_key, Chain, Exception};
use crate::frame::Frame;
use crate::stacktrace::{crash_frames, pick_crash_frame};
use crate::GroupingConfig;

/// What kind of problem an issue records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueKind {
    /// An exception that was not handled (`mechanism.handled == false`): a crash.
    Uncaught,
    /// An exception captured by the application (or with no mechanism information).
    Caught,
    /// An exception or message reported through a logging integration.
    Logged,
    /// A plain message (`capture_message`).
    Message,
}

impl IssueKind {
    /// The stable lowercase name: `uncaught`, `caught`, `logged`, `message`.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::Uncaught => "uncaught",
            IssueKind::Caught => "caught",
            IssueKind::Logged => "logged",
            IssueKind::Message => "message",
        }
    }

    /// Parses the name returned by [`IssueKind::as_str`].
    pub fn parse(name: &str) -> Option<IssueKind> {
        match name {
            "uncaught" => Some(IssueKind::Uncaught),
            "caught" => Some(IssueKind::Caught),
            "logged" => Some(IssueKind::Logged),
            "message" => Some(IssueKind::Message),
            _ => None,
        }
    }
}

impl std::fmt::Display for IssueKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the UI shows for an issue, derived from one of its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueMetadata {
    /// `Type: first line of value`, or the first line of the message.
    pub title: String,
    /// Where it happened: the crash frame, else the transaction, else the request URL (≤ 200 chars).
    pub culprit: String,
    /// Uncaught, caught, logged or message.
    pub kind: IssueKind,
    /// Type of the main exception.
    pub exception_type: Option<String>,
    /// Value of the main exception, complete.
    pub exception_value: Option<String>,
    /// `mechanism.handled` of the main exception, when the SDK said.
    pub handled: Option<bool>,
    /// Function of the crash frame.
    pub function: Option<String>,
    /// File of the crash frame (`filename`, else `abs_path`).
    pub filename: Option<String>,
}

const MESSAGE_TITLE_CHARS: usize = 100;
const VALUE_TITLE_CHARS: usize = 200;
const CULPRIT_CHARS: usize = 200;

/// Cuts `s` to `max` characters, ending with `…` when cut.
fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max || s.chars().count() <= max {
        return Cow::Borrowed(s);
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    Cow::Owned(out)
}

/// [`truncate`] for an owned string, kept when short enough.
fn truncate_owned(s: String, max: usize) -> String {
    let cut = match truncate(&s, max) {
        Cow::Owned(cut) => Some(cut),
        Cow::Borrowed(_) => None,
    };
    cut.unwrap_or(s)
}

fn first_line(s: &str) -> &str {
    s.split(['\n', '\r'])
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

fn mechanism(exc: &Map<String, Value>) -> Option<&Map<String, Value>> {
    exc.get("mechanism").and_then(Value::as_object)
}

fn handled(exc: &Map<String, Value>) -> Option<bool> {
    mechanism(exc)
        .and_then(|m| m.get("handled"))
        .and_then(Value::as_bool)
}

/// Computes the issue metadata of an event.
pub fn issue_metadata(event: &Value) -> IssueMetadata {
    let platform = crate::event::platform(event);
    describe(event, platform, &parse_all(event, platform), None)
}

/// The issue metadata of an event, given its parsed exceptions. `chain`, when given, holds the
/// same exceptions with frames read under the default stack rules; its frames and hashes are
/// reused instead of being computed again.
pub(crate) fn describe<'a>(
    event: &'a Value,
    platform: &'a str,
    exceptions: &[Exception<'a>],
    chain: Option<&Chain<'a>>,
) -> IssueMetadata {
    let config = GroupingConfig::default();
    // The exceptions worth describing, and their positions in `exceptions`.
    let (positions, excs): (Vec<usize>, Vec<Exception<'a>>) = exceptions
        .iter()
        .enumerate()
        .filter(|(_, e)| e.ty.is_some() || e.value.is_some() || e.has_frames())
        .map(|(i, e)| (i, *e))
        .unzip();
    let key = |i: usize| match chain {
        Some(chain) => chain.key(*positions.get(i)?),
        None => system_key(excs.get(i)?, platform, &config),
    };
    let main_index = main_exception_index(&excs, key);
    let main = main_index.and_then(|i| excs.get(i));
    let shared_frames = chain
        .zip(main_index.and_then(|i| positions.get(i)))
        .and_then(|(chain, &i)| chain.frames(i))
        .filter(|frames| !frames.is_empty());
    let parsed;
    let frames = match shared_frames {
        Some(frames) => frames,
        None => {
            parsed = crash_frames(event, main.map(|e| e.raw));
            parsed.as_slice()
        }
    };
    let crash = pick_crash_frame(frames);

    let kind = match main {
        Some(main) => {
            let any_unhandled = excs.iter().any(|e| handled(e.raw) == Some(false));
            let is_logging =
                mechanism(main.raw).and_then(|m| str_field(m, "type")) == Some("logging");
            if handled(main.raw) == Some(false) || any_unhandled {
                IssueKind::Uncaught
            } else if is_logging {
                IssueKind::Logged
            } else {
                IssueKind::Caught
            }
        }
        None => {
            let logentry_params = event
                .get("logentry")
                .and_then(Value::as_object)
                .is_some_and(|l| l.contains_key("params") && str_field(l, "message").is_some());
            if str_at(event, "logger").is_some() || logentry_params {
                IssueKind::Logged
            } else {
                IssueKind::Message
            }
        }
    };

    let title = match main {
        Some(main) => {
            let mut ty = main.ty.unwrap_or("Error");
            if main.synthetic {
                if let Some(func) = crash.and_then(|f| f.function) {
                    ty = func;
                }
            }
            match main.value.map(first_line).filter(|l| !l.is_empty()) {
                Some(line) => format!("{ty}: {}", truncate(line, VALUE_TITLE_CHARS)),
                None => ty.to_owned(),
            }
        }
        None => {
            let (template, formatted) = message(event);
            let line = first_line(formatted.or(template).unwrap_or(""));
            if line.is_empty() {
                "<unlabeled event>".to_owned()
            } else {
                truncate(line, MESSAGE_TITLE_CHARS).into_owned()
            }
        }
    };

    let culprit = match crash.and_then(frame_culprit) {
        Some(culprit) => truncate_owned(culprit, CULPRIT_CHARS),
        None => str_at(event, "transaction")
            .or_else(|| event.get("request").and_then(|r| str_at(r, "url")))
            .map(|c| truncate(c, CULPRIT_CHARS).into_owned())
            .unwrap_or_default(),
    };

    IssueMetadata {
        title,
        culprit,
        kind,
        exception_type: main.and_then(|e| e.ty).map(str::to_owned),
        exception_value: main.and_then(|e| e.value).map(str::to_owned),
        handled: main.and_then(|e| handled(e.raw)),
        function: crash.and_then(|f| f.function).map(str::to_owned),
        filename: crash
            .and_then(|f| f.filename.or(f.abs_path))
            .map(str::to_owned),
    }
}

/// A URL without its scheme and host (`https://x.io/static/app.js` → `/static/app.js`).
fn strip_origin(location: &str) -> &str {
    if !crate::frame::is_url(location) {
        return location;
    }
    let after_scheme = location
        .split_once("://")
        .map_or(location, |(_, rest)| rest);
    after_scheme
        .find('/')
        .and_then(|i| after_scheme.get(i..))
        .unwrap_or(location)
}

/// `module in function` (most platforms), `function(module)` (JavaScript), `function` (native).
fn frame_culprit(frame: &Frame<'_>) -> Option<String> {
    let location = frame
        .module
        .or(frame.filename)
        .or(frame.abs_path)
        .map(strip_origin);
    let function = frame.function.or(frame.raw_function);
    let text = match (family(frame.platform), location, function) {
        (_, None, None) => return None,
        (Family::Native, _, Some(func)) => func.to_owned(),
        (Family::JavaScript, Some(loc), func) => format!("{}({loc})", func.unwrap_or("?")),
        (_, Some(loc), Some(func)) => format!("{loc} in {func}"),
        (_, Some(loc), None) => loc.to_owned(),
        (_, None, Some(func)) => func.to_owned(),
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds() {
        let unhandled = json!({"exception": [{"type": "E", "mechanism": {"type": "excepthook", "handled": false}}]});
        assert_eq!(issue_metadata(&unhandled).kind, IssueKind::Uncaught);
        let logged = json!({"exception": [{"type": "E", "mechanism": {"type": "logging", "handled": true}}]});
        assert_eq!(issue_metadata(&logged).kind, IssueKind::Logged);
        assert_eq!(
            issue_metadata(&json!({"exception": [{"type": "E"}]})).kind,
            IssueKind::Caught
        );
        assert_eq!(
            issue_metadata(&json!({"message": "m", "logger": "root"})).kind,
            IssueKind::Logged
        );
        assert_eq!(
            issue_metadata(&json!({"message": "m"})).kind,
            IssueKind::Message
        );
        for k in [
            IssueKind::Uncaught,
            IssueKind::Caught,
            IssueKind::Logged,
            IssueKind::Message,
        ] {
            assert_eq!(IssueKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn titles() {
        let e = json!({"exception": [{"type": "ValueError", "value": "bad\nsecond"}]});
        assert_eq!(issue_metadata(&e).title, "ValueError: bad");
        let e = json!({"exception": [{"type": "ValueError"}]});
        assert_eq!(issue_metadata(&e).title, "ValueError");
        let long = "x".repeat(150);
        let m = issue_metadata(&json!({"logentry": {"formatted": long}}));
        assert_eq!(m.title.chars().count(), 100);
        assert!(m.title.ends_with('…'));
        assert_eq!(issue_metadata(&json!({})).title, "<unlabeled event>");
        let frames_only = json!({"exception": [{"stacktrace": {"frames": [{"function": "f"}]}}]});
        assert_eq!(issue_metadata(&frames_only).title, "Error");
    }

    #[test]
    fn culprits() {
        let frames = json!([{"module": "lib", "function": "g"},
                            {"module": "app.views", "function": "get", "in_app": true},
                            {"module": "lib2", "function": "h"}]);
        let e = json!({"platform": "python", "exception": [{"type": "E", "stacktrace": {"frames": frames}}]});
        assert_eq!(issue_metadata(&e).culprit, "app.views in get");
        let e = json!({"platform": "node", "exception": [{"type": "E", "stacktrace": {"frames": [
            {"filename": "/app/x.js", "module": "x", "function": "run", "in_app": true}]}}]});
        assert_eq!(issue_metadata(&e).culprit, "run(x)");
        let e = json!({"platform": "javascript", "exception": [{"type": "E", "stacktrace": {"frames": [
            {"filename": "https://x.io/static/app.js?v=2", "function": "go", "in_app": true}]}}]});
        assert_eq!(issue_metadata(&e).culprit, "go(/static/app.js?v=2)");
        let e =
            json!({"message": "m", "transaction": "/users/{id}", "request": {"url": "http://h/u"}});
        assert_eq!(issue_metadata(&e).culprit, "/users/{id}");
        let e = json!({"message": "m", "request": {"url": "http://h/u"}});
        assert_eq!(issue_metadata(&e).culprit, "http://h/u");
    }
}
