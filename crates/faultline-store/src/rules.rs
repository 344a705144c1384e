//! Backend-independent rules the backends share: validation of names, secrets, time buckets,
//! the regression and escalation decisions, status changes and activity records. Pure functions
//! over data.

use rand::Rng;
use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};
use crate::model::{Assignee, IssueStatus, ALL_SCOPES};
use crate::query::{AssigneeFilter, IgnoreLimits, StatusChange};

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
    check_role(role)
}

/// A user's role.
pub(crate) fn check_role(role: &str) -> Result<()> {
    if role != "admin" && role != "member" {
        return Err(StoreError::Invalid(format!(
            "role must be admin or member, not '{role}'"
        )));
    }
    Ok(())
}

/// An email as stored and compared: trimmed and lowercase, so lookups are case-insensitive
/// (the same on every backend: lowercased here, never by the database).
pub(crate) fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A new sign-in session: (secret for the cookie, CSRF token). Only the secret's
/// [`token_hash`] is stored.
pub(crate) fn new_session_secrets() -> (String, String) {
    (random_hex(32), random_hex(24))
}

/// A DSN key's new label.
pub(crate) fn check_label(label: &str) -> Result<()> {
    if label.trim().is_empty() {
        return Err(StoreError::Invalid("key label must not be empty".into()));
    }
    Ok(())
}

/// A saved search's name and query: a name of 1–100 characters, a query of at most 2,000.
pub(crate) fn check_saved_search(name: &str, query: &str) -> Result<()> {
    let n = name.trim().chars().count();
    if n == 0 || n > 100 {
        return Err(StoreError::Invalid(
            "a saved search needs a name of 1 to 100 characters".into(),
        ));
    }
    if query.len() > 2000 {
        return Err(StoreError::Invalid(
            "a saved search's query has at most 2,000 characters".into(),
        ));
    }
    Ok(())
}

/// A team's display name: the given one, or the slug when blank.
pub(crate) fn team_name<'a>(slug: &'a str, name: &'a str) -> &'a str {
    match name.trim() {
        "" => slug,
        n => n,
    }
}

/// A comment's text.
pub(crate) fn check_comment(text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(StoreError::Invalid("comment must not be empty".into()));
    }
    Ok(())
}

/// A trace id as stored (16 bytes), from its 32-hex form; `None` for anything else.
pub(crate) fn trace_id_bytes(trace_id: &str) -> Option<Vec<u8>> {
    let t = trace_id.replace('-', "");
    if t.len() != 32 {
        return None;
    }
    hex::decode(t.to_ascii_lowercase()).ok()
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

/// An ignored issue's conditions for coming back, as stored: absolute thresholds
/// (`ignore_until`, `ignore_until_events`, `ignore_until_users`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct IgnoreThresholds {
    /// Comes back at this time, Unix seconds.
    pub until: Option<f64>,
    /// Comes back when `times_seen` reaches this.
    pub events: Option<i64>,
    /// Comes back when `users_seen` reaches this.
    pub users: Option<i64>,
}

impl IgnoreThresholds {
    /// The thresholds for `limits` on an issue with these counters now.
    pub(crate) fn from_limits(limits: &IgnoreLimits, times_seen: i64, users_seen: i64) -> Self {
        IgnoreThresholds {
            until: limits.until,
            events: limits.more_events.map(|n| times_seen.saturating_add(n)),
            users: limits.more_users.map(|n| users_seen.saturating_add(n)),
        }
    }

    /// Whether any condition is set.
    pub(crate) fn is_set(&self) -> bool {
        self.until.is_some() || self.events.is_some() || self.users.is_some()
    }

    /// Which condition an ignored issue with these counters has met at `now`, if any:
    /// `events`, `users` or `until`.
    pub(crate) fn reached(
        &self,
        times_seen: i64,
        users_seen: i64,
        now: f64,
    ) -> Option<&'static str> {
        if self.events.is_some_and(|n| times_seen >= n) {
            Some("events")
        } else if self.users.is_some_and(|n| users_seen >= n) {
            Some("users")
        } else if self.until.is_some_and(|t| t <= now) {
            Some("until")
        } else {
            None
        }
    }

    /// The limits as [`crate::Issue::ignore_limits`] reports them: what is left from now (events
    /// and users still to come), for an ignored issue with a condition; `None` otherwise.
    pub(crate) fn remaining(
        &self,
        status: IssueStatus,
        times_seen: i64,
        users_seen: i64,
    ) -> Option<IgnoreLimits> {
        (status == IssueStatus::Ignored && self.is_set()).then(|| IgnoreLimits {
            until: self.until,
            more_events: self.events.map(|n| (n - times_seen).max(0)),
            more_users: self.users.map(|n| (n - users_seen).max(0)),
        })
    }
}

