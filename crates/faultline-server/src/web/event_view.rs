//! One stored event turned into what the issue page shows: exceptions with frames (newest
//! first), source context, variables, breadcrumbs, request, user, contexts, tags, SDK.
//!
//! Event payloads are untrusted and come in every shape SDKs send (objects or pair lists,
//! strings or objects); everything here is lenient. Templates escape every string; the two
//! fragments built here as HTML (variable trees and grouping trees) escape through
//! [`super::html::esc_into`].

use serde_json::{Map, Value};

use super::html::{clock, datetime, esc_into, safe_url};

/// A source line: number, text, whether it is the failing one.
pub type SourceLine = (i64, String, bool);

/// One stack frame.
pub struct FrameView {
    /// Function name (or `?`).
    pub function: String,
    /// Module or file shown beside it.
    pub location: String,
    /// Line number, if known.
    pub lineno: Option<i64>,
    /// Column, if known.
    pub colno: Option<i64>,
    /// In-app (expanded) or library (collapsed).
    pub in_app: bool,
    /// Source context around the line.
    pub context: Vec<SourceLine>,
    /// The recorded variables as an HTML tree (escaped), or empty.
    pub vars_html: String,
    /// Number of recorded variables.
    pub var_count: usize,
}

/// One exception of a chain.
pub struct ExceptionView {
    /// Type.
    pub ty: String,
    /// Value (message).
    pub value: String,
    /// Module of the type.
    pub module: String,
    /// Mechanism type, e.g. `excepthook`, `onunhandledrejection`.
    pub mechanism: String,
    /// `Some(false)` for unhandled.
    pub handled: Option<bool>,
    /// Frames, newest first.
    pub frames: Vec<FrameView>,
    /// Library (not in-app) frames present.
    pub library_frames: usize,
}

/// One breadcrumb.
pub struct Crumb {
    /// `08:12:53.120`.
    pub time: String,
    /// Level.
    pub level: String,
    /// Category.
    pub category: String,
    /// Message (or the data, when there is no message).
    pub message: String,
    /// Type (`http`, `navigation`, …).
    pub kind: String,
}

/// The request the event happened in.
pub struct RequestView {
    /// Method.
    pub method: String,
    /// URL as sent.
    pub url: String,
    /// The URL when it is safe to link (http/https only).
    pub link: Option<String>,
    /// Query parameters.
    pub query: Vec<(String, String)>,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Cookies.
    pub cookies: Vec<(String, String)>,
    /// Body, pretty-printed.
    pub body: String,
    /// Server environment (`REMOTE_ADDR`, …).
    pub env: Vec<(String, String)>,
}

/// A titled table of key/value rows.
pub struct Section {
    /// Title.
    pub title: String,
    /// Rows.
    pub rows: Vec<(String, String)>,
}

/// Everything the issue page shows of one event.
pub struct EventView {
    /// Event id.
    pub event_id: String,
    /// When.
    pub when: String,
    /// Level.
    pub level: String,
    /// Exceptions, outermost (latest) first.
    pub exceptions: Vec<ExceptionView>,
    /// The other threads with a stack (each as an exception-like view whose type is the
    /// thread's name), when the event has exceptions too.
    pub threads: Vec<ExceptionView>,
    /// The message (formatted log entry), if any.
    pub message: String,
    /// Breadcrumbs, oldest first.
    pub crumbs: Vec<Crumb>,
    /// Levels present among the breadcrumbs, for the filter buttons.
    pub crumb_levels: Vec<String>,
    /// The request, if any.
    pub request: Option<RequestView>,
    /// The user's fields.
    pub user: Vec<(String, String)>,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// OS, runtime, device, app, browser, … and the event's own fields (server, release, …).
    pub contexts: Vec<Section>,
    /// SDK name, version, integrations and packages.
    pub sdk: Vec<(String, String)>,
    /// Installed modules and versions.
    pub modules: Vec<(String, String)>,
    /// Trace id, when the event carries one (32 hex).
    pub trace_id: Option<String>,
    /// The whole event, pretty-printed.
    pub raw_json: String,
    /// The stack as plain text, for copying.
    pub stack_text: String,
}

