//! One issue (the ARC screen): header, chart, code, variables, log, environment, trace, raw
//! JSON, why it was grouped, actions, activity and comments.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use faultline_store::{IgnoreLimits, Issue, IssueId, IssueStatus, StatusChange, TraceEvent};
use serde::Deserialize;

use super::event_view::{self, EventView};
use super::html::{ago, bucket, chart, count, datetime};
use super::issues::{labels, parse_assignee, title_and_message, Choice, Link, Names};
use super::{now, render, see_other, Nav, Posted, Viewer, WebError};
use crate::state::AppState;

/// `?event=` and `?range=` of the issue page.
#[derive(Deserialize)]
pub struct IssueParams {
    event: Option<String>,
    range: Option<String>,
}

/// An activity entry, ready to show.
pub struct ActivityRow {
    /// Who (email or `Faultline`).
    pub who: String,
    /// What happened, as a sentence.
    pub what: String,
    /// A comment's text.
    pub note: Option<String>,
    /// When, relative and absolute.
    pub when: (String, String),
}

/// An event of the same trace.
pub struct TraceRow {
    /// Project slug.
    pub project: String,
    /// Issue title.
    pub title: String,
    /// Link to the event.
    pub url: String,
    /// This event?
    pub current: bool,
    /// When.
    pub when: String,
}

