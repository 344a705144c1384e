//! Events: an issue's events, its latest/oldest event, an event by id; and the conversion of a
//! stored event into Sentry's API event shape (`entries` of exception, breadcrumbs, request,
//! message, threads).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::Json;
use faultline_store::{Issue, IssueId, StoredEvent};
use serde_json::{json, Map, Value};

use super::{iso, link_header, page_size, Caller, Cursor};
use crate::error::ApiError;
use crate::state::AppState;

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn values(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Object(m)) => match m.get("values") {
            Some(Value::Array(a)) => a.clone(),
            _ => Vec::new(),
        },
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    }
}

/// A frame in the API's camelCase shape with numbered source context.
fn frame_out(f: &Value) -> Value {
    let lineno = f.get("lineno").and_then(Value::as_i64);
    let mut context: Vec<Value> = Vec::new();
    if let Some(line) = lineno {
        let pre: Vec<&Value> = f
            .get("pre_context")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let start = line - pre.len() as i64;
        for (i, l) in pre.iter().enumerate() {
            context.push(json!([start + i as i64, l]));
        }
        if let Some(cl) = f.get("context_line") {
            context.push(json!([line, cl]));
        }
        if let Some(post) = f.get("post_context").and_then(Value::as_array) {
            for (i, l) in post.iter().enumerate() {
                context.push(json!([line + 1 + i as i64, l]));
            }
        }
    }
    json!({
        "filename": f.get("filename"),
        "absPath": f.get("abs_path"),
        "module": f.get("module"),
        "package": f.get("package"),
        "platform": f.get("platform"),
        "function": f.get("function"),
        "rawFunction": f.get("raw_function"),
        "symbol": f.get("symbol"),
        "instructionAddr": f.get("instruction_addr"),
        "lineNo": lineno,
        "colNo": f.get("colno"),
        "inApp": f.get("in_app").and_then(Value::as_bool).unwrap_or(false),
        "context": context,
        "vars": f.get("vars"),
        "errors": null,
        "trust": null,
    })
}

fn stacktrace_out(st: Option<&Value>) -> (Value, bool) {
    let Some(st) = st.filter(|s| s.is_object()) else {
        return (Value::Null, false);
    };
    let frames: Vec<Value> = st
        .get("frames")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(frame_out).collect())
        .unwrap_or_default();
    let has_system = frames.iter().any(|f| f["inApp"] == Value::Bool(false))
        && frames.iter().any(|f| f["inApp"] == Value::Bool(true));
    (
        json!({ "frames": frames, "framesOmitted": null, "registers": st.get("registers"), "hasSystemFrames": has_system }),
        has_system,
    )
}

