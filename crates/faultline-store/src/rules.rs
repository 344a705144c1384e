//! Backend-independent rules the backends share: validation of names, secrets, time buckets and
//! the regression decision. Pure functions over data.

use rand::Rng;
use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};
use crate::model::{IssueStatus, ALL_SCOPES};

/// The current time, Unix seconds.
pub(crate) fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The start of the hour holding `ts`.
pub(crate) fn hour_of(ts: f64) -> i64 {
    (ts as i64).div_euclid(3600) * 3600
}

/// `bytes` random bytes as lowercase hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    hex::encode(buf)
}

/// The stored form of a token secret.
pub(crate) fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new token secret.
pub(crate) fn new_token_secret() -> String {
    format!("flt_{}", random_hex(24))
}

/// An event id as stored (16 bytes), from its hex form with or without dashes.
pub(crate) fn event_id_bytes(event_id: &str) -> Option<Vec<u8>> {
    hex::decode(event_id.replace('-', "").to_ascii_lowercase()).ok()
}

/// Valid project names: what works in a URL path segment without escaping.
pub(crate) fn check_slug(kind: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 50
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "{kind} name '{name}' must be 1-50 characters of letters, digits, '-' and '_'"
        )))
    }
}

/// A token's name and scopes.
pub(crate) fn check_token(name: &str, scopes: &[String]) -> Result<()> {
    if name.trim().is_empty() {
        return Err(StoreError::Invalid("token name must not be empty".into()));
    }
    for s in scopes {
        if !ALL_SCOPES.contains(&s.as_str()) {
            return Err(StoreError::Invalid(format!(
                "unknown scope '{s}' (known: {})",
                ALL_SCOPES.join(", ")
            )));
        }
    }
    Ok(())
}

/// A user's email and role.
pub(crate) fn check_user(email: &str, role: &str) -> Result<()> {
    if !email.contains('@') {
        return Err(StoreError::Invalid(format!(
            "'{email}' is not an email address"
        )));
    }
    if role != "admin" && role != "member" {
        return Err(StoreError::Invalid(format!(
            "role must be admin or member, not '{role}'"
        )));
    }
    Ok(())
}

/// Release order: by semantic version when both parse, else by first seen.
pub(crate) fn is_newer(a: &str, b: &str, a_seen: Option<f64>, b_seen: Option<f64>) -> bool {
    fn semver(s: &str) -> Option<Vec<u64>> {
        let v = s.rsplit('@').next()?.trim_start_matches('v');
        let core = v.split(['-', '+']).next()?;
        core.split('.').map(|p| p.parse().ok()).collect()
    }
    match (semver(a), semver(b)) {
        (Some(x), Some(y)) if x != y => x > y,
        _ => match (a_seen, b_seen) {
            (Some(x), Some(y)) => x > y,
            (Some(_), None) => true,
            _ => false,
        },
    }
}

/// What the regression decision needs to know about a stored issue.
pub(crate) struct ResolvedState {
    pub status: String,
    pub in_release: Option<String>,
    pub in_next: bool,
    pub resolved_at: Option<f64>,
}

/// Whether new events (received up to `max_received`, of `releases` with their first-seen
/// times) reopen an issue; `first_seen` looks up a release's first-seen time.
pub(crate) fn reopens(
    state: &ResolvedState,
    max_received: f64,
    releases: &[String],
    first_seen: impl Fn(&str) -> Option<f64>,
) -> bool {
    if state.status != IssueStatus::Resolved.as_str()
        || max_received < state.resolved_at.unwrap_or(0.0)
    {
        return false;
    }
    if !state.in_next && state.in_release.is_none() {
        return true;
    }
    // Resolved in a release: only an event of a newer release reopens it.
    let Some(base) = &state.in_release else {
        return !releases.is_empty();
    };
    let base_seen = first_seen(base);
    releases
        .iter()
        .any(|r| r != base && is_newer(r, base, first_seen(r), base_seen))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_order_prefers_semver_then_first_seen() {
        assert!(is_newer("app@1.10.0", "app@1.9.2", Some(1.0), Some(2.0)));
        assert!(!is_newer("1.0.0", "1.0.1", Some(5.0), Some(1.0)));
        assert!(is_newer("abc123", "def456", Some(5.0), Some(1.0)));
        assert!(!is_newer("abc123", "def456", Some(1.0), Some(5.0)));
        assert!(is_newer("abc123", "def456", Some(1.0), None));
    }

    #[test]
    fn reopening_follows_the_resolution() {
        let resolved = |in_release: Option<&str>, in_next| ResolvedState {
            status: "resolved".into(),
            in_release: in_release.map(str::to_owned),
            in_next,
            resolved_at: Some(10.0),
        };
        let seen = |r: &str| Some(if r == "1.0" { 1.0 } else { 2.0 });
        assert!(reopens(&resolved(None, false), 11.0, &[], seen));
        assert!(!reopens(&resolved(None, false), 9.0, &[], seen));
        assert!(!reopens(
            &resolved(Some("1.0"), true),
            11.0,
            &["1.0".into()],
            seen
        ));
        assert!(reopens(
            &resolved(Some("1.0"), true),
            11.0,
            &["1.1".into()],
            seen
        ));
        assert!(reopens(&resolved(None, true), 11.0, &["x".into()], seen));
        let mut open = resolved(None, false);
        open.status = "unresolved".into();
        assert!(!reopens(&open, 11.0, &[], seen));
    }
}