/// A value as one line of text: strings as they are, the rest as compact JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// [`text`] of an optional value (`""` when absent).
pub fn str_of(v: Option<&Value>) -> String {
    v.map(text).unwrap_or_default()
}

/// Key/value pairs from an object, a list of `[k, v]` pairs, or (for query strings) a string.
pub fn pairs(v: Option<&Value>) -> Vec<(String, String)> {
    match v {
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|p| match p {
                Value::Array(kv) if kv.len() == 2 => Some((text(&kv[0]), text(&kv[1]))),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) => form_urlencoded::parse(s.trim_start_matches('?').as_bytes())
            .into_owned()
            .collect(),
        _ => Vec::new(),
    }
}

/// A list that SDKs send bare or wrapped in `{"values": […]}`.
pub fn values(v: Option<&Value>) -> &[Value] {
    match v {
        Some(Value::Array(a)) => a,
        Some(Value::Object(m)) => match m.get("values") {
            Some(Value::Array(a)) => a,
            _ => &[],
        },
        _ => &[],
    }
}

fn int(v: Option<&Value>) -> Option<i64> {
    v.and_then(|x| x.as_i64().or_else(|| x.as_f64().map(|f| f as i64)))
}

/// Unix seconds from a float or an RFC 3339 string.
fn seconds(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|d| d.timestamp_millis() as f64 / 1000.0),
        _ => None,
    }
}

const MAX_DEPTH: usize = 12;

/// The variables of a frame as a nested HTML list; `[Filtered]` shows masked.
pub fn vars_html(vars: &Map<String, Value>) -> String {
    let mut out = String::new();
    tree(&mut out, vars.iter().map(|(k, v)| (k.as_str(), v)), 0);
    out
}

fn tree<'a>(out: &mut String, items: impl Iterator<Item = (&'a str, &'a Value)>, depth: usize) {
    out.push_str("<ul class=\"tree\">");
    for (k, v) in items {
        out.push_str("<li><span class=\"k\">");
        esc_into(out, k);
        out.push_str("</span> ");
        value_html(out, v, depth);
        out.push_str("</li>");
    }
    out.push_str("</ul>");
}

fn value_html(out: &mut String, v: &Value, depth: usize) {
    match v {
        Value::String(s) if s == "[Filtered]" => out.push_str(
            "<span class=\"masked\" title=\"scrubbed before it was stored\">[Filtered]</span>",
        ),
        Value::String(s) => {
            out.push_str("<span class=\"s\">");
            esc_into(out, s);
            out.push_str("</span>");
        }
        Value::Object(m) if depth < MAX_DEPTH && !m.is_empty() => {
            out.push_str("<details open><summary>{");
            out.push_str(&m.len().to_string());
            out.push_str("}</summary>");
            tree(out, m.iter().map(|(k, v)| (k.as_str(), v)), depth + 1);
            out.push_str("</details>");
        }
        Value::Array(a) if depth < MAX_DEPTH && !a.is_empty() => {
            out.push_str("<details open><summary>[");
            out.push_str(&a.len().to_string());
            out.push_str("]</summary>");
            let keys: Vec<String> = (0..a.len()).map(|i| i.to_string()).collect();
            tree(
                out,
                keys.iter().map(String::as_str).zip(a.iter()),
                depth + 1,
            );
            out.push_str("</details>");
        }
        other => {
            out.push_str("<span class=\"n\">");
            esc_into(out, &other.to_string());
            out.push_str("</span>");
        }
    }
}

