//! The issue list (the event list): tabs, filters, search, sort, sparklines, bulk actions.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use faultline_store::{
    Assignee, Issue, IssueId, IssueQuery, IssueSort, IssueStatus, Project, ProjectId, StatusChange,
    TagFilter, TeamId, UserId,
};
use serde::Deserialize;

use super::html::{ago, bucket, count, datetime, sparkline};
use super::{local_path, now, render, see_other, Nav, Posted, Viewer, WebError};
use crate::api::search;
use crate::error::ApiError;
use crate::state::AppState;

const PAGE: u64 = 50;

/// The list's URL parameters; every one optional.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct ListParams {
    tab: Option<String>,
    project: Option<String>,
    environment: Option<String>,
    release: Option<String>,
    level: Option<String>,
    kind: Option<String>,
    assignee: Option<String>,
    period: Option<String>,
    sort: Option<String>,
    query: Option<String>,
    page: Option<u64>,
}

impl ListParams {
    fn get(v: &Option<String>) -> &str {
        v.as_deref().map(str::trim).unwrap_or_default()
    }

    /// This list's URL with some parameters changed (`""` removes one); the page resets
    /// unless it is one of the changes.
    fn url(&self, changes: &[(&str, &str)]) -> String {
        let fields: [(&str, &Option<String>); 10] = [
            ("tab", &self.tab),
            ("project", &self.project),
            ("environment", &self.environment),
            ("release", &self.release),
            ("level", &self.level),
            ("kind", &self.kind),
            ("assignee", &self.assignee),
            ("period", &self.period),
            ("sort", &self.sort),
            ("query", &self.query),
        ];
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (name, value) in fields {
            let v = changes
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| *v)
                .unwrap_or(Self::get(value));
            if !v.is_empty() {
                ser.append_pair(name, v);
            }
        }
        if let Some((_, p)) = changes.iter().find(|(k, _)| *k == "page") {
            ser.append_pair("page", p);
        }
        let qs = ser.finish();
        if qs.is_empty() {
            "/issues".into()
        } else {
            format!("/issues?{qs}")
        }
    }
}

/// A choice in a filter's drop-down.
pub struct Choice {
    /// Value sent.
    pub value: String,
    /// Label shown.
    pub label: String,
    /// Currently chosen.
    pub selected: bool,
}

fn choices(current: &str, options: impl IntoIterator<Item = (String, String)>) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == current,
            value,
            label,
        })
        .collect()
}

/// A tab or a link with an active state.
pub struct Link {
    /// Label.
    pub label: String,
    /// Target.
    pub url: String,
    /// Active?
    pub active: bool,
}

/// One row of the list.
pub struct Row {
    /// Issue id.
    pub id: i64,
    /// `uncaught`, `caught`, `logged`, `message`.
    pub kind: String,
    /// Title (the exception type, or the message).
    pub title: String,
    /// The message under it (exception value), when different.
    pub message: String,
    /// Culprit.
    pub culprit: String,
    /// Project slug.
    pub project: String,
    /// Level.
    pub level: String,
    /// Events.
    pub events: String,
    /// Users.
    pub users: String,
    /// First seen, relative and absolute.
    pub first_seen: (String, String),
    /// Last seen, relative and absolute.
    pub last_seen: (String, String),
    /// Sparkline SVG (built from numbers only).
    pub spark: String,
    /// Labels: (css class, text).
    pub labels: Vec<(&'static str, &'static str)>,
    /// Assignee's name or `""`.
    pub assignee: String,
    /// Environments it was seen in, most events first (at most three).
    pub environments: Vec<String>,
    /// Status.
    pub status: &'static str,
}

