//! Issues: the list with search, one issue, status changes, tag values.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::Json;
use faultline_store::{Issue, IssueId, IssueQuery, IssueSort, IssueStatus, Project, StatusChange};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::shape::{issue_out, tags_out, IssueOut, TagOut};
use super::{link_header, page_size, search, Caller, Cursor};
use crate::error::ApiError;
use crate::now;
use crate::state::AppState;

/// Hourly counts over the last 24 hours, zero-filled, as `[[ts, count], …]`.
async fn stats_for(
    state: &AppState,
    issues: &[IssueId],
) -> Result<HashMap<IssueId, Map<String, Value>>, ApiError> {
    let end = (now() as i64).div_euclid(3600) * 3600;
    let start = end - 23 * 3600;
    let rows = state
        .store
        .issue_hourly_counts(issues, start as f64)
        .await?;
    let mut by_issue: HashMap<IssueId, HashMap<i64, i64>> = HashMap::new();
    for (id, hour, count) in rows {
        by_issue.entry(id).or_default().insert(hour, count);
    }
    Ok(issues
        .iter()
        .map(|id| {
            let counts = by_issue.get(id);
            let series: Vec<Value> = (0..24)
                .map(|i| {
                    let h = start + i * 3600;
                    let c = counts.and_then(|m| m.get(&h)).copied().unwrap_or(0);
                    Value::from(vec![Value::from(h), Value::from(c)])
                })
                .collect();
            let mut m = Map::new();
            m.insert("24h".into(), Value::Array(series));
            (*id, m)
        })
        .collect())
}

/// `GET /api/0/projects/{org}/{project}/issues/?query=&statsPeriod=&cursor=&sort=`
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    uri: Uri,
) -> Result<(HeaderMap, Json<Vec<IssueOut>>), ApiError> {
    caller.require("event:read")?;
    let p = super::projects::load(&state, &org, &project).await?;
    let limit = page_size(q.get("limit").or(q.get("per_page")).map(String::as_str))?;
    let cursor = Cursor::parse(q.get("cursor").map(String::as_str))?;
    let mut query = IssueQuery {
        projects: vec![p.id],
        limit: limit + 1,
        offset: cursor.offset,
        ..Default::default()
    };
    // Sentry's default when no query is given.
    if let Some(term) = search::apply(
        q.get("query")
            .map(String::as_str)
            .unwrap_or("is:unresolved"),
        &mut query,
    )? {
        query.assignee =
            Some(search::resolve_assignee(state.store.as_ref(), term, caller.user).await?);
    }
    if let Some(period) = q.get("statsPeriod").filter(|s| !s.is_empty()) {
        query.seen_since = Some(now() - search::period(period)?);
    }
    query.sort = match q.get("sort").map(String::as_str) {
        None | Some("date") | Some("") => IssueSort::LastSeen,
        Some("new") => IssueSort::FirstSeen,
        Some("freq") => IssueSort::Events,
        Some("user") => IssueSort::Users,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "unknown sort '{other}' (date, new, freq, user)"
            )))
        }
    };
    let mut issues = state.store.list_issues(&query).await?;
    let has_next = issues.len() as u64 > limit;
    issues.truncate(limit as usize);
    let ids: Vec<IssueId> = issues.iter().map(|i| i.id).collect();
    let mut stats = stats_for(&state, &ids).await?;
    let out = issues
        .iter()
        .map(|i| {
            issue_out(
                i,
                &p,
                &state.config.public_url,
                stats.remove(&i.id).unwrap_or_default(),
            )
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

async fn load(state: &AppState, id: &str) -> Result<(Issue, Project), ApiError> {
    let n: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("issue '{id}' not found")))?;
    let issue = state
        .store
        .issue(IssueId(n))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("issue {n} not found")))?;
    let project = state
        .store
        .project(issue.project_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("project {} not found", issue.project_id)))?;
    Ok((issue, project))
}

/// An issue with its stats and tags.
#[derive(Debug, serde::Serialize)]
pub struct IssueDetail {
    /// The issue.
    #[serde(flatten)]
    pub issue: IssueOut,
    /// Environments the issue was seen in.
    pub environments: Vec<String>,
    /// Releases the issue was seen in.
    pub releases: Vec<String>,
    /// Tag keys with their top values.
    pub tags: Vec<TagOut>,
}