#[derive(askama::Template)]
#[template(path = "issue.html")]
struct IssuePage {
    nav: Nav,
    id: i64,
    title: String,
    message: String,
    culprit: String,
    kind: String,
    level: String,
    project: String,
    status: String,
    status_detail: String,
    labels: Vec<(&'static str, &'static str)>,
    assignee: String,
    assign_to: Vec<Choice>,
    first_seen: (String, String),
    first_release: String,
    last_seen: (String, String),
    events: String,
    users: String,
    environments: Vec<(String, i64)>,
    releases: Vec<(String, i64)>,
    tags: Vec<(String, Vec<(String, i64)>)>,
    chart: String,
    ranges: Vec<Link>,
    event: Option<EventView>,
    nav_links: Vec<(&'static str, Option<String>)>,
    trace: Vec<TraceRow>,
    grouping_version: String,
    grouping_variant: String,
    grouping_html: String,
    activity: Vec<ActivityRow>,
}

fn status_detail(i: &Issue) -> String {
    match i.status {
        IssueStatus::Resolved if i.resolved_in_next_release => format!(
            "in the next release after {}",
            i.resolved_in_release
                .as_deref()
                .unwrap_or("the current one")
        ),
        IssueStatus::Resolved => match &i.resolved_in_release {
            Some(r) => format!("in release {r}"),
            None => String::new(),
        },
        IssueStatus::Ignored => match i.ignore_limits {
            Some(l) => {
                let mut parts = Vec::new();
                if let Some(t) = l.until {
                    parts.push(format!("until {}", datetime(t)));
                }
                if let Some(n) = l.more_events {
                    parts.push(format!("until {n} more events"));
                }
                if let Some(n) = l.more_users {
                    parts.push(format!("until {n} more users are affected"));
                }
                parts.join(" or ")
            }
            None => "forever".into(),
        },
        IssueStatus::Unresolved => match i.substatus.as_deref() {
            Some(s) if s != "new" && s != "ongoing" => s.to_owned(),
            _ => String::new(),
        },
    }
}

fn describe(kind: &str, data: &serde_json::Value) -> String {
    let s = |k: &str| {
        data.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    match kind {
        "first_seen" => "first saw this issue".into(),
        "set_regression" => "marked it regressed: a new event arrived after it was resolved".into(),
        "set_escalating" => "brought it back: the ignore condition was met".into(),
        "set_status" => {
            let status = s("status");
            if data.get("inNextRelease").and_then(|v| v.as_bool()) == Some(true) {
                "resolved it in the next release".into()
            } else if status == "ignored" {
                "ignored it".into()
            } else if status == "unresolved" {
                "reopened it".into()
            } else if !s("inRelease").is_empty() {
                format!("resolved it in release {}", s("inRelease"))
            } else {
                format!("marked it {status}")
            }
        }
        "assigned" => {
            let name = data
                .get("assignee")
                .and_then(|a| a.get("name"))
                .and_then(|v| v.as_str())
                .unwrap_or("someone");
            format!("assigned it to {name}")
        }
        "unassigned" => "unassigned it".into(),
        "note" => "commented".into(),
        other => other.replace('_', " "),
    }
}

/// `GET /issues/{id}`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(params): Query<IssueParams>,
) -> Result<Response, WebError> {
    let t = now();
    let issue = state
        .store
        .issue(IssueId(id))
        .await?
        .ok_or_else(|| WebError::NotFound(format!("issue {id} not found")))?;
    let project = state
        .store
        .project(issue.project_id)
        .await?
        .map(|p| p.slug)
        .unwrap_or_default();

    let event = match params.event.as_deref().filter(|e| !e.is_empty()) {
        Some(eid) => {
            let e = state
                .store
                .event_by_id(issue.project_id, eid)
                .await?
                .filter(|e| e.issue_id == issue.id)
                .ok_or_else(|| {
                    WebError::NotFound(format!("event {eid} is not an event of this issue"))
                })?;
            Some(e)
        }
        None => state.store.latest_event(issue.id).await?,
    };
    let mut nav_links = Vec::new();
    let mut trace = Vec::new();
    let view = match &event {
        Some(e) => {
            let link = |eid: String| format!("/issues/{id}?event={eid}");
            let (older, newer) = state.store.event_neighbours(issue.id, e.row_id).await?;
            let oldest = if older.is_some() {
                state
                    .store
                    .oldest_event(issue.id)
                    .await?
                    .map(|o| o.event_id)
            } else {
                None
            };
            let latest = if newer.is_some() {
                state
                    .store
                    .latest_event(issue.id)
                    .await?
                    .map(|o| o.event_id)
            } else {
                None
            };
            nav_links = vec![
                ("Oldest", oldest.map(link)),
                ("Older", older.map(link)),
                ("Newer", newer.map(link)),
                ("Latest", latest.map(link)),
            ];
            let v = event_view::build(&e.event_id, &e.payload);
            if let Some(tid) = &v.trace_id {
                let found: Vec<TraceEvent> = state.store.trace_events(tid, 50).await?;
                trace = found
                    .into_iter()
                    .map(|te| TraceRow {
                        current: te.event_id == e.event_id,
                        url: format!("/issues/{}?event={}", te.issue_id, te.event_id),
                        project: te.project_slug,
                        title: te.title,
                        when: datetime(te.timestamp),
                    })
                    .collect();
            }
            Some(v)
        }
        None => None,
    };

    // The events-over-time chart.
    let range = params.range.as_deref().unwrap_or("14d");
    let (n, size, daily) = match range {
        "24h" => (24usize, 3600.0, false),
        "14d" => (14, 86400.0, true),
        "30d" => (30, 86400.0, true),
        "90d" => (90, 86400.0, true),
        other => return Err(WebError::BadRequest(format!("unknown range '{other}'"))),
    };
    let rows: Vec<(i64, i64)> = state
        .store
        .issue_hourly_counts(&[issue.id], t - n as f64 * size - size)
        .await?
        .into_iter()
        .map(|(_, h, c)| (h, c))
        .collect();
    let chart_svg = chart(&bucket(&rows, t, n, size), 640, 72, daily);
    let ranges = ["24h", "14d", "30d", "90d"]
        .iter()
        .map(|r| Link {
            label: (*r).into(),
            url: format!(
                "/issues/{id}?range={r}{}",
                event
                    .as_ref()
                    .map(|e| format!("&event={}", e.event_id))
                    .unwrap_or_default()
            ),
            active: *r == range,
        })
        .collect();

    let mut tags: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for tv in state.store.issue_tag_values(issue.id, None).await? {
        let e = tags.entry(tv.key).or_default();
        if e.len() < 10 {
            e.push((tv.value, tv.count));
        }
    }
    let environments = tags.get("environment").cloned().unwrap_or_default();
    let releases = tags.get("release").cloned().unwrap_or_default();

    let names = Names::load(&state).await?;
    let activity = state
        .store
        .issue_activity(issue.id)
        .await?
        .into_iter()
        .rev()
        .map(|a| {
            let data: serde_json::Value = serde_json::from_str(&a.data).unwrap_or_default();
            ActivityRow {
                who: a
                    .user
                    .map(|u| u.email)
                    .unwrap_or_else(|| "Faultline".into()),
                what: describe(&a.kind, &data),
                note: (a.kind == "note").then(|| {
                    data.get("text")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_owned()
                }),
                when: (ago(a.created_at, t), datetime(a.created_at)),
            }
        })
        .collect();

    let (title, message) = title_and_message(&issue);
    let page = IssuePage {
        nav: Nav::new(&viewer, "issues"),
        id,
        title,
        message,
        culprit: issue.culprit.clone(),
        kind: issue.kind.clone(),
        level: issue.level.clone(),
        project,
        status: issue.status.as_str().into(),
        status_detail: status_detail(&issue),
        labels: labels(&issue, t),
        assignee: names.of(issue.assignee),
        assign_to: names.choices(issue.assignee),
        first_seen: (ago(issue.first_seen, t), datetime(issue.first_seen)),
        first_release: issue.first_release.clone().unwrap_or_default(),
        last_seen: (ago(issue.last_seen, t), datetime(issue.last_seen)),
        events: count(issue.times_seen),
        users: count(issue.users_seen),
        environments,
        releases,
        tags: tags.into_iter().collect(),
        chart: chart_svg,
        ranges,
        event: view,
        nav_links,
        trace,
        grouping_version: issue.grouping_version.clone(),
        grouping_variant: issue.grouping_variant.clone(),
        grouping_html: event_view::grouping_html(&issue.grouping_components),
        activity,
    };
    render(&page)
}

/// `POST /issues/{id}/status`.
pub async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted { viewer, form }: Posted,
) -> Result<Response, WebError> {
    let number = |k: &str| -> Result<i64, WebError> {
        form.require(k)?
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| WebError::BadRequest(format!("'{k}' must be a positive number")))
    };
    let change = match form.require("action")? {
        "resolve" => StatusChange::Resolve,
        "resolve_next" => StatusChange::ResolveInNextRelease,
        "resolve_in" => StatusChange::ResolveInRelease(form.require("release")?.to_owned()),
        "unresolve" => StatusChange::Unresolve,
        "ignore" => StatusChange::Ignore,
        "ignore_for" => StatusChange::IgnoreUntil(IgnoreLimits {
            until: Some(now() + number("seconds")? as f64),
            ..Default::default()
        }),
        "ignore_count" => StatusChange::IgnoreUntil(IgnoreLimits {
            more_events: Some(number("count")?),
            ..Default::default()
        }),
        "ignore_users" => StatusChange::IgnoreUntil(IgnoreLimits {
            more_users: Some(number("count")?),
            ..Default::default()
        }),
        other => return Err(WebError::BadRequest(format!("unknown action '{other}'"))),
    };
    state
        .store
        .set_issue_status_as(IssueId(id), change, Some(viewer.user.id))
        .await?;
    Ok(see_other(&format!("/issues/{id}")))
}