#[derive(askama::Template)]
#[template(path = "issues.html")]
struct ListPage {
    nav: Nav,
    tabs: Vec<Link>,
    projects: Vec<Choice>,
    environments: Vec<Choice>,
    releases: Vec<Choice>,
    levels: Vec<Choice>,
    kinds: Vec<Choice>,
    assignees: Vec<Choice>,
    assign_to: Vec<Choice>,
    periods: Vec<Choice>,
    sorts: Vec<Link>,
    tab: String,
    sort: String,
    query: String,
    error: Option<String>,
    rows: Vec<Row>,
    page: u64,
    prev: Option<String>,
    next: Option<String>,
    here: String,
    view_query: String,
    saved: Vec<SavedView>,
    spark_label: &'static str,
}

/// A saved view in the list's bar.
pub struct SavedView {
    /// Id (for deleting).
    pub id: i64,
    /// Name.
    pub name: String,
    /// Its list URL.
    pub url: String,
    /// The list shows it now.
    pub active: bool,
}

/// Issue metadata's `type` and `value`.
fn type_and_value(issue: &Issue) -> (String, String) {
    let meta: serde_json::Value = serde_json::from_str(&issue.metadata).unwrap_or_default();
    let s = |k: &str| {
        meta.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    (s("type"), s("value"))
}

/// The title and the message shown under it.
pub fn title_and_message(issue: &Issue) -> (String, String) {
    let (ty, value) = type_and_value(issue);
    if issue.kind != "message" && !ty.is_empty() {
        (ty, value)
    } else {
        (issue.title.clone(), String::new())
    }
}

/// The labels an issue carries in lists.
pub fn labels(issue: &Issue, now: f64) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if issue.first_seen >= now - 86400.0 && issue.status == IssueStatus::Unresolved {
        out.push(("label new", "NEW"));
    }
    match issue.substatus.as_deref() {
        Some("regressed") => out.push(("label regressed", "REGRESSED")),
        Some("escalating") => out.push(("label escalating", "ESCALATING")),
        _ => {}
    }
    if issue.level == "fatal" {
        out.push(("label critical", "CRITICAL"));
    }
    out
}

/// Whether the latest bucket is far above the issue's own baseline: at least 10 events and
/// more than three times the mean of the buckets before it (which must have some history).
pub fn increasing(counts: &[i64]) -> bool {
    let Some((last, before)) = counts.split_last() else {
        return false;
    };
    let history: i64 = before.iter().sum();
    if before.is_empty() || history == 0 || *last < 10 {
        return false;
    }
    (*last as f64) > 3.0 * (history as f64 / before.len() as f64)
}

/// Display names of users and teams, for assignees.
pub struct Names {
    users: HashMap<UserId, String>,
    teams: HashMap<TeamId, String>,
}

impl Names {
    /// Loads every user and team.
    pub async fn load(state: &AppState) -> Result<Self, WebError> {
        let users = state
            .store
            .list_users()
            .await?
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect();
        let teams = state
            .store
            .list_teams()
            .await?
            .into_iter()
            .map(|t| (t.team.id, t.team.slug))
            .collect();
        Ok(Names { users, teams })
    }

    /// `someone@x` or `#team`.
    pub fn of(&self, a: Option<Assignee>) -> String {
        match a {
            Some(Assignee::User(u)) => self.users.get(&u).cloned().unwrap_or_default(),
            Some(Assignee::Team(t)) => self
                .teams
                .get(&t)
                .map(|s| format!("#{s}"))
                .unwrap_or_default(),
            None => String::new(),
        }
    }

    /// Choices for "assign to": users, then teams, values `user:N` / `team:N`.
    pub fn choices(&self, current: Option<Assignee>) -> Vec<Choice> {
        let cur = assignee_value(current);
        let mut users: Vec<_> = self.users.iter().collect();
        users.sort_by(|a, b| a.1.cmp(b.1));
        let mut teams: Vec<_> = self.teams.iter().collect();
        teams.sort_by(|a, b| a.1.cmp(b.1));
        let opts = users
            .into_iter()
            .map(|(id, e)| (format!("user:{id}"), e.clone()))
            .chain(
                teams
                    .into_iter()
                    .map(|(id, s)| (format!("team:{id}"), format!("#{s}"))),
            );
        choices(&cur, opts)
    }
}

