//! Agents: every reporting SDK instance, CONNECTED when seen in the last five minutes.

use axum::extract::State;
use axum::response::Response;

use super::html::{ago, datetime};
use super::{now, render, Nav, Viewer, WebError};
use crate::state::AppState;

/// Seen this recently (seconds) counts as connected.
pub const CONNECTED_WINDOW: f64 = 300.0;

/// One agent row.
pub struct AgentRow {
    /// Service slug.
    pub service: String,
    /// Environment.
    pub environment: String,
    /// Host.
    pub host: String,
    /// SDK name.
    pub sdk: String,
    /// SDK version.
    pub version: String,
    /// Release.
    pub release: String,
    /// Last seen, relative and absolute.
    pub last_seen: (String, String),
    /// Connected?
    pub connected: bool,
}

#[derive(askama::Template)]
#[template(path = "agents.html")]
struct AgentsPage {
    nav: Nav,
    rows: Vec<AgentRow>,
    connected: usize,
}

/// `GET /agents`.
pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let t = now();
    let projects = state.store.list_projects().await?;
    let rows: Vec<AgentRow> = state
        .store
        .list_agents(None)
        .await?
        .into_iter()
        .map(|a| AgentRow {
            service: projects
                .iter()
                .find(|p| p.id == a.project_id)
                .map(|p| p.slug.clone())
                .unwrap_or_default(),
            environment: a.environment,
            host: a.server_name,
            sdk: a.sdk_name,
            version: a.sdk_version,
            release: a.release,
            last_seen: (ago(a.last_seen, t), datetime(a.last_seen)),
            connected: a.last_seen >= t - CONNECTED_WINDOW,
        })
        .collect();
    render(&AgentsPage {
        nav: Nav::new(&viewer, "agents"),
        connected: rows.iter().filter(|r| r.connected).count(),
        rows,
    })
}