/// The grouping component tree as a nested HTML list: contributing parts bold, the rest
/// dimmed with the reason.
pub fn grouping_html(components: &str) -> String {
    let v: Value = serde_json::from_str(components).unwrap_or(Value::Null);
    let mut out = String::new();
    component(&mut out, &v, 0);
    out
}

fn component(out: &mut String, v: &Value, depth: usize) {
    match v {
        Value::Object(m) if depth < 40 => {
            let contributes = m.get("contributes").and_then(Value::as_bool) == Some(true);
            out.push_str(if contributes {
                "<li class=\"contributes\"><span class=\"cid\">"
            } else {
                "<li class=\"ignored\"><span class=\"cid\">"
            });
            esc_into(out, &str_of(m.get("id")));
            out.push_str("</span>");
            if let Some(h) = m.get("hint").and_then(Value::as_str) {
                out.push_str(" <span class=\"hint\">(");
                esc_into(out, h);
                out.push_str(")</span>");
            }
            if let Some(Value::Array(children)) = m.get("values") {
                out.push_str("<ul>");
                for c in children {
                    component(out, c, depth + 1);
                }
                out.push_str("</ul>");
            }
            out.push_str("</li>");
        }
        Value::Null => {}
        leaf => {
            out.push_str("<li class=\"leaf\"><code>");
            esc_into(out, &text(leaf));
            out.push_str("</code></li>");
        }
    }
}

fn frame_view(f: &Value) -> FrameView {
    let function = match str_of(f.get("function")) {
        s if s.is_empty() => "?".to_owned(),
        s => s,
    };
    let module = str_of(f.get("module"));
    let filename = str_of(f.get("filename"));
    let abs = str_of(f.get("abs_path"));
    let location = [filename, module, abs]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    let lineno = int(f.get("lineno"));
    let mut context = Vec::new();
    if let Some(line) = lineno {
        let pre = values(f.get("pre_context"));
        for (i, l) in pre.iter().enumerate() {
            context.push((line - (pre.len() - i) as i64, text(l), false));
        }
        if let Some(cl) = f.get("context_line") {
            context.push((line, text(cl), true));
        }
        for (i, l) in values(f.get("post_context")).iter().enumerate() {
            context.push((line + 1 + i as i64, text(l), false));
        }
    }
    let (vars_html, var_count) = match f.get("vars") {
        Some(Value::Object(m)) if !m.is_empty() => (vars_html(m), m.len()),
        _ => (String::new(), 0),
    };
    FrameView {
        function,
        location,
        lineno,
        colno: int(f.get("colno")),
        in_app: f.get("in_app").and_then(Value::as_bool).unwrap_or(false),
        context,
        vars_html,
        var_count,
    }
}

fn exception_view(e: &Value) -> ExceptionView {
    let frames_raw = values(e.get("stacktrace").and_then(|s| s.get("frames")));
    let mut frames: Vec<FrameView> = frames_raw.iter().map(frame_view).collect();
    frames.reverse();
    // With no frame marked in-app, show them all expanded (nothing would be visible otherwise).
    if !frames.iter().any(|f| f.in_app) {
        for f in &mut frames {
            f.in_app = true;
        }
    }
    let mech = e.get("mechanism");
    ExceptionView {
        ty: str_of(e.get("type")),
        value: str_of(e.get("value")),
        module: str_of(e.get("module")),
        mechanism: str_of(mech.and_then(|m| m.get("type"))),
        handled: mech.and_then(|m| m.get("handled")).and_then(Value::as_bool),
        library_frames: frames.iter().filter(|f| !f.in_app).count(),
        frames,
    }
}

fn section(title: &str, v: Option<&Value>) -> Option<Section> {
    let rows: Vec<(String, String)> = match v? {
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| *k != "type")
            .map(|(k, v)| (k.clone(), text(v)))
            .collect(),
        _ => return None,
    };
    (!rows.is_empty()).then(|| Section {
        title: title.to_owned(),
        rows,
    })
}