/// `user:N`, `team:N` or `""`.
pub fn assignee_value(a: Option<Assignee>) -> String {
    match a {
        Some(Assignee::User(u)) => format!("user:{u}"),
        Some(Assignee::Team(t)) => format!("team:{t}"),
        None => String::new(),
    }
}

/// Parses `user:N` / `team:N`; `""` or `none` is nobody.
pub fn parse_assignee(raw: &str) -> Result<Option<Assignee>, WebError> {
    let bad = || WebError::BadRequest(format!("unknown assignee '{raw}'"));
    match raw.split_once(':') {
        None if raw.is_empty() || raw == "none" => Ok(None),
        Some(("user", n)) => Ok(Some(Assignee::User(UserId(n.parse().map_err(|_| bad())?)))),
        Some(("team", n)) => Ok(Some(Assignee::Team(TeamId(n.parse().map_err(|_| bad())?)))),
        _ => Err(bad()),
    }
}

/// Periods offered, with their length in seconds.
const PERIODS: [(&str, &str, f64); 7] = [
    ("1h", "Last hour", 3600.0),
    ("24h", "Last 24 hours", 86400.0),
    ("7d", "Last 7 days", 7.0 * 86400.0),
    ("14d", "Last 14 days", 14.0 * 86400.0),
    ("30d", "Last 30 days", 30.0 * 86400.0),
    ("90d", "Last 90 days", 90.0 * 86400.0),
    ("all", "All time", 0.0),
];

fn api_err(e: ApiError) -> WebError {
    match e {
        ApiError::BadRequest(m) => WebError::BadRequest(m),
        ApiError::NotFound(m) => WebError::NotFound(m),
        ApiError::Forbidden(m) | ApiError::Unauthorized(m) => WebError::Forbidden(m),
        other => WebError::Internal(other.to_string()),
    }
}

