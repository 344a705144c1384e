//! Projects, their keys, agents and session aggregates.

use axum::extract::{Path, State};
use axum::Json;
use faultline_store::{Agent, Attachment, Project, ProjectId, SessionHour};
use serde::Deserialize;

use super::shape::{KeyOut, ProjectOut};
use super::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// A project by organization and project slug, or 404.
pub async fn load(state: &AppState, org: &str, project: &str) -> Result<Project, ApiError> {
    state
        .store
        .project_by_slug(org, project)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("project {org}/{project} not found")))
}

/// `GET /api/0/projects/`
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ProjectOut>>, ApiError> {
    caller.require("project:read")?;
    Ok(Json(
        state
            .store
            .list_projects()
            .await?
            .iter()
            .map(ProjectOut::from)
            .collect(),
    ))
}

/// `GET /api/0/projects/{org}/{project}/`
pub async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
) -> Result<Json<ProjectOut>, ApiError> {
    caller.require("project:read")?;
    Ok(Json(ProjectOut::from(&load(&state, &org, &project).await?)))
}

/// `GET /api/0/projects/{org}/{project}/keys/`
pub async fn keys(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
) -> Result<Json<Vec<KeyOut>>, ApiError> {
    caller.require("project:read")?;
    let p = load(&state, &org, &project).await?;
    let keys = state.store.list_keys(p.id).await?;
    Ok(Json(
        keys.iter()
            .map(|k| KeyOut::new(k, &state.config.public_url))
            .collect(),
    ))
}

/// `GET /api/0/projects/{org}/{project}/agents/`: every SDK instance that reported.
pub async fn agents(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
) -> Result<Json<Vec<Agent>>, ApiError> {
    caller.require("project:read")?;
    let p = load(&state, &org, &project).await?;
    Ok(Json(state.store.list_agents(Some(p.id)).await?))
}

/// `GET /api/0/projects/{org}/{project}/sessions/`: hourly release-health aggregates.
pub async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
) -> Result<Json<Vec<SessionHour>>, ApiError> {
    caller.require("project:read")?;
    let p = load(&state, &org, &project).await?;
    Ok(Json(state.store.session_hours(p.id).await?))
}

/// The body of `PUT /api/0/projects/{org}/{project}/` (Sentry's names).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateProject {
    /// Server-side scrubbing on or off.
    pub data_scrubber: Option<bool>,
    /// Extra key names to scrub.
    pub sensitive_fields: Option<Vec<String>>,
}

/// `PUT /api/0/projects/{org}/{project}/`: scrubbing settings.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project)): Path<(String, String)>,
    body: Result<Json<UpdateProject>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ProjectOut>, ApiError> {
    caller.require("project:write")?;
    let Json(body) =
        body.map_err(|e| ApiError::BadRequest(format!("invalid body: {}", e.body_text())))?;
    let p = load(&state, &org, &project).await?;
    let enabled = body.data_scrubber.unwrap_or(p.scrub_enabled);
    let fields = body.sensitive_fields.unwrap_or(p.scrub_extra_keys.clone());
    if let Some(bad) = fields
        .iter()
        .find(|f| f.trim().is_empty() || f.contains(','))
    {
        return Err(ApiError::BadRequest(format!(
            "invalid sensitive field '{bad}'"
        )));
    }
    state
        .store
        .set_project_scrubbing(p.id, enabled, &fields)
        .await?;
    state.keys.invalidate();
    Ok(Json(ProjectOut::from(&load(&state, &org, &project).await?)))
}

/// The body of `PUT /api/0/projects/{org}/{project}/keys/{key}/`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateKey {
    /// `{"count": N, "window": SECONDS}`, or `null` to remove the limit.
    #[serde(default, deserialize_with = "double_option")]
    pub rate_limit: Option<Option<RateLimitIn>>,
    /// `false` revokes the key.
    pub is_active: Option<bool>,
}

/// A rate limit in a request.
#[derive(Debug, Deserialize)]
pub struct RateLimitIn {
    /// Events per window.
    pub count: u32,
    /// Window in seconds.
    pub window: u32,
}

fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<RateLimitIn>>, D::Error> {
    Option::<RateLimitIn>::deserialize(d).map(Some)
}

/// `PUT /api/0/projects/{org}/{project}/keys/{key}/`: rate limit, revoke.
pub async fn update_key(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, key)): Path<(String, String, String)>,
    body: Result<Json<UpdateKey>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<KeyOut>, ApiError> {
    caller.require("project:write")?;
    let Json(body) =
        body.map_err(|e| ApiError::BadRequest(format!("invalid body: {}", e.body_text())))?;
    let p = load(&state, &org, &project).await?;
    let k = find_key(&state, p.id, &key).await?;
    if let Some(limit) = body.rate_limit {
        if let Some(l) = &limit {
            if l.window == 0 {
                return Err(ApiError::BadRequest(
                    "rateLimit.window must be at least 1 second".into(),
                ));
            }
        }
        state
            .store
            .set_key_rate_limit(k.id, limit.map(|l| (l.count, l.window)))
            .await?;
    }
    match body.is_active {
        Some(false) => state.store.revoke_key(k.id).await?,
        Some(true) if !k.active => {
            return Err(ApiError::BadRequest(
                "a revoked key cannot be reactivated".into(),
            ))
        }
        _ => {}
    }
    state.keys.invalidate();
    let k = find_key(&state, p.id, &key).await?;
    Ok(Json(KeyOut::new(&k, &state.config.public_url)))
}

async fn find_key(
    state: &AppState,
    project: ProjectId,
    key: &str,
) -> Result<faultline_store::ProjectKey, ApiError> {
    state
        .store
        .list_keys(project)
        .await?
        .into_iter()
        .find(|k| k.public_key == key || k.id.to_string() == key)
        .ok_or_else(|| ApiError::NotFound(format!("key {key} not found")))
}

/// An attachment as the API lists it.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentOut {
    /// Id as a string.
    pub id: String,
    /// File name.
    pub name: String,
    /// Attachment type.
    #[serde(rename = "type")]
    pub ty: String,
    /// Size in bytes.
    pub size: i64,
    /// Content type.
    pub mimetype: Option<String>,
}

impl From<Attachment> for AttachmentOut {
    fn from(a: Attachment) -> Self {
        AttachmentOut {
            id: a.id.to_string(),
            name: a.filename,
            ty: a.attachment_type,
            size: a.size,
            mimetype: a.content_type,
        }
    }
}

/// `GET /api/0/projects/{org}/{project}/events/{event_id}/attachments/`
pub async fn attachments(
    State(state): State<AppState>,
    caller: Caller,
    Path((org, project, event_id)): Path<(String, String, String)>,
) -> Result<Json<Vec<AttachmentOut>>, ApiError> {
    caller.require("event:read")?;
    let p = load(&state, &org, &project).await?;
    let list = state.store.event_attachments(p.id, &event_id).await?;
    Ok(Json(list.into_iter().map(AttachmentOut::from).collect()))
}
