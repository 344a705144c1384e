//! The web UI: server-rendered pages from templates compiled into the binary, one stylesheet and
//! one small script embedded beside them. `faultline serve` alone serves it.
//!
//! Every page needs a signed-in user ([`Viewer`]); every form carries the session's CSRF token and
//! is checked by [`Posted`]. Everything that came from an event is untrusted: templates escape
//! by default, the few fragments built in Rust go through [`html::esc`], URLs from events are
//! linked only when their scheme is http or https, and every response carries a strict
//! Content-Security-Policy that allows no inline script or style at all.

pub mod agents;
pub mod assets;
pub mod auth;
pub mod event_view;
pub mod html;
pub mod issue;
pub mod issues;
pub mod releases;
pub mod services;
pub mod settings;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use faultline_store::{StoreError, User};

pub use crate::now;
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "faultline_session";
/// How long a sign-in lasts, in seconds (14 days).
pub const SESSION_TTL: f64 = 14.0 * 86400.0;
/// Largest form body accepted.
const MAX_FORM: usize = 256 * 1024;

/// The policy every page is served with: no inline script or style, nothing from elsewhere.
pub const CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The UI's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route(
            "/account/password",
            get(auth::password_page).post(auth::change_password),
        )
        .route("/issues", get(issues::list))
        .route("/issues/bulk", post(issues::bulk))
        .route("/issues/saved", post(issues::save_view))
        .route("/issues/saved/{id}/delete", post(issues::delete_view))
        .route("/issues/{id}", get(issue::page))
        .route("/issues/{id}/variables", get(issue::variables))
        .route("/issues/{id}/status", post(issue::set_status))
        .route("/issues/{id}/assign", post(issue::assign))
        .route("/issues/{id}/comment", post(issue::comment))
        .route("/services", get(services::list).post(services::create))
        .route("/services/{slug}", get(services::detail))
        .route("/agents", get(agents::list))
        .route("/releases", get(releases::list))
        .route("/release", get(releases::detail))
        .route("/settings", get(settings::page))
        .route("/settings/keys", post(settings::create_key))
        .route("/settings/keys/{id}", post(settings::update_key))
        .route("/settings/scrubbing", post(settings::scrubbing))
        .route("/settings/tokens", post(settings::create_token))
        .route("/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .route("/settings/users", post(settings::create_user))
        .route("/settings/users/{id}/role", post(settings::set_role))
        .route("/settings/teams", post(settings::create_team))
        .route("/settings/teams/{id}/members", post(settings::team_member))
        .route("/static/{file}", get(assets::serve))
        .layer(axum::middleware::from_fn(security_headers))
}

async fn home(viewer: Option<Viewer>) -> Redirect {
    match viewer {
        Some(_) => Redirect::to("/issues"),
        None => Redirect::to("/login"),
    }
}

/// Adds the security headers to every UI response.
async fn security_headers(req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// What a page handler can fail with; each renders as a page (or a redirect to sign in).
#[derive(Debug)]
pub enum WebError {
    /// Not signed in: go to the sign-in page, then back to `next`.
    SignIn(String),
    /// 400 with a message.
    BadRequest(String),
    /// 403 with a message.
    Forbidden(String),
    /// 404 with a message.
    NotFound(String),
    /// 500; details go to the log only.
    Internal(String),
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => WebError::NotFound(format!("{what} not found")),
            StoreError::Invalid(msg) => WebError::BadRequest(msg),
            StoreError::Conflict(msg) => WebError::BadRequest(format!("already exists: {msg}")),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(format!("template: {e}"))
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    reason: &'a str,
    message: &'a str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            WebError::SignIn(next) => {
                let to = format!(
                    "/login?next={}",
                    percent_encoding::utf8_percent_encode(
                        &next,
                        percent_encoding::NON_ALPHANUMERIC
                    )
                );
                return Redirect::to(&to).into_response();
            }
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            WebError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            WebError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            WebError::Internal(m) => {
                tracing::error!(error = %m, "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "something went wrong; the server log has the details".to_owned(),
                )
            }
        };
        let page = ErrorPage {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or(""),
            message: &message,
        };
        let body = askama::Template::render(&page).unwrap_or(message);
        (status, Html(body)).into_response()
    }
}