fn entries(data: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let exceptions = values(data.get("exception"));
    if !exceptions.is_empty() {
        let mut any_system = false;
        let vals: Vec<Value> = exceptions
            .iter()
            .map(|e| {
                let (st, sys) = stacktrace_out(e.get("stacktrace"));
                any_system |= sys;
                json!({
                    "type": e.get("type"), "value": e.get("value"), "module": e.get("module"),
                    "threadId": e.get("thread_id"), "mechanism": e.get("mechanism"),
                    "stacktrace": st, "rawStacktrace": null,
                })
            })
            .collect();
        out.push(json!({"type": "exception", "data": {"values": vals, "hasSystemFrames": any_system, "excOmitted": null}}));
    }
    if let Some(st) = data.get("stacktrace").filter(|s| s.is_object()) {
        out.push(json!({"type": "stacktrace", "data": stacktrace_out(Some(st)).0}));
    }
    let threads = values(data.get("threads"));
    if !threads.is_empty() {
        let vals: Vec<Value> = threads
            .iter()
            .map(|t| {
                json!({
                    "id": t.get("id"), "name": t.get("name"), "crashed": t.get("crashed"),
                    "current": t.get("current"), "main": t.get("main"), "state": t.get("state"),
                    "stacktrace": stacktrace_out(t.get("stacktrace")).0,
                })
            })
            .collect();
        out.push(json!({"type": "threads", "data": {"values": vals}}));
    }
    let crumbs = values(data.get("breadcrumbs"));
    if !crumbs.is_empty() {
        let vals: Vec<Value> = crumbs
            .iter()
            .map(|b| json!({
                "type": str_of(b, "type").unwrap_or("default"),
                "category": b.get("category"), "level": str_of(b, "level").unwrap_or("info"),
                "message": b.get("message"), "data": b.get("data"),
                "timestamp": b.get("timestamp").and_then(Value::as_f64).map(iso), "event_id": null,
            }))
            .collect();
        out.push(json!({"type": "breadcrumbs", "data": {"values": vals}}));
    }
    if let Some(r) = data.get("request").filter(|r| r.is_object()) {
        let query: Vec<Value> = str_of(r, "query_string")
            .map(|q| {
                q.split('&')
                    .filter(|kv| !kv.is_empty())
                    .map(|kv| {
                        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                        json!([k, v])
                    })
                    .collect()
            })
            .unwrap_or_default();
        let cookies = match r.get("cookies") {
            Some(Value::String(s)) => Value::Array(
                s.split(';')
                    .filter_map(|kv| kv.trim().split_once('=').map(|(k, v)| json!([k, v])))
                    .collect(),
            ),
            Some(other) => other.clone(),
            None => Value::Array(Vec::new()),
        };
        let inferred = match r.get("data") {
            Some(Value::Object(_)) | Some(Value::Array(_)) => Some("application/json"),
            _ => None,
        };
        out.push(json!({"type": "request", "data": {
            "url": r.get("url"), "method": r.get("method"), "query": query,
            "fragment": r.get("fragment"), "data": r.get("data"),
            "headers": r.get("headers").cloned().unwrap_or(Value::Array(Vec::new())),
            "cookies": cookies, "env": r.get("env"), "inferredContentType": inferred,
        }}));
    }
    if let Some(l) = data.get("logentry").filter(|l| l.is_object()) {
        out.push(json!({"type": "message", "data": {
            "formatted": l.get("formatted").or(l.get("message")), "message": l.get("message"),
            "params": l.get("params"),
        }}));
    }
    out
}

fn message_of(data: &Value) -> String {
    let l = data.get("logentry");
    l.and_then(|l| str_of(l, "formatted").or(str_of(l, "message")))
        .unwrap_or_default()
        .to_owned()
}

/// Converts a stored event to Sentry's API event shape.
pub fn sentry_event(data: &Value, ev: &StoredEvent, issue: Option<&Issue>) -> Value {
    let tags: Vec<Value> = data
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some(json!({"key": p.get(0)?.as_str()?, "value": p.get(1)?.as_str()?}))
                })
                .collect()
        })
        .unwrap_or_default();
    let sdk = data
        .get("sdk")
        .map(|s| json!({"name": s.get("name"), "version": s.get("version")}));
    let release = str_of(data, "release")
        .map(|r| json!({"version": r, "shortVersion": r.rsplit('@').next()}));
    let title = issue
        .map(|i| i.title.clone())
        .unwrap_or_else(|| message_of(data));
    let culprit = issue
        .map(|i| i.culprit.clone())
        .or_else(|| str_of(data, "culprit").map(str::to_owned));
    let ty = if values(data.get("exception")).is_empty() {
        "default"
    } else {
        "error"
    };
    json!({
        "id": ev.event_id,
        "eventID": ev.event_id,
        "groupID": ev.issue_id.to_string(),
        "projectID": ev.project_id.to_string(),
        "title": title,
        "message": message_of(data),
        "platform": data.get("platform"),
        "type": ty,
        "culprit": culprit,
        "location": culprit,
        "logger": data.get("logger"),
        "level": data.get("level"),
        "dateCreated": iso(ev.timestamp),
        "dateReceived": iso(ev.received),
        "tags": tags,
        "user": data.get("user"),
        "contexts": data.get("contexts").cloned().unwrap_or(Value::Object(Map::new())),
        "context": data.get("extra").cloned().unwrap_or(Value::Object(Map::new())),
        "sdk": sdk,
        "release": release,
        "environment": data.get("environment"),
        "dist": data.get("dist"),
        "transaction": data.get("transaction"),
        "serverName": data.get("server_name"),
        "fingerprints": issue.map(|i| vec![i.primary_hash.clone()]).unwrap_or_default(),
        "groupingConfig": {"id": issue.map(|i| i.grouping_version.clone()), "enhancements": null},
        "metadata": issue.and_then(|i| serde_json::from_str::<Value>(&i.metadata).ok()),
        "packages": data.get("modules"),
        "entries": entries(data),
        "errors": [],
        "size": ev.payload.len(),
    })
}

