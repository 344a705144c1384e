//! Signing in and out, and changing one's password.
//!
//! Passwords are argon2id hashes. A session is a random secret in an HttpOnly, SameSite=Lax
//! cookie (stored hashed) with its own CSRF token. The sign-in form, which has no session yet,
//! is protected by a double-submit token: a random value in a short-lived cookie that the form
//! must echo.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use serde::Deserialize;

use super::{
    cookie, local_path, read_form, render, same_secret, Nav, Posted, Viewer, WebError,
    SESSION_COOKIE, SESSION_TTL,
};
use crate::state::AppState;

const LOGIN_CSRF_COOKIE: &str = "faultline_login";

/// Failed sign-ins per email within a window: after [`LoginThrottle::MAX_FAILURES`] the email
/// is refused for the rest of the window without checking the password, so guessing is slow
/// and cannot keep the CPU busy with argon2.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: std::sync::Mutex<std::collections::HashMap<String, (u32, f64)>>,
}

impl LoginThrottle {
    /// Failures allowed per window.
    pub const MAX_FAILURES: u32 = 10;
    /// The window, in seconds.
    pub const WINDOW: f64 = 300.0;

    /// Seconds to wait before `email` may try again, if it is locked out now.
    pub fn locked(&self, email: &str, now: f64) -> Option<u64> {
        let map = self.failures.lock().ok()?;
        match map.get(&email.to_lowercase()) {
            Some((n, since)) if *n >= Self::MAX_FAILURES && now - since < Self::WINDOW => {
                Some((Self::WINDOW - (now - since)).ceil() as u64)
            }
            _ => None,
        }
    }

    /// Records a failed attempt.
    pub fn failed(&self, email: &str, now: f64) {
        if let Ok(mut map) = self.failures.lock() {
            if map.len() > 100_000 {
                map.retain(|_, (_, since)| now - *since < Self::WINDOW);
            }
            let e = map.entry(email.to_lowercase()).or_insert((0, now));
            if now - e.1 >= Self::WINDOW {
                *e = (0, now);
            }
            e.0 += 1;
        }
    }

    /// Forgets the failures of `email` (after a successful sign-in).
    pub fn succeeded(&self, email: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&email.to_lowercase());
        }
    }
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// [`verify_password`] on the blocking pool: argon2 takes tens of milliseconds of CPU, which
/// must not stall the async workers that serve ingest.
pub async fn verify_off_thread(password: &str, hash: String) -> bool {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// The rules a new password must meet; `Err` says which one it breaks.
pub fn check_new_password(password: &str) -> Result<(), WebError> {
    if password.chars().count() < 8 {
        return Err(WebError::BadRequest(
            "a password needs at least 8 characters".into(),
        ));
    }
    if password.len() > 1024 {
        return Err(WebError::BadRequest("that password is too long".into()));
    }
    Ok(())
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn secure_attr(state: &AppState) -> &'static str {
    if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    next: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

/// `?next=` of the sign-in page.
#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn login_response(
    state: &AppState,
    next: &str,
    email: &str,
    error: Option<&str>,
) -> Result<Response, WebError> {
    let csrf = random_hex(16);
    let page = LoginPage {
        csrf: &csrf,
        next,
        email,
        error,
    };
    let mut resp = render(&page)?;
    let status = if error.is_some() {
        axum::http::StatusCode::UNAUTHORIZED
    } else {
        axum::http::StatusCode::OK
    };
    *resp.status_mut() = status;
    let c = format!(
        "{LOGIN_CSRF_COOKIE}={csrf}; HttpOnly; SameSite=Strict; Path=/login; Max-Age=3600{}",
        secure_attr(state)
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// `GET /login`.
pub async fn login_page(
    State(state): State<AppState>,
    viewer: Option<Viewer>,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    let next = local_path(q.next.as_deref(), "/issues");
    if viewer.is_some() {
        return Ok(super::see_other(&next));
    }
    login_response(&state, &next, "", None)
}

/// `POST /login`.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, WebError> {
    let form = read_form(body).await?;
    let next = local_path(form.get("next"), "/issues");
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let given = form.get("csrf").unwrap_or_default();
    if expected.is_empty() || !same_secret(expected, given) {
        return Err(WebError::Forbidden(
            "the sign-in form expired; reload the page and try again".into(),
        ));
    }
    let email = form.get("email").unwrap_or_default().to_owned();
    if let Some(wait) = state.login_throttle.locked(&email, super::now()) {
        let mut resp = login_response(
            &state,
            &next,
            &email,
            Some(&format!(
                "Too many failed sign-ins for this email; try again in {} minutes.",
                wait.div_ceil(60)
            )),
        )?;
        *resp.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(resp);
    }
    let password = form.raw("password");
    let found = match (email.is_empty(), password) {
        (false, Some(p)) if !p.is_empty() => match state.store.user_by_email(&email).await? {
            Some((user, hash)) => verify_off_thread(p, hash).await.then_some(user),
            None => None,
        },
        _ => None,
    };
    let Some(user) = found else {
        tracing::info!(email = %email, "sign-in refused");
        state.login_throttle.failed(&email, super::now());
        return login_response(&state, &next, &email, Some("Wrong email or password."));
    };
    state.login_throttle.succeeded(&email);
    let (secret, _csrf) = state.store.create_session(user.id, SESSION_TTL).await?;
    let mut resp = super::see_other(&next);
    let c = format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{}",
        SESSION_TTL as i64,
        secure_attr(&state)
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("faultline_login=; Path=/login; Max-Age=0"),
    );
    Ok(resp)
}

/// `POST /logout`.
pub async fn logout(State(state): State<AppState>, posted: Posted) -> Result<Response, WebError> {
    state.store.delete_session(&posted.viewer.secret).await?;
    let mut resp = super::see_other("/login");
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("faultline_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"),
    );
    Ok(resp)
}

