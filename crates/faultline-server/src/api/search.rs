//! The issue search syntax: `is:unresolved level:error release:1.2 environment:prod
//! type:uncaught !server_name:web-1 tag:value "free text"`.

use faultline_store::{AssigneeFilter, IssueQuery, IssueStatus, Store, TagFilter, UserId};

use crate::error::ApiError;

/// Splits a query into terms, keeping quoted phrases (also `key:"a b"`) whole.
fn tokens(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in query.chars() {
        match ch {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Applies a search query to `q`; an assignee term is returned for the caller to resolve
/// (names need the store).
pub fn apply(query: &str, q: &mut IssueQuery) -> Result<Option<AssigneeTerm>, ApiError> {
    let mut assignee = None;
    for term in tokens(query) {
        let (negate, term) = match term.strip_prefix('!') {
            Some(rest) => (true, rest.to_owned()),
            None => (false, term),
        };
        let Some((key, value)) = term
            .split_once(':')
            .filter(|(k, v)| !k.is_empty() && !v.is_empty() && !k.contains('/'))
        else {
            q.text.push(term);
            continue;
        };
        match key {
            "is" if !matches!(value, "assigned" | "unassigned") => match value {
                "unresolved" | "resolved" | "ignored" | "muted" | "archived" => {
                    let s = IssueStatus::parse(if value == "archived" {
                        "ignored"
                    } else {
                        value
                    })
                    .ok_or_else(|| ApiError::BadRequest(format!("unknown status '{value}'")))?;
                    q.statuses.push(s);
                }
                "new" | "regressed" | "ongoing" | "escalating" => q.substatuses.push(value.into()),
                other => {
                    return Err(ApiError::BadRequest(format!(
                        "unknown is: filter '{other}'"
                    )))
                }
            },
            "is" if matches!(value, "assigned" | "unassigned") => {
                assignee = Some(if (value == "assigned") != negate {
                    AssigneeTerm::Assigned
                } else {
                    AssigneeTerm::Unassigned
                });
            }
            "has" if value == "assignee" => {
                assignee = Some(if negate {
                    AssigneeTerm::Unassigned
                } else {
                    AssigneeTerm::Assigned
                });
            }
            "assigned" | "assigned_to" if !negate => {
                assignee = Some(match value {
                    "me" => AssigneeTerm::Me,
                    "none" | "nobody" => AssigneeTerm::Unassigned,
                    v => match v.strip_prefix('#') {
                        Some(team) => AssigneeTerm::Team(team.to_owned()),
                        None => AssigneeTerm::Email(v.to_owned()),
                    },
                });
            }
            "level" if !negate => q.levels.extend(value.split(',').map(str::to_owned)),
            "type" | "issue.type" if !negate => {
                for v in value.split(',') {
                    let kind = match v {
                        "uncaught" | "unhandled" => "uncaught",
                        "caught" | "handled" => "caught",
                        "logged" | "log" => "logged",
                        "message" => "message",
                        other => {
                            return Err(ApiError::BadRequest(format!("unknown type '{other}'")))
                        }
                    };
                    q.kinds.push(kind.into());
                }
            }
            _ => q.tags.push(TagFilter {
                key: key.into(),
                value: value.into(),
                negate,
            }),
        }
    }
    Ok(assignee)
}

/// An `assigned:` / `has:assignee` / `is:assigned` term, before names are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssigneeTerm {
    /// `assigned:me`.
    Me,
    /// `assigned:someone@example.com`.
    Email(String),
    /// `assigned:#team`.
    Team(String),
    /// `is:unassigned`, `!has:assignee`, `assigned:none`.
    Unassigned,
    /// `is:assigned`, `has:assignee`.
    Assigned,
}

/// Resolves an assignee term to a filter: `me` is `viewer`; unknown names are a 400.
pub async fn resolve_assignee(
    store: &dyn Store,
    term: AssigneeTerm,
    viewer: Option<UserId>,
) -> Result<AssigneeFilter, ApiError> {
    Ok(match term {
        AssigneeTerm::Me => AssigneeFilter::User(
            viewer
                .ok_or_else(|| ApiError::BadRequest("assigned:me needs a signed-in user".into()))?,
        ),
        AssigneeTerm::Email(email) => AssigneeFilter::User(
            store
                .user_by_email(&email)
                .await?
                .map(|(u, _)| u.id)
                .ok_or_else(|| ApiError::BadRequest(format!("no user '{email}'")))?,
        ),
        AssigneeTerm::Team(slug) => AssigneeFilter::Team(
            store
                .list_teams()
                .await?
                .into_iter()
                .find(|t| t.team.slug == slug)
                .map(|t| t.team.id)
                .ok_or_else(|| ApiError::BadRequest(format!("no team '#{slug}'")))?,
        ),
        AssigneeTerm::Unassigned => AssigneeFilter::Unassigned,
        AssigneeTerm::Assigned => AssigneeFilter::Assigned,
    })
}

/// `24h`, `14d`, `30m`, `2w` → seconds.
pub fn period(raw: &str) -> Result<f64, ApiError> {
    let bad = || ApiError::BadRequest(format!("invalid statsPeriod '{raw}'"));
    let split = raw.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = raw.split_at(split);
    let n: f64 = n.parse().map_err(|_| bad())?;
    let mult = match unit {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        "w" => 7.0 * 86400.0,
        _ => return Err(bad()),
    };
    Ok(n * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_of_term() {
        let mut q = IssueQuery::default();
        apply(r#"is:unresolved level:error release:"app 1.0" environment:prod !server_name:web-1 type:uncaught "connection refused" timeout"#, &mut q).unwrap();
        assert_eq!(q.statuses, vec![IssueStatus::Unresolved]);
        assert_eq!(q.levels, vec!["error"]);
        assert_eq!(q.kinds, vec!["uncaught"]);
        assert_eq!(q.text, vec!["connection refused", "timeout"]);
        assert_eq!(q.tags.len(), 3);
        assert_eq!(
            q.tags[0],
            TagFilter {
                key: "release".into(),
                value: "app 1.0".into(),
                negate: false
            }
        );
        assert!(q.tags[2].negate);
    }

    #[test]
    fn parses_assignee_terms() {
        let term = |s: &str| apply(s, &mut IssueQuery::default()).unwrap();
        assert_eq!(term("assigned:me"), Some(AssigneeTerm::Me));
        assert_eq!(
            term("assigned:#backend"),
            Some(AssigneeTerm::Team("backend".into()))
        );
        assert_eq!(
            term("assigned:a@b.c"),
            Some(AssigneeTerm::Email("a@b.c".into()))
        );
        assert_eq!(term("!has:assignee"), Some(AssigneeTerm::Unassigned));
        assert_eq!(term("has:assignee"), Some(AssigneeTerm::Assigned));
        assert_eq!(term("is:unassigned"), Some(AssigneeTerm::Unassigned));
        assert_eq!(
            term("is:assigned level:error"),
            Some(AssigneeTerm::Assigned)
        );
        assert_eq!(term("level:error"), None);
    }

    #[test]
    fn rejects_unknown_status_and_periods() {
        assert!(apply("is:sleeping", &mut IssueQuery::default()).is_err());
        assert_eq!(period("24h").unwrap(), 86400.0);
        assert_eq!(period("14d").unwrap(), 14.0 * 86400.0);
        assert!(period("h").is_err());
        assert!(period("5y").is_err());
    }
}