/// `POST /issues/{id}/assign`.
pub async fn assign(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted { viewer, form }: Posted,
) -> Result<Response, WebError> {
    let to = parse_assignee(form.get("assignee").unwrap_or_default())?;
    state
        .store
        .assign_issue(IssueId(id), to, Some(viewer.user.id))
        .await?;
    Ok(see_other(&format!("/issues/{id}#activity")))
}

/// `POST /issues/{id}/comment`.
pub async fn comment(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted { viewer, form }: Posted,
) -> Result<Response, WebError> {
    let text = form.require("text")?;
    if text.chars().count() > 10_000 {
        return Err(WebError::BadRequest(
            "a comment has at most 10,000 characters".into(),
        ));
    }
    state
        .store
        .add_comment(IssueId(id), viewer.user.id, text)
        .await?;
    Ok(see_other(&format!("/issues/{id}#activity")))
}

/// How many recent events "variables across events" reads.
const ACROSS: u64 = 100;

/// One variable's most frequent values.
pub struct VarSpread {
    /// Variable name.
    pub name: String,
    /// (value, events, percent), most frequent first, at most five.
    pub values: Vec<(String, usize, u32)>,
    /// Distinct values seen.
    pub distinct: usize,
}

#[derive(askama::Template)]
#[template(path = "variables.html")]
struct VariablesPage {
    nav: Nav,
    id: i64,
    title: String,
    frame: String,
    events: usize,
    vars: Vec<VarSpread>,
}

