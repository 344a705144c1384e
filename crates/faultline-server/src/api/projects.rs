//! Projects, their keys, agents and session aggregates.

use axum::extract::{Path, State};
use axum::Json;
use faultline_store::{Agent, Project, SessionHour};

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
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<ProjectOut>>, ApiError> {
    caller.require("project:read")?;
    Ok(Json(state.store.list_projects().await?.iter().map(ProjectOut::from).collect()))
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
    Ok(Json(keys.iter().map(|k| KeyOut::new(k, &state.config.public_url)).collect()))
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