/// Builds the view of an event payload (the stored, normalized JSON).
pub fn build(event_id: &str, payload: &[u8]) -> EventView {
    let ev: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
    let get = |k: &str| ev.get(k);

    let mut exceptions: Vec<ExceptionView> = values(get("exception"))
        .iter()
        .map(exception_view)
        .collect();
    exceptions.reverse();
    let thread_view = |t: &Value| {
        let mut e = exception_view(t);
        let name = str_of(t.get("name"));
        let id = str_of(t.get("id"));
        e.ty = match (name.is_empty(), id.is_empty()) {
            (false, _) => format!("Thread {name}"),
            (true, false) => format!("Thread {id}"),
            (true, true) => "Thread".into(),
        };
        if t.get("crashed").and_then(Value::as_bool) == Some(true) {
            e.value = "crashed".into();
        } else if t.get("current").and_then(Value::as_bool) == Some(true) {
            e.value = "current".into();
        }
        e
    };
    let threads: Vec<ExceptionView> = if exceptions.is_empty() {
        Vec::new()
    } else {
        values(get("threads"))
            .iter()
            .filter(|t| t.get("stacktrace").is_some())
            .take(50)
            .map(thread_view)
            .collect()
    };
    if exceptions.is_empty() {
        // A message with a thread stack (e.g. attach_stacktrace): show the crashed or first one.
        let threads = values(get("threads"));
        let t = threads
            .iter()
            .find(|t| t.get("crashed").and_then(Value::as_bool) == Some(true))
            .or_else(|| threads.iter().find(|t| t.get("stacktrace").is_some()));
        if let Some(t) = t {
            exceptions.push(thread_view(t));
        } else if let Some(st) = get("stacktrace") {
            let mut e = exception_view(&serde_json::json!({ "stacktrace": st }));
            e.ty = "Stack trace".into();
            exceptions.push(e);
        }
    }

    let message = match get("logentry").or(get("message")) {
        Some(Value::Object(m)) => str_of(m.get("formatted").or(m.get("message"))),
        Some(other) => text(other),
        None => String::new(),
    };

    let crumbs: Vec<Crumb> = values(get("breadcrumbs"))
        .iter()
        .map(|b| Crumb {
            time: seconds(b.get("timestamp")).map(clock).unwrap_or_default(),
            level: match str_of(b.get("level")) {
                l if l.is_empty() => "info".into(),
                l => l,
            },
            category: str_of(b.get("category")),
            message: match str_of(b.get("message")) {
                m if m.is_empty() => b.get("data").map(text).unwrap_or_default(),
                m => m,
            },
            kind: str_of(b.get("type")),
        })
        .collect();
    let mut crumb_levels: Vec<String> = crumbs.iter().map(|c| c.level.clone()).collect();
    crumb_levels.sort();
    crumb_levels.dedup();

    let request = get("request").filter(|r| r.is_object()).map(|r| {
        let url = str_of(r.get("url"));
        RequestView {
            method: str_of(r.get("method")),
            link: safe_url(&url).map(str::to_owned),
            url,
            query: pairs(r.get("query_string")),
            headers: pairs(r.get("headers")),
            cookies: pairs(r.get("cookies")),
            body: match r.get("data") {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
            },
            env: pairs(r.get("env")),
        }
    });

    let mut contexts = Vec::new();
    let mut event_fields = Vec::new();
    for k in [
        "server_name",
        "environment",
        "release",
        "dist",
        "platform",
        "logger",
        "transaction",
    ] {
        let v = str_of(get(k));
        if !v.is_empty() {
            event_fields.push((k.to_owned(), v));
        }
    }
    if !event_fields.is_empty() {
        contexts.push(Section {
            title: "event".into(),
            rows: event_fields,
        });
    }
    let mut trace_id = None;
    if let Some(Value::Object(ctx)) = get("contexts") {
        // The usual ones first, in a useful order, then the rest.
        let order = [
            "os",
            "runtime",
            "device",
            "app",
            "browser",
            "culture",
            "cloud_resource",
        ];
        for name in order {
            if let Some(s) = section(name, ctx.get(name)) {
                contexts.push(s);
            }
        }
        for (name, v) in ctx {
            if !order.contains(&name.as_str()) && name != "trace" {
                if let Some(s) = section(name, Some(v)) {
                    contexts.push(s);
                }
            }
        }
        if let Some(t) = ctx.get("trace") {
            let id = str_of(t.get("trace_id")).to_ascii_lowercase();
            if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                trace_id = Some(id);
            }
            if let Some(s) = section("trace", Some(t)) {
                contexts.push(s);
            }
        }
    }

    let sdk_v = get("sdk");
    let mut sdk = Vec::new();
    if let Some(s) = sdk_v {
        sdk.push(("name".to_owned(), str_of(s.get("name"))));
        sdk.push(("version".to_owned(), str_of(s.get("version"))));
        let integrations: Vec<String> = values(s.get("integrations")).iter().map(text).collect();
        if !integrations.is_empty() {
            sdk.push(("integrations".to_owned(), integrations.join(", ")));
        }
        for p in values(s.get("packages")) {
            sdk.push((
                format!("package {}", str_of(p.get("name"))),
                str_of(p.get("version")),
            ));
        }
    }

    let mut stack_text = String::new();
    for e in &exceptions {
        stack_text.push_str(&format!("{}: {}\n", e.ty, e.value));
        for f in &e.frames {
            stack_text.push_str(&format!(
                "  at {} ({}{})\n",
                f.function,
                f.location,
                f.lineno.map(|l| format!(":{l}")).unwrap_or_default()
            ));
        }
    }

    EventView {
        event_id: event_id.to_owned(),
        when: seconds(get("timestamp")).map(datetime).unwrap_or_default(),
        level: str_of(get("level")),
        exceptions,
        threads,
        message,
        crumbs,
        crumb_levels,
        request,
        user: pairs(get("user")),
        tags: pairs(get("tags")),
        contexts,
        sdk,
        modules: pairs(get("modules")),
        trace_id,
        raw_json: serde_json::to_string_pretty(&ev).unwrap_or_default(),
        stack_text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_frames_newest_first_with_context_and_masked_vars() {
        let ev = serde_json::json!({
            "timestamp": 1_700_000_000.5,
            "exception": {"values": [
                {"type": "KeyError", "value": "'cause'"},
                {"type": "ValueError", "value": "bad <b>", "mechanism": {"type": "excepthook", "handled": false},
                 "stacktrace": {"frames": [
                    {"function": "main", "module": "app", "lineno": 10, "in_app": true,
                     "pre_context": ["a", "b"], "context_line": "boom()", "post_context": ["c"],
                     "vars": {"password": "[Filtered]", "n": 3, "cfg": {"x": "<script>"}}},
                    {"function": "lib", "filename": "site-packages/lib.py", "lineno": 3, "in_app": false}
                 ]}}
            ]},
            "breadcrumbs": [{"timestamp": "2023-11-14T22:13:20.123Z", "message": "hi", "category": "log"}],
            "request": {"url": "javascript:alert(1)", "method": "GET", "headers": [["X-A", "1"]], "query_string": "a=1&b=2"},
            "contexts": {"trace": {"trace_id": "0123456789ABCDEF0123456789abcdef"}, "os": {"name": "Linux"}},
            "tags": {"k": "v"}
        });
        let v = build("e1", serde_json::to_vec(&ev).unwrap().as_slice());
        assert_eq!(v.exceptions[0].ty, "ValueError");
        assert_eq!(v.exceptions[1].ty, "KeyError");
        assert_eq!(v.exceptions[0].handled, Some(false));
        let frames = &v.exceptions[0].frames;
        assert_eq!(frames[0].function, "lib");
        assert!(!frames[0].in_app);
        assert_eq!(frames[1].location, "app");
        assert_eq!(
            frames[1].context,
            vec![
                (8, "a".into(), false),
                (9, "b".into(), false),
                (10, "boom()".into(), true),
                (11, "c".into(), false)
            ]
        );
        assert!(frames[1].vars_html.contains("class=\"masked\""));
        assert!(frames[1].vars_html.contains("&lt;script&gt;"));
        assert!(!frames[1].vars_html.contains("<script>"));
        assert_eq!(v.exceptions[0].library_frames, 1);
        assert_eq!(v.crumbs[0].time, "22:13:20.123");
        let r = v.request.unwrap();
        assert_eq!(r.link, None);
        assert_eq!(r.headers, vec![("X-A".into(), "1".into())]);
        assert_eq!(r.query.len(), 2);
        assert_eq!(
            v.trace_id.as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(v.tags, vec![("k".into(), "v".into())]);
        assert!(v
            .stack_text
            .starts_with("ValueError: bad <b>\n  at lib (site-packages/lib.py:3)"));
    }

    #[test]
    fn threads_beside_exceptions_and_alone() {
        let with = serde_json::json!({
            "exception": {"values": [{"type": "E", "stacktrace": {"frames": [{"function": "f", "in_app": true}]}}]},
            "threads": {"values": [
                {"id": 1, "name": "main", "crashed": true, "stacktrace": {"frames": [{"function": "run"}]}},
                {"id": 2, "stacktrace": {"frames": [{"function": "idle"}]}},
                {"id": 3}
            ]}
        });
        let v = build("e", &serde_json::to_vec(&with).unwrap());
        assert_eq!(v.exceptions.len(), 1);
        assert_eq!(v.threads.len(), 2);
        assert_eq!(
            (v.threads[0].ty.as_str(), v.threads[0].value.as_str()),
            ("Thread main", "crashed")
        );
        assert_eq!(v.threads[1].ty, "Thread 2");
        assert_eq!(v.threads[1].frames[0].function, "idle");
        let alone = serde_json::json!({"threads": [{"id": 7, "current": true, "stacktrace": {"frames": [{"function": "g"}]}}]});
        let v = build("e", &serde_json::to_vec(&alone).unwrap());
        assert_eq!(v.exceptions[0].ty, "Thread 7");
        assert!(v.threads.is_empty());
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        for raw in [
            "null",
            "[]",
            r#"{"exception": 5, "breadcrumbs": {"values": 3}, "request": "x", "contexts": []}"#,
            r#"{"exception": [{"stacktrace": {"frames": [{"lineno": "x", "pre_context": 7}]}}]}"#,
            "not json",
        ] {
            let v = build("e", raw.as_bytes());
            assert!(v.request.is_none(), "{raw}");
            assert!(
                v.crumbs.is_empty() && v.tags.is_empty() && v.trace_id.is_none(),
                "{raw}"
            );
            // A frame with a non-numeric line number still shows, without source lines.
            let frames: Vec<_> = v.exceptions.iter().flat_map(|e| &e.frames).collect();
            assert!(
                frames
                    .iter()
                    .all(|f| f.lineno.is_none() && f.context.is_empty()),
                "{raw}"
            );
            assert_eq!(frames.len(), usize::from(raw.contains("frames")), "{raw}");
        }
    }

    #[test]
    fn grouping_tree_escapes_and_marks_contributors() {
        let html = grouping_html(
            r#"{"id":"exception","contributes":true,"values":[{"id":"type","contributes":true,"values":["<img>"]},{"id":"value","contributes":false,"hint":"ignored because stacktrace takes precedence","values":["x"]}]}"#,
        );
        assert!(html.contains("<li class=\"contributes\"><span class=\"cid\">type"));
        assert!(html.contains("&lt;img&gt;"));
        assert!(html.contains("class=\"ignored\""));
    }
}