async fn detail_of(
    state: &AppState,
    issue: &Issue,
    project: &Project,
) -> Result<IssueDetail, ApiError> {
    let mut stats = stats_for(state, &[issue.id]).await?;
    let values = state.store.issue_tag_values(issue.id, None).await?;
    let seen_in = |key: &str| -> Vec<String> {
        values
            .iter()
            .filter(|v| v.key == key)
            .map(|v| v.value.clone())
            .collect()
    };
    let (environments, releases) = (seen_in("environment"), seen_in("release"));
    let tags = tags_out(values);
    Ok(IssueDetail {
        environments,
        releases,
        issue: issue_out(
            issue,
            project,
            &state.config.public_url,
            stats.remove(&issue.id).unwrap_or_default(),
        ),
        tags,
    })
}

/// `GET /api/0/issues/{id}/`
pub async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<IssueDetail>, ApiError> {
    caller.require("event:read")?;
    let (issue, project) = load(&state, &id).await?;
    Ok(Json(detail_of(&state, &issue, &project).await?))
}

/// `GET /api/0/organizations/{org}/issues/{id}/`
pub async fn detail_in_org(
    state: State<AppState>,
    caller: Caller,
    Path((_org, id)): Path<(String, String)>,
) -> Result<Json<IssueDetail>, ApiError> {
    detail(state, caller, Path(id)).await
}

/// The body of `PUT /api/0/issues/{id}/`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateIssue {
    /// `resolved`, `unresolved`, `ignored` (also `resolvedInNextRelease`, `muted`).
    pub status: Option<String>,
    /// `{"inNextRelease": true}` or `{"inRelease": "1.2"}`.
    #[serde(default)]
    pub status_details: Option<StatusDetails>,
    /// Accepted for compatibility and not used: the substatus follows from the status.
    #[allow(dead_code)]
    pub substatus: Option<String>,
}

/// Details of a resolve.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct StatusDetails {
    /// Resolve until a newer release appears.
    #[serde(default)]
    pub in_next_release: Option<bool>,
    /// Resolve in this release.
    #[serde(default)]
    pub in_release: Option<String>,
}

fn change_of(body: &UpdateIssue) -> Result<StatusChange, ApiError> {
    let details = body.status_details.as_ref();
    let status = body
        .status
        .as_deref()
        .ok_or_else(|| ApiError::BadRequest("missing 'status'".into()))?;
    Ok(match status {
        "resolvedInNextRelease" => StatusChange::ResolveInNextRelease,
        "resolved" => match details {
            Some(StatusDetails {
                in_next_release: Some(true),
                ..
            }) => StatusChange::ResolveInNextRelease,
            Some(StatusDetails {
                in_release: Some(r),
                ..
            }) if r == "latest" => StatusChange::ResolveInNextRelease,
            Some(StatusDetails {
                in_release: Some(r),
                ..
            }) => StatusChange::ResolveInRelease(r.clone()),
            _ => StatusChange::Resolve,
        },
        s => match IssueStatus::parse(s) {
            Some(IssueStatus::Unresolved) => StatusChange::Unresolve,
            Some(IssueStatus::Ignored) => StatusChange::Ignore,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "unknown status '{s}' (resolved, resolvedInNextRelease, unresolved, ignored)"
                )))
            }
        },
    })
}

/// `PUT /api/0/issues/{id}/`
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Json<UpdateIssue>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<IssueDetail>, ApiError> {
    caller.require("event:write")?;
    let Json(body) =
        body.map_err(|e| ApiError::BadRequest(format!("invalid body: {}", e.body_text())))?;
    let (issue, project) = load(&state, &id).await?;
    let updated = state
        .store
        .set_issue_status(issue.id, change_of(&body)?)
        .await?;
    Ok(Json(detail_of(&state, &updated, &project).await?))
}

/// `PUT /api/0/organizations/{org}/issues/{id}/`
pub async fn update_in_org(
    state: State<AppState>,
    caller: Caller,
    Path((_org, id)): Path<(String, String)>,
    body: Result<Json<UpdateIssue>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<IssueDetail>, ApiError> {
    update(state, caller, Path(id), body).await
}

/// `GET /api/0/issues/{id}/tags/`
pub async fn tags(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<TagOut>>, ApiError> {
    caller.require("event:read")?;
    let (issue, _) = load(&state, &id).await?;
    Ok(Json(tags_out(
        state.store.issue_tag_values(issue.id, None).await?,
    )))
}