/// The activity data of an escalation: the condition that was met.
pub(crate) fn escalation_data(reason: &str) -> String {
    serde_json::json!({ "reason": reason }).to_string()
}

/// What a status change writes to an issue.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StatusTarget {
    /// `status`.
    pub status: &'static str,
    /// `substatus`.
    pub substatus: Option<&'static str>,
    /// `resolved_in_release`.
    pub in_release: Option<String>,
    /// `resolved_in_next_release`.
    pub in_next: bool,
    /// The ignore conditions (none set unless the change is [`StatusChange::IgnoreUntil`]).
    pub ignore: IgnoreThresholds,
}

impl StatusTarget {
    /// The columns `change` sets on an issue with these counters; `latest_release` is the
    /// project's newest release (read only for [`StatusChange::ResolveInNextRelease`]).
    pub(crate) fn of(
        change: &StatusChange,
        latest_release: Option<String>,
        times_seen: i64,
        users_seen: i64,
    ) -> Result<Self> {
        let target = |status, substatus, in_release, in_next| StatusTarget {
            status,
            substatus,
            in_release,
            in_next,
            ignore: IgnoreThresholds::default(),
        };
        Ok(match change {
            StatusChange::Unresolve => target("unresolved", Some("ongoing"), None, false),
            StatusChange::Resolve => target("resolved", None, None, false),
            StatusChange::Ignore => target("ignored", Some("archived_forever"), None, false),
            StatusChange::ResolveInRelease(r) => target("resolved", None, Some(r.clone()), false),
            StatusChange::ResolveInNextRelease => target("resolved", None, latest_release, true),
            StatusChange::IgnoreUntil(limits) => {
                check_ignore_limits(limits)?;
                StatusTarget {
                    ignore: IgnoreThresholds::from_limits(limits, times_seen, users_seen),
                    ..target("ignored", Some("archived_until_condition_met"), None, false)
                }
            }
        })
    }

    /// The `set_status` activity data.
    pub(crate) fn activity_data(&self, limits: Option<&IgnoreLimits>) -> String {
        let mut data = serde_json::json!({
            "status": self.status, "inRelease": self.in_release, "inNextRelease": self.in_next,
        });
        if let Some(l) = limits {
            data["ignoreUntil"] = l.until.into();
            data["ignoreCount"] = l.more_events.into();
            data["ignoreUserCount"] = l.more_users.into();
        }
        data.to_string()
    }
}

/// Ignore limits: at least one set, counts positive, the time finite.
fn check_ignore_limits(l: &IgnoreLimits) -> Result<()> {
    if l.until.is_none() && l.more_events.is_none() && l.more_users.is_none() {
        return Err(StoreError::Invalid(
            "ignore until needs a time, an event count or a user count".into(),
        ));
    }
    if l.more_events.is_some_and(|n| n < 1) || l.more_users.is_some_and(|n| n < 1) {
        return Err(StoreError::Invalid(
            "ignore counts must be at least 1".into(),
        ));
    }
    if l.until.is_some_and(|t| !t.is_finite()) {
        return Err(StoreError::Invalid("ignore time must be finite".into()));
    }
    Ok(())
}

/// The assignee the stored columns name (a user wins over a team; only one is ever set).
pub(crate) fn assignee_of(user: Option<i64>, team: Option<i64>) -> Option<Assignee> {
    match (user, team) {
        (Some(u), _) => Some(Assignee::User(crate::model::UserId(u))),
        (None, Some(t)) => Some(Assignee::Team(crate::model::TeamId(t))),
        (None, None) => None,
    }
}

/// The stored columns of an assignee: (`assignee_user_id`, `assignee_team_id`).
pub(crate) fn assignee_columns(to: Option<Assignee>) -> (Option<i64>, Option<i64>) {
    match to {
        Some(Assignee::User(u)) => (Some(u.0), None),
        Some(Assignee::Team(t)) => (None, Some(t.0)),
        None => (None, None),
    }
}