async fn load_issue(state: &AppState, id: &str) -> Result<Issue, ApiError> {
    let n: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("issue '{id}' not found")))?;
    state
        .store
        .issue(IssueId(n))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("issue {n} not found")))
}

/// `GET /api/0/issues/{id}/events/`
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    uri: Uri,
) -> Result<(HeaderMap, Json<Vec<Value>>), ApiError> {
    caller.require("event:read")?;
    let issue = load_issue(&state, &id).await?;
    let limit = page_size(q.get("per_page").or(q.get("limit")).map(String::as_str))?;
    let cursor = Cursor::parse(q.get("cursor").map(String::as_str))?;
    let full = q.get("full").is_some_and(|v| v == "true" || v == "1");
    // Row ids page the events; the offset form of the cursor is applied over them.
    let rows = state
        .store
        .issue_events(issue.id, None, cursor.offset + limit + 1)
        .await?;
    let page: Vec<&StoredEvent> = rows
        .iter()
        .skip(cursor.offset as usize)
        .take(limit as usize)
        .collect();
    let has_next = rows.len() as u64 > cursor.offset + limit;
    let out = page
        .iter()
        .map(|ev| {
            let mut e = super::shape::event_out(ev, Some(&issue));
            if !full {
                if let Value::Object(m) = &mut e {
                    m.remove("entries");
                }
            }
            e
        })
        .collect();
    Ok((
        link_header(
            &uri,
            &state.config.public_url,
            cursor.offset,
            limit,
            has_next,
        ),
        Json(out),
    ))
}

/// `GET /api/0/organizations/{org}/issues/{id}/events/`
pub async fn list_in_org(
    state: State<AppState>,
    caller: Caller,
    Path((_org, id)): Path<(String, String)>,
    q: Query<HashMap<String, String>>,
    uri: Uri,
) -> Result<(HeaderMap, Json<Vec<Value>>), ApiError> {
    list(state, caller, Path(id), q, uri).await
}

/// `GET /api/0/issues/{id}/events/{latest|oldest|event_id}/`
pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, which)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.require("event:read")?;
    let issue = load_issue(&state, &id).await?;
    let ev = match which.as_str() {
        "latest" | "recommended" => state.store.latest_event(issue.id).await?,
        "oldest" => state.store.oldest_event(issue.id).await?,
        event_id => state
            .store
            .event_by_id(issue.project_id, event_id)
            .await?
            .filter(|e| e.issue_id == issue.id),
    };
    let ev =
        ev.ok_or_else(|| ApiError::NotFound(format!("event {which} of issue {id} not found")))?;
    Ok(Json(super::shape::event_out(&ev, Some(&issue))))
}

/// `GET /api/0/organizations/{org}/issues/{id}/events/{which}/`
pub async fn one_in_org(
    state: State<AppState>,
    caller: Caller,
    Path((_org, id, which)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    one(state, caller, Path((id, which))).await
}

/// `GET /api/0/projects/{org}/{project}/events/{event_id}/`
pub async fn by_id(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, event_id)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.require("event:read")?;
    let p = super::projects::load(&state, &org, &project).await?;
    let ev = state
        .store
        .event_by_id(p.id, &event_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("event {event_id} not found")))?;
    let issue = state.store.issue(ev.issue_id).await?;
    Ok(Json(super::shape::event_out(&ev, issue.as_ref())))
}