/// The recorded variables of the newest in-app frame of an event's (outermost) exception:
/// the frame's name and its variables as display strings.
fn top_frame_vars(payload: &[u8]) -> Option<(String, Vec<(String, String)>)> {
    let ev: serde_json::Value = serde_json::from_slice(payload).ok()?;
    let exceptions = event_view::values(ev.get("exception"));
    let frames = event_view::values(exceptions.last()?.get("stacktrace")?.get("frames"));
    let frame = frames
        .iter()
        .rev()
        .find(|f| f.get("in_app").and_then(|v| v.as_bool()) == Some(true))
        .or(frames.last())?;
    let vars = frame.get("vars")?.as_object()?;
    let name = format!(
        "{} in {}",
        event_view::str_of(frame.get("function")),
        event_view::str_of(frame.get("module").or(frame.get("filename")))
    );
    let mut out: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| {
            let mut t = event_view::text(v);
            if t.chars().count() > 120 {
                t = t.chars().take(120).collect::<String>() + "…";
            }
            (k.clone(), t)
        })
        .collect();
    out.sort();
    Some((name, out))
}

/// Counts each variable's values across events: most frequent first.
pub fn spread(events: &[Vec<(String, String)>]) -> Vec<VarSpread> {
    let mut per: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for vars in events {
        for (k, v) in vars {
            *per.entry(k).or_default().entry(v).or_default() += 1;
        }
    }
    let total = events.len().max(1);
    per.into_iter()
        .map(|(name, counts)| {
            let distinct = counts.len();
            let mut values: Vec<(String, usize, u32)> = counts
                .into_iter()
                .map(|(v, n)| (v.to_owned(), n, ((n * 100) / total) as u32))
                .collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            values.truncate(5);
            VarSpread {
                name: name.to_owned(),
                values,
                distinct,
            }
        })
        .collect()
}

/// `GET /issues/{id}/variables`: which values each variable of the failing frame had across
/// the issue's recent events.
pub async fn variables(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let issue = state
        .store
        .issue(IssueId(id))
        .await?
        .ok_or_else(|| WebError::NotFound(format!("issue {id} not found")))?;
    let events = state.store.issue_events(issue.id, None, ACROSS).await?;
    let mut frame = String::new();
    let mut sets = Vec::new();
    for e in &events {
        if let Some((name, vars)) = top_frame_vars(&e.payload) {
            if frame.is_empty() {
                frame = name;
            }
            sets.push(vars);
        }
    }
    let (title, _) = title_and_message(&issue);
    render(&VariablesPage {
        nav: Nav::new(&viewer, "issues"),
        id,
        title,
        frame,
        events: sets.len(),
        vars: spread(&sets),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_values_most_frequent_first() {
        let ev = |o: &str, c: &str| {
            vec![
                ("order_id".to_owned(), o.to_owned()),
                ("currency".to_owned(), c.to_owned()),
            ]
        };
        let s = spread(&[
            ev("1", "EUR"),
            ev("2", "EUR"),
            ev("3", "USD"),
            ev("1", "EUR"),
        ]);
        assert_eq!(s[0].name, "currency");
        assert_eq!(s[0].values[0], ("EUR".to_owned(), 3, 75));
        assert_eq!(s[0].distinct, 2);
        assert_eq!(s[1].name, "order_id");
        assert_eq!(s[1].values[0], ("1".to_owned(), 2, 50));
        assert_eq!(s[1].distinct, 3);
    }

    #[test]
    fn finds_the_newest_in_app_frame() {
        let payload = br#"{"exception":{"values":[{"stacktrace":{"frames":[
            {"function":"a","module":"app","in_app":true,"vars":{"x":1}},
            {"function":"b","module":"app","in_app":true,"vars":{"y":"two","z":[1,2]}},
            {"function":"lib","module":"site","in_app":false,"vars":{"q":0}}]}}]}}"#;
        let (name, vars) = top_frame_vars(payload).unwrap();
        assert_eq!(name, "b in app");
        assert_eq!(
            vars,
            vec![("y".into(), "two".into()), ("z".into(), "[1,2]".into())]
        );
        assert!(top_frame_vars(b"{}").is_none());
    }
}