/// `GET /issues`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<ListParams>,
) -> Result<Response, WebError> {
    let t = now();
    let g = ListParams::get;
    let projects = state.store.list_projects().await?;
    let project = projects.iter().find(|x| x.slug == g(&p.project));
    let tab = match g(&p.tab) {
        "" => "unresolved",
        t @ ("unresolved" | "new" | "resolved" | "ignored" | "all") => t,
        other => return Err(WebError::BadRequest(format!("unknown tab '{other}'"))),
    };
    let period = match g(&p.period) {
        "" => "14d",
        v => v,
    };
    let span = PERIODS
        .iter()
        .find(|(k, _, _)| *k == period)
        .map(|x| x.2)
        .ok_or_else(|| WebError::BadRequest(format!("unknown period '{period}'")))?;
    let sort = match g(&p.sort) {
        "" => "last_seen",
        v => v,
    };
    let page = p.page.unwrap_or(1).max(1);

    let mut q = IssueQuery {
        projects: project.map(|x| vec![x.id]).unwrap_or_default(),
        limit: PAGE + 1,
        offset: (page - 1) * PAGE,
        sort: match sort {
            "last_seen" => IssueSort::LastSeen,
            "first_seen" => IssueSort::FirstSeen,
            "events" => IssueSort::Events,
            "users" => IssueSort::Users,
            other => return Err(WebError::BadRequest(format!("unknown sort '{other}'"))),
        },
        ..Default::default()
    };
    match tab {
        "unresolved" => q.statuses.push(IssueStatus::Unresolved),
        "new" => {
            q.statuses.push(IssueStatus::Unresolved);
            q.first_seen_since = Some(t - if span > 0.0 { span } else { 86400.0 });
        }
        "resolved" => q.statuses.push(IssueStatus::Resolved),
        "ignored" => q.statuses.push(IssueStatus::Ignored),
        _ => {}
    }
    if span > 0.0 {
        q.seen_since = Some(t - span);
    }
    for (key, v) in [("environment", &p.environment), ("release", &p.release)] {
        if !g(v).is_empty() {
            q.tags.push(TagFilter {
                key: key.into(),
                value: g(v).into(),
                negate: false,
            });
        }
    }
    if !g(&p.level).is_empty() {
        q.levels.push(g(&p.level).into());
    }
    if !g(&p.kind).is_empty() {
        q.kinds.push(g(&p.kind).into());
    }
    match g(&p.assignee) {
        "" => {}
        "me" => q.assignee = Some(faultline_store::AssigneeFilter::User(viewer.user.id)),
        "none" => q.assignee = Some(faultline_store::AssigneeFilter::Unassigned),
        other => {
            q.assignee = Some(match parse_assignee(other)? {
                Some(Assignee::User(u)) => faultline_store::AssigneeFilter::User(u),
                Some(Assignee::Team(t)) => faultline_store::AssigneeFilter::Team(t),
                None => faultline_store::AssigneeFilter::Unassigned,
            })
        }
    }
    let query_text = g(&p.query).to_owned();
    let mut error = None;
    match search::apply(&query_text, &mut q) {
        Ok(Some(term)) => {
            match search::resolve_assignee(state.store.as_ref(), term, Some(viewer.user.id)).await {
                Ok(f) => q.assignee = Some(f),
                Err(e) => error = Some(api_err(e)),
            }
        }
        Ok(None) => {}
        Err(e) => error = Some(api_err(e)),
    }
    let error = match error {
        Some(WebError::BadRequest(m)) => Some(m),
        Some(other) => return Err(other),
        None => None,
    };

    let mut issues = if error.is_some() {
        Vec::new()
    } else {
        state.store.list_issues(&q).await?
    };
    let has_next = issues.len() as u64 > PAGE;
    issues.truncate(PAGE as usize);

    // Sparklines: 24 hourly bars for a day or less, else daily bars (at most 30).
    let (n, size, spark_label) = if span > 0.0 && span <= 86400.0 {
        (24usize, 3600.0, "24h")
    } else if span > 0.0 && span <= 14.0 * 86400.0 {
        ((span / 86400.0) as usize, 86400.0, "daily")
    } else {
        (30, 86400.0, "30d")
    };
    let ids: Vec<IssueId> = issues.iter().map(|i| i.id).collect();
    let hourly = state
        .store
        .issue_hourly_counts(&ids, t - n as f64 * size - size)
        .await?;
    let mut per_issue: HashMap<IssueId, Vec<(i64, i64)>> = HashMap::new();
    for (id, hour, c) in hourly {
        per_issue.entry(id).or_default().push((hour, c));
    }
    let names = Names::load(&state).await?;
    let mut environments: HashMap<IssueId, Vec<String>> = HashMap::new();
    for i in &issues {
        let seen = state
            .store
            .issue_tag_values(i.id, Some("environment"))
            .await?
            .into_iter()
            .take(3)
            .map(|t| t.value)
            .collect();
        environments.insert(i.id, seen);
    }
    let slug = |id: ProjectId| {
        projects
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.slug.clone())
            .unwrap_or_default()
    };
    let rows = issues
        .iter()
        .map(|i| {
            let (title, message) = title_and_message(i);
            let b = bucket(
                per_issue.get(&i.id).map(Vec::as_slice).unwrap_or(&[]),
                t,
                n,
                size,
            );
            let counts: Vec<i64> = b.iter().map(|x| x.1).collect();
            let mut labels = labels(i, t);
            if increasing(&counts) && !labels.iter().any(|l| l.1 == "NEW") {
                labels.push(("label escalating", "INCREASING"));
            }
            Row {
                id: i.id.0,
                kind: i.kind.clone(),
                title,
                message,
                culprit: i.culprit.clone(),
                project: slug(i.project_id),
                level: i.level.clone(),
                events: count(i.times_seen),
                users: count(i.users_seen),
                first_seen: (ago(i.first_seen, t), datetime(i.first_seen)),
                last_seen: (ago(i.last_seen, t), datetime(i.last_seen)),
                spark: sparkline(&counts, 96, 22),
                labels,
                assignee: names.of(i.assignee),
                environments: environments.remove(&i.id).unwrap_or_default(),
                status: i.status.as_str(),
            }
        })
        .collect();

    let envs = state.store.list_environments(project.map(|x| x.id)).await?;
    let mut versions: Vec<String> = state
        .store
        .list_releases(project.map(|x| x.id))
        .await?
        .into_iter()
        .map(|r| r.version)
        .collect();
    versions.dedup();
    let any = |label: &str| (String::new(), label.to_owned());
    let tabs = [
        ("unresolved", "Unresolved"),
        ("new", "New"),
        ("resolved", "Resolved"),
        ("ignored", "Ignored"),
        ("all", "All"),
    ]
    .iter()
    .map(|(k, label)| Link {
        label: (*label).into(),
        url: p.url(&[("tab", if *k == "unresolved" { "" } else { k })]),
        active: *k == tab,
    })
    .collect();
    let sorts = [
        ("last_seen", "Last seen"),
        ("first_seen", "First seen"),
        ("events", "Events"),
        ("users", "Users"),
    ]
    .iter()
    .map(|(k, label)| Link {
        label: (*label).into(),
        url: p.url(&[("sort", if *k == "last_seen" { "" } else { k })]),
        active: *k == sort,
    })
    .collect();
    let mut assignee_opts = vec![
        any("Anyone"),
        ("me".into(), "Me".into()),
        ("none".into(), "Nobody".into()),
    ];
    assignee_opts.extend(names.choices(None).into_iter().map(|c| (c.value, c.label)));
    let page_url = |n: u64| p.url(&[("page", &n.to_string())]);
    let view_url = p.url(&[]);
    let view_query = view_url
        .split_once('?')
        .map(|(_, q)| q.to_owned())
        .unwrap_or_default();
    let saved = state
        .store
        .list_saved_searches(viewer.user.id)
        .await?
        .into_iter()
        .map(|s| {
            let url = if s.query.is_empty() {
                "/issues".to_owned()
            } else {
                format!("/issues?{}", s.query)
            };
            SavedView {
                id: s.id,
                name: s.name,
                active: url == view_url,
                url,
            }
        })
        .collect();
    let listing = ListPage {
        nav: Nav::new(&viewer, "issues"),
        tabs,
        projects: choices(
            g(&p.project),
            std::iter::once(any("All services")).chain(
                projects
                    .iter()
                    .map(|x: &Project| (x.slug.clone(), x.name.clone())),
            ),
        ),
        environments: choices(
            g(&p.environment),
            std::iter::once(any("All environments"))
                .chain(envs.into_iter().map(|e| (e.clone(), e))),
        ),
        releases: choices(
            g(&p.release),
            std::iter::once(any("All releases"))
                .chain(versions.into_iter().map(|v| (v.clone(), v))),
        ),
        levels: choices(
            g(&p.level),
            std::iter::once(any("All levels")).chain(
                ["fatal", "error", "warning", "info", "debug"]
                    .iter()
                    .map(|l| ((*l).into(), (*l).into())),
            ),
        ),
        kinds: choices(
            g(&p.kind),
            std::iter::once(any("All types")).chain(
                [
                    ("uncaught", "Uncaught"),
                    ("caught", "Caught"),
                    ("logged", "Logged error"),
                    ("message", "Message"),
                ]
                .iter()
                .map(|(v, l)| ((*v).into(), (*l).into())),
            ),
        ),
        assignees: choices(g(&p.assignee), assignee_opts),
        assign_to: names.choices(None),
        periods: choices(
            period,
            PERIODS.iter().map(|(k, l, _)| ((*k).into(), (*l).into())),
        ),
        sorts,
        tab: tab.into(),
        sort: sort.into(),
        query: query_text,
        error,
        rows,
        page,
        prev: (page > 1).then(|| page_url(page - 1)),
        next: has_next.then(|| page_url(page + 1)),
        here: p.url(&[("page", &page.to_string())]),
        view_query,
        saved,
        spark_label,
    };
    render(&listing)
}