/// Renders a template into a response.
pub fn render(t: &impl askama::Template) -> Result<Response, WebError> {
    Ok(Html(t.render()?).into_response())
}

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Who.
    pub user: User,
    /// The session's CSRF token; every form echoes it.
    pub csrf: String,
    /// The session secret (from the cookie).
    pub secret: String,
}

impl Viewer {
    /// True for admins.
    pub fn is_admin(&self) -> bool {
        self.user.role == "admin"
    }

    /// Fails unless the viewer is an admin.
    pub fn require_admin(&self) -> Result<(), WebError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(WebError::Forbidden("only admins can do this".into()))
        }
    }
}

/// The value of cookie `name` in a request's headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The session behind a request's cookie, if it is live.
pub async fn session_of(parts: &Parts, state: &AppState) -> Result<Option<Viewer>, WebError> {
    let Some(secret) = cookie(&parts.headers, SESSION_COOKIE).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    Ok(state
        .store
        .session_by_secret(secret)
        .await?
        .map(|s| Viewer {
            user: s.user,
            csrf: s.csrf,
            secret: secret.to_owned(),
        }))
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        match session_of(parts, state).await? {
            Some(v) => Ok(v),
            None => {
                let next = match parts.method {
                    Method::GET => parts
                        .uri
                        .path_and_query()
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_else(|| "/".into()),
                    _ => "/".into(),
                };
                Err(WebError::SignIn(next))
            }
        }
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, WebError> {
        session_of(parts, state).await
    }
}

/// A submitted form of a signed-in user, its CSRF token checked.
pub struct Posted {
    /// Who submitted it.
    pub viewer: Viewer,
    /// The fields, in order (repeated names kept).
    pub form: FormData,
}

/// Fields of a URL-encoded form.
#[derive(Debug, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// Parses a URL-encoded body.
    pub fn parse(body: &[u8]) -> Self {
        FormData(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name` exactly as sent (passwords are not trimmed).
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed; empty counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.raw(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value of `name`, or a 400 naming it.
    pub fn require(&self, name: &str) -> Result<&str, WebError> {
        self.get(name)
            .ok_or_else(|| WebError::BadRequest(format!("the field '{name}' is required")))
    }
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Reads and parses a form body under the size cap.
pub async fn read_form(body: Body) -> Result<FormData, WebError> {
    let bytes = axum::body::to_bytes(body, MAX_FORM)
        .await
        .map_err(|_| WebError::BadRequest("form too large".into()))?;
    Ok(FormData::parse(&bytes))
}

impl FromRequest<AppState> for Posted {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = req.into_parts();
        let viewer =
            <Viewer as FromRequestParts<AppState>>::from_request_parts(&mut parts, state).await?;
        let form = read_form(body).await?;
        let token = form.get("csrf").unwrap_or_default();
        if !same_secret(token, &viewer.csrf) {
            return Err(WebError::Forbidden(
                "the form's security token is missing or stale; reload the page and try again"
                    .into(),
            ));
        }
        Ok(Posted { viewer, form })
    }
}

/// A local path to go back to after a form: only paths on this site (`/x`, not `//host`).
pub fn local_path(raw: Option<&str>, fallback: &str) -> String {
    match raw {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.chars().any(|c| c.is_control()) =>
        {
            p.to_owned()
        }
        _ => fallback.to_owned(),
    }
}

/// Redirect after a successful POST.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// The navigation bar's state, shared by every page template.
pub struct Nav {
    /// The active section (`issues`, `services`, …).
    pub section: &'static str,
    /// The signed-in user's email.
    pub email: String,
    /// Admin?
    pub admin: bool,
    /// CSRF token for the sign-out form (and any other form on the page).
    pub csrf: String,
}

impl Nav {
    /// For `viewer` in `section`.
    pub fn new(viewer: &Viewer, section: &'static str) -> Self {
        Nav {
            section,
            email: viewer.user.email.clone(),
            admin: viewer.is_admin(),
            csrf: viewer.csrf.clone(),
        }
    }
}
