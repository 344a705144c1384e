//! Errors at the two HTTP boundaries, each mapped to a response in exactly one place.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// The JSON error body Sentry's clients and tools expect.
#[derive(Debug, Serialize)]
pub struct Detail {
    /// What was wrong, and where.
    pub detail: String,
}

/// Why an ingest request was refused.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Malformed request: bad envelope, bad JSON, bad compression, bad path.
    #[error("{0}")]
    Invalid(String),
    /// No usable authentication.
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated, but not allowed (revoked key, wrong project).
    #[error("{0}")]
    Forbidden(String),
    /// Over a size limit.
    #[error("{0}")]
    TooLarge(String),
    /// The key's rate limit is used up for `retry_after` seconds.
    #[error("rate limit of this key exceeded")]
    RateLimited {
        /// Seconds until the window resets.
        retry_after: u64,
    },
    /// The writer queue is full; try again shortly.
    #[error("server is saturated, retry later")]
    Overloaded,
    /// Storage failed: the events were not stored and must be sent again.
    #[error("storage failed, events were not stored: {0}")]
    Unavailable(String),
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let detail = self.to_string();
        let (status, retry) = match &self {
            IngestError::Invalid(_) => (StatusCode::BAD_REQUEST, None),
            IngestError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, None),
            IngestError::Forbidden(_) => (StatusCode::FORBIDDEN, None),
            IngestError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, None),
            IngestError::RateLimited { retry_after } => {
                (StatusCode::TOO_MANY_REQUESTS, Some((*retry_after, "key")))
            }
            IngestError::Overloaded => (StatusCode::TOO_MANY_REQUESTS, Some((1, "organization"))),
            IngestError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, None),
        };
        match status.as_u16() {
            500.. => tracing::error!(%detail, "ingest failed"),
            _ => tracing::debug!(%detail, status = status.as_u16(), "ingest refused"),
        }
        let mut resp = (
            status,
            Json(Detail {
                detail: detail.clone(),
            }),
        )
            .into_response();
        let headers = resp.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&detail.chars().take(200).collect::<String>()) {
            headers.insert("x-sentry-error", v);
        }
        if let Some((secs, scope)) = retry {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
            if let Ok(v) = HeaderValue::from_str(&format!("{secs}::{scope}")) {
                headers.insert("x-sentry-rate-limits", v);
            }
        }
        resp
    }
}

/// Why an API request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing or bad token.
    #[error("{0}")]
    Unauthorized(String),
    /// Token lacks a scope.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing.
    #[error("{0}")]
    NotFound(String),
    /// Bad parameters or body.
    #[error("{0}")]
    BadRequest(String),
    /// Storage failed.
    #[error("internal error")]
    Internal(String),
}

impl From<faultline_store::StoreError> for ApiError {
    fn from(e: faultline_store::StoreError) -> Self {
        use faultline_store::StoreError as S;
        match e {
            S::NotFound(m) => ApiError::NotFound(format!("{m} not found")),
            S::Invalid(m) | S::Conflict(m) => ApiError::BadRequest(m),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Internal(m) => {
                tracing::error!(error = %m, "api request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (
            status,
            Json(Detail {
                detail: self.to_string(),
            }),
        )
            .into_response()
    }
}