/// `POST /issues/saved`: saves the list's current view (`query`) under `name`.
pub async fn save_view(
    State(state): State<AppState>,
    Posted { viewer, form }: Posted,
) -> Result<Response, WebError> {
    let name = form.require("name")?;
    let query = form.get("query").unwrap_or_default();
    // Only what the list itself understands is kept; a view is a list URL, nothing else.
    let params: ListParams = serde_urlencoded_query(query)?;
    let url = params.url(&[]);
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    state.store.save_search(viewer.user.id, name, query).await?;
    Ok(see_other(&url))
}

/// `POST /issues/saved/{id}/delete`.
pub async fn delete_view(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Posted { viewer, .. }: Posted,
) -> Result<Response, WebError> {
    state.store.delete_saved_search(viewer.user.id, id).await?;
    Ok(see_other("/issues"))
}

fn serde_urlencoded_query(query: &str) -> Result<ListParams, WebError> {
    Query::<ListParams>::try_from_uri(
        &format!("/issues?{query}")
            .parse()
            .map_err(|_| WebError::BadRequest("that view is not a list URL".into()))?,
    )
    .map(|q| q.0)
    .map_err(|e| WebError::BadRequest(format!("that view is not a list URL: {e}")))
}

/// `POST /issues/bulk`: resolve, ignore, reopen or assign the checked issues.
pub async fn bulk(State(state): State<AppState>, posted: Posted) -> Result<Response, WebError> {
    let Posted { viewer, form } = posted;
    let back = local_path(form.get("return"), "/issues");
    let ids: Vec<IssueId> = form
        .all("id")
        .iter()
        .map(|s| s.parse::<i64>().map(IssueId))
        .collect::<Result<_, _>>()
        .map_err(|_| WebError::BadRequest("bad issue id".into()))?;
    if ids.is_empty() {
        return Err(WebError::BadRequest("select at least one issue".into()));
    }
    let action = form.require("action")?;
    for id in ids {
        let actor = Some(viewer.user.id);
        match action {
            "resolve" => {
                state
                    .store
                    .set_issue_status_as(id, StatusChange::Resolve, actor)
                    .await?;
            }
            "ignore" => {
                state
                    .store
                    .set_issue_status_as(id, StatusChange::Ignore, actor)
                    .await?;
            }
            "unresolve" => {
                state
                    .store
                    .set_issue_status_as(id, StatusChange::Unresolve, actor)
                    .await?;
            }
            "assign" => {
                let to = parse_assignee(form.get("assignee").unwrap_or_default())?;
                state.store.assign_issue(id, to, actor).await?;
            }
            other => return Err(WebError::BadRequest(format!("unknown action '{other}'"))),
        }
    }
    Ok(see_other(&back))
}

#[cfg(test)]
mod tests {
    use super::increasing;

    #[test]
    fn increasing_needs_a_baseline_and_a_jump() {
        assert!(increasing(&[1, 2, 1, 2, 30]));
        assert!(!increasing(&[10, 12, 9, 11, 14]));
        assert!(
            !increasing(&[0, 0, 0, 0, 50]),
            "no history: that is NEW, not INCREASING"
        );
        assert!(!increasing(&[1, 0, 0, 0, 5]), "too few events to call it");
        assert!(!increasing(&[]));
        assert!(!increasing(&[40]));
    }
}
