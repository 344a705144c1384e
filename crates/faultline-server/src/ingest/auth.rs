//! Finding the DSN key of an ingest request: `X-Sentry-Auth`, `Authorization: Sentry|Basic`,
//! the `sentry_key` query parameter, or (envelopes only) the `dsn` in the envelope header.

use std::sync::Arc;

use axum::http::HeaderMap;
use faultline_protocol::auth::{self, Auth};

use super::keys::KeyInfo;
use crate::error::IngestError;
use crate::state::AppState;

/// Highest protocol version understood.
const PROTOCOL_VERSION: u16 = 7;

/// Auth from the request's headers and query. Several sources are fine when they name the same
/// key (more lenient than Relay); different keys are refused.
pub fn from_request(headers: &HeaderMap, query: Option<&str>) -> Result<Option<Auth>, IngestError> {
    let bad = |e: auth::AuthError| IngestError::Unauthorized(format!("bad authentication: {e}"));
    let mut found: Vec<Auth> = Vec::new();
    if let Some(v) = headers.get("x-sentry-auth") {
        let v = v
            .to_str()
            .map_err(|_| IngestError::Unauthorized("X-Sentry-Auth is not text".into()))?;
        found.push(auth::parse_auth_header(v).map_err(bad)?);
    }
    if let Some(v) = headers.get(axum::http::header::AUTHORIZATION) {
        let v = v
            .to_str()
            .map_err(|_| IngestError::Unauthorized("Authorization is not text".into()))?;
        if let Some(a) = auth::parse_authorization_header(v).map_err(bad)? {
            found.push(a);
        }
    }
    if let Some(q) = query {
        if let Some(a) = auth::auth_from_query(q).map_err(bad)? {
            found.push(a);
        }
    }
    let mut it = found.into_iter();
    let Some(first) = it.next() else {
        return Ok(None);
    };
    for other in it {
        if other.public_key != first.public_key {
            return Err(IngestError::Unauthorized(
                "multiple authorization payloads name different keys".into(),
            ));
        }
    }
    if let Some(v) = first.version {
        if v > PROTOCOL_VERSION {
            return Err(IngestError::Invalid(format!(
                "sentry_version {v} is not supported (highest: {PROTOCOL_VERSION})"
            )));
        }
    }
    Ok(Some(first))
}

/// The key for `public_key`, checked against the project in the URL.
pub async fn authorize(
    state: &AppState,
    public_key: &str,
    project_in_path: u64,
) -> Result<Arc<KeyInfo>, IngestError> {
    let info = state
        .keys
        .get(public_key)
        .await?
        .ok_or_else(|| IngestError::Unauthorized(format!("unknown DSN key '{public_key}'")))?;
    if !info.key.active {
        return Err(IngestError::Forbidden(
            "this DSN key has been revoked".into(),
        ));
    }
    if info.project_id().0 as u64 != project_in_path {
        return Err(IngestError::Forbidden(format!(
            "this DSN key does not belong to project {project_in_path}"
        )));
    }
    Ok(info)
}

/// The project id from the URL path: digits only.
pub fn project_id(raw: &str) -> Result<u64, IngestError> {
    raw.parse::<u64>()
        .map_err(|_| IngestError::Invalid(format!("project id '{raw}' in the URL is not a number")))
}