#[derive(askama::Template)]
#[template(path = "password.html")]
struct PasswordPage<'a> {
    nav: Nav,
    error: Option<&'a str>,
    done: bool,
}

/// `GET /account/password`.
pub async fn password_page(viewer: Viewer) -> Result<Response, WebError> {
    render(&PasswordPage {
        nav: Nav::new(&viewer, "account"),
        error: None,
        done: false,
    })
}

/// `POST /account/password`: needs the current password; signs out every other session.
pub async fn change_password(
    State(state): State<AppState>,
    Posted { viewer, form }: Posted,
) -> Result<Response, WebError> {
    let raw = |k: &str| form.raw(k).unwrap_or_default();
    let (current, new, again) = (raw("current"), raw("new"), raw("confirm"));
    let fail = |msg: &str| -> Result<Response, WebError> {
        let mut resp = render(&PasswordPage {
            nav: Nav::new(&viewer, "account"),
            error: Some(msg),
            done: false,
        })?;
        *resp.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        Ok(resp)
    };
    let ok = match state.store.user_by_email(&viewer.user.email).await? {
        Some((_, hash)) => verify_off_thread(current, hash).await,
        None => false,
    };
    if !ok {
        return fail("The current password is wrong.");
    }
    if new != again {
        return fail("The two new passwords differ.");
    }
    if let Err(WebError::BadRequest(msg)) = check_new_password(new) {
        return fail(&msg);
    }
    let new = new.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&new))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
        .map_err(WebError::Internal)?;
    state.store.set_user_password(viewer.user.id, &hash).await?;
    state
        .store
        .delete_user_sessions(viewer.user.id, Some(&viewer.secret))
        .await?;
    render(&PasswordPage {
        nav: Nav::new(&viewer, "account"),
        error: None,
        done: true,
    })
    .map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_per_salt() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("wrong horse", &a));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn the_throttle_locks_an_email_after_ten_failures_for_the_window() {
        let t = LoginThrottle::default();
        for i in 0..LoginThrottle::MAX_FAILURES {
            assert_eq!(t.locked("A@x", 100.0 + i as f64), None);
            t.failed("a@X", 100.0 + i as f64);
        }
        assert_eq!(t.locked("a@x", 110.0), Some(290));
        assert_eq!(t.locked("other@x", 110.0), None);
        assert_eq!(t.locked("a@x", 401.0), None, "the window has passed");
        t.succeeded("a@x");
        assert_eq!(t.locked("a@x", 111.0), None);
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("long enough").is_ok());
    }
}
