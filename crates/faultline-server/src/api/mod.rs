//! The REST API: the Sentry web-API shapes, so tools built for Sentry can read Faultline.
//!
//! Every route takes `Authorization: Bearer <token>` or, from the web UI, a signed-in session
//! (changes then need the session's `X-CSRF-Token` header); errors are `{"detail": …}`; lists
//! page with Sentry's cursor `Link` headers.

pub mod events;
pub mod issues;
pub mod projects;
pub mod search;
pub mod shape;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, Uri};
use faultline_store::{ApiToken, TokenId, UserId, ALL_SCOPES};

use crate::error::ApiError;
use crate::state::AppState;

/// An authenticated API caller: a token, or a signed-in user (whose role grants the scopes).
pub struct Caller {
    /// The scopes granted.
    pub grant: ApiToken,
    /// The user, when signed in through the web UI.
    pub user: Option<UserId>,
}

impl Caller {
    /// Fails unless the caller has `scope`.
    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        if self.grant.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this token lacks the scope '{scope}'"
            )))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if parts.headers.get(header::AUTHORIZATION).is_none() {
            if let Some(viewer) = crate::web::session_of(parts, state)
                .await
                .map_err(|_| ApiError::Unauthorized("session lookup failed".into()))?
            {
                return session_caller(parts, viewer);
            }
        }
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| {
                ApiError::Unauthorized("authentication credentials were not provided".into())
            })?
            .to_str()
            .map_err(|_| ApiError::Unauthorized("invalid Authorization header".into()))?;
        let (scheme, secret) = value.split_once(' ').unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("bearer") || secret.trim().is_empty() {
            return Err(ApiError::Unauthorized(
                "use Authorization: Bearer <token>".into(),
            ));
        }
        let token = state
            .store
            .token_by_secret(secret.trim())
            .await?
            .ok_or_else(|| ApiError::Unauthorized("invalid token".into()))?;
        Ok(Caller {
            grant: token,
            user: None,
        })
    }
}

/// A signed-in user calling the API: reads need nothing more; changes need the session's CSRF
/// token in `X-CSRF-Token`. Admins get every scope; members every scope but `*:admin`.
fn session_caller(parts: &Parts, viewer: crate::web::Viewer) -> Result<Caller, ApiError> {
    if !matches!(parts.method, Method::GET | Method::HEAD) {
        let token = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !crate::web::same_secret(token, &viewer.csrf) {
            return Err(ApiError::Forbidden(
                "changes from a browser session need its X-CSRF-Token header".into(),
            ));
        }
    }
    let scopes = ALL_SCOPES
        .iter()
        .filter(|s| viewer.is_admin() || !s.ends_with(":admin"))
        .map(|s| (*s).to_owned())
        .collect();
    Ok(Caller {
        grant: ApiToken {
            id: TokenId(0),
            name: format!("session of {}", viewer.user.email),
            scopes,
            created_at: 0.0,
        },
        user: Some(viewer.user.id),
    })
}

/// Unknown API paths.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no such endpoint: {}", uri.path()))
}

/// Sentry's cursor: `<value>:<offset>:<is_prev>`; Faultline uses the offset only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Rows to skip.
    pub offset: u64,
}

impl Cursor {
    /// Parses `?cursor=`; absent means the first page.
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let Some(raw) = raw.filter(|s| !s.is_empty()) else {
            return Ok(Cursor { offset: 0 });
        };
        let mut parts = raw.split(':');
        let _value = parts.next();
        let offset = parts
            .next()
            .and_then(|o| o.parse::<u64>().ok())
            .ok_or_else(|| ApiError::BadRequest(format!("invalid cursor '{raw}'")))?;
        Ok(Cursor { offset })
    }
}

/// The `Link` header for a page: previous and next, with `results` telling whether they exist.
pub fn link_header(
    uri: &Uri,
    public_url: &str,
    offset: u64,
    limit: u64,
    has_next: bool,
) -> HeaderMap {
    let base = format!("{}{}", public_url.trim_end_matches('/'), uri.path());
    let query: Vec<&str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("cursor="))
        .collect();
    let url = |cursor: &str| {
        let mut q = query.clone();
        let c = format!("cursor={cursor}");
        q.push(&c);
        format!("{base}?{}", q.join("&"))
    };
    let prev = format!("0:{}:1", offset.saturating_sub(limit));
    let next = format!("0:{}:0", offset + limit);
    let value = format!(
        "<{}>; rel=\"previous\"; results=\"{}\"; cursor=\"{prev}\", <{}>; rel=\"next\"; results=\"{}\"; cursor=\"{next}\"",
        url(&prev),
        offset > 0,
        url(&next),
        has_next
    );
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&value) {
        h.insert(header::LINK, v);
    }
    h
}

/// `per_page`/`limit` query values, capped at 100.
pub fn page_size(raw: Option<&str>) -> Result<u64, ApiError> {
    match raw {
        None | Some("") => Ok(100),
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .map(|n| n.min(100))
            .ok_or_else(|| ApiError::BadRequest(format!("invalid page size '{s}'"))),
    }
}

/// Unix seconds → ISO 8601 UTC with milliseconds, as Sentry prints dates.
pub fn iso(ts: f64) -> String {
    let secs = ts.floor() as i64;
    let nanos = ((ts - ts.floor()) * 1e9) as u32;
    chrono::DateTime::from_timestamp(secs, nanos)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}