/// The activity of an assignment: kind (`assigned` or `unassigned`) and data; `name` is the
/// user's email or the team's slug.
pub(crate) fn assignment_activity(to: Option<Assignee>, name: &str) -> (&'static str, String) {
    let (kind, id) = match to {
        Some(Assignee::User(u)) => ("user", u.0),
        Some(Assignee::Team(t)) => ("team", t.0),
        None => return ("unassigned", "{}".to_owned()),
    };
    let data = serde_json::json!({ "assignee": { "type": kind, "id": id, "name": name } });
    ("assigned", data.to_string())
}

/// The `note` activity data of a comment.
pub(crate) fn comment_data(text: &str) -> String {
    serde_json::json!({ "text": text }).to_string()
}

/// The SQL condition (issues aliased `i`) of an assignee filter; `param` adds an argument and
/// returns its placeholder.
pub(crate) fn assignee_condition(
    filter: AssigneeFilter,
    param: impl FnOnce(i64) -> String,
) -> String {
    match filter {
        AssigneeFilter::Unassigned => {
            "(i.assignee_user_id IS NULL AND i.assignee_team_id IS NULL)".to_owned()
        }
        AssigneeFilter::Assigned => {
            "(i.assignee_user_id IS NOT NULL OR i.assignee_team_id IS NOT NULL)".to_owned()
        }
        AssigneeFilter::User(u) => format!("i.assignee_user_id = {}", param(u.0)),
        AssigneeFilter::Team(t) => format!("i.assignee_team_id = {}", param(t.0)),
    }
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

    #[test]
    fn ignore_thresholds_count_from_the_counters_at_ignore_time() {
        let limits = IgnoreLimits {
            until: Some(100.0),
            more_events: Some(5),
            more_users: None,
        };
        let t = IgnoreThresholds::from_limits(&limits, 10, 3);
        assert_eq!(t.events, Some(15));
        assert_eq!(t.users, None);
        assert_eq!(t.reached(14, 3, 50.0), None);
        assert_eq!(t.reached(15, 3, 50.0), Some("events"));
        assert_eq!(t.reached(14, 3, 100.0), Some("until"));
        assert_eq!(
            t.remaining(IssueStatus::Ignored, 12, 3),
            Some(IgnoreLimits {
                until: Some(100.0),
                more_events: Some(3),
                more_users: None,
            })
        );
        assert_eq!(t.remaining(IssueStatus::Unresolved, 12, 3), None);
        assert_eq!(
            IgnoreThresholds::default().remaining(IssueStatus::Ignored, 1, 1),
            None
        );
    }

    #[test]
    fn status_targets_validate_and_clear_limits() {
        let t = StatusTarget::of(&StatusChange::Ignore, None, 3, 1).unwrap();
        assert_eq!(t.substatus, Some("archived_forever"));
        assert!(!t.ignore.is_set());
        let until = StatusChange::IgnoreUntil(IgnoreLimits {
            more_users: Some(2),
            ..Default::default()
        });
        let t = StatusTarget::of(&until, None, 3, 1).unwrap();
        assert_eq!(t.substatus, Some("archived_until_condition_met"));
        assert_eq!(t.ignore.users, Some(3));
        for bad in [
            IgnoreLimits::default(),
            IgnoreLimits {
                more_events: Some(0),
                ..Default::default()
            },
        ] {
            assert!(matches!(
                StatusTarget::of(&StatusChange::IgnoreUntil(bad), None, 0, 0),
                Err(StoreError::Invalid(_))
            ));
        }
        let next = StatusTarget::of(
            &StatusChange::ResolveInNextRelease,
            Some("1.0".into()),
            0,
            0,
        );
        assert_eq!(next.unwrap().in_release.as_deref(), Some("1.0"));
    }

    #[test]
    fn emails_trace_ids_and_assignments() {
        assert_eq!(normalize_email(" Admin@Example.COM "), "admin@example.com");
        assert_eq!(trace_id_bytes(&"Ab".repeat(16)).map(|b| b.len()), Some(16));
        assert_eq!(trace_id_bytes("abc"), None);
        let to = Some(Assignee::Team(crate::model::TeamId(4)));
        assert_eq!(assignee_of(None, Some(4)), to);
        assert_eq!(assignee_columns(to), (None, Some(4)));
        let (kind, data) = assignment_activity(to, "backend");
        assert_eq!(kind, "assigned");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&data).unwrap(),
            serde_json::json!({"assignee": {"type": "team", "id": 4, "name": "backend"}})
        );
        assert_eq!(assignment_activity(None, "").0, "unassigned");
    }
}
