//! Releases: first event, events and new issues per release; a release's new issues.

use axum::extract::{Query, State};
use axum::response::Response;
use faultline_store::{IssueQuery, TagFilter};
use serde::Deserialize;

use super::html::{ago, count, datetime};
use super::issues::title_and_message;
use super::{now, render, Nav, Viewer, WebError};
use crate::state::AppState;

/// One release row.
pub struct ReleaseRow {
    /// Service slug.
    pub service: String,
    /// Version.
    pub version: String,
    /// Link to its page.
    pub url: String,
    /// First event, relative and absolute.
    pub first_seen: (String, String),
    /// Last event, relative.
    pub last_seen: String,
    /// Events.
    pub events: String,
    /// New issues.
    pub new_issues: i64,
}

#[derive(askama::Template)]
#[template(path = "releases.html")]
struct ReleasesPage {
    nav: Nav,
    rows: Vec<ReleaseRow>,
}

fn release_url(service: &str, version: &str) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("service", service);
    s.append_pair("version", version);
    format!("/release?{}", s.finish())
}

/// `GET /releases`.
pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let t = now();
    let projects = state.store.list_projects().await?;
    let rows = state
        .store
        .list_releases(None)
        .await?
        .into_iter()
        .map(|r| {
            let service = projects
                .iter()
                .find(|p| p.id == r.project_id)
                .map(|p| p.slug.clone())
                .unwrap_or_default();
            ReleaseRow {
                url: release_url(&service, &r.version),
                service,
                version: r.version,
                first_seen: (ago(r.first_seen, t), datetime(r.first_seen)),
                last_seen: ago(r.last_seen, t),
                events: count(r.events),
                new_issues: r.new_issues,
            }
        })
        .collect();
    render(&ReleasesPage {
        nav: Nav::new(&viewer, "releases"),
        rows,
    })
}

/// `?service=&version=` of a release page.
#[derive(Deserialize)]
pub struct ReleaseParams {
    service: String,
    version: String,
}

/// A new issue of a release.
pub struct NewIssue {
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Message.
    pub message: String,
    /// Culprit.
    pub culprit: String,
    /// Events.
    pub events: String,
    /// Status.
    pub status: &'static str,
    /// First seen.
    pub first_seen: String,
}

#[derive(askama::Template)]
#[template(path = "release.html")]
struct ReleasePage {
    nav: Nav,
    service: String,
    version: String,
    first_seen: String,
    events: String,
    issues: Vec<NewIssue>,
}

/// `GET /release?service=&version=`.
pub async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<ReleaseParams>,
) -> Result<Response, WebError> {
    let t = now();
    let project = super::settings::named_project(&state, &p.service).await?;
    let release = state
        .store
        .list_releases(Some(project.id))
        .await?
        .into_iter()
        .find(|r| r.version == p.version)
        .ok_or_else(|| WebError::NotFound(format!("release '{}' not found", p.version)))?;
    let q = IssueQuery {
        projects: vec![project.id],
        tags: vec![TagFilter {
            key: "release".into(),
            value: p.version.clone(),
            negate: false,
        }],
        sort: faultline_store::IssueSort::FirstSeen,
        limit: 1000,
        ..Default::default()
    };
    let issues = state
        .store
        .list_issues(&q)
        .await?
        .into_iter()
        .filter(|i| i.first_release.as_deref() == Some(p.version.as_str()))
        .map(|i| {
            let (title, message) = title_and_message(&i);
            NewIssue {
                id: i.id.0,
                title,
                message,
                culprit: i.culprit.clone(),
                events: count(i.times_seen),
                status: i.status.as_str(),
                first_seen: ago(i.first_seen, t),
            }
        })
        .collect();
    render(&ReleasePage {
        nav: Nav::new(&viewer, "releases"),
        service: project.slug,
        version: release.version,
        first_seen: datetime(release.first_seen),
        events: count(release.events),
        issues,
    })
}
