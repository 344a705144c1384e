//! What people do to issues: status changes, assignment, comments; the activity log; and
//! bringing back issues whose ignore time has passed.

use rusqlite::{params, Connection, OptionalExtension};

use super::now;
use super::read;
use super::write::{activity, escalate};
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::query::StatusChange;
use crate::rules::{
    assignee_columns, assignment_activity, check_comment, comment_data, StatusTarget,
};

fn not_found(id: IssueId) -> StoreError {
    StoreError::NotFound(format!("issue {id}"))
}

pub(super) fn set_issue_status(
    c: &mut Connection,
    id: IssueId,
    change: StatusChange,
    actor: Option<UserId>,
) -> Result<Issue> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let (project, times_seen, users_seen): (i64, i64, i64) = tx
        .query_row(
            "SELECT project_id, times_seen, users_seen FROM issues WHERE id = ?1",
            [id.0],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| not_found(id))?;
    let latest = match change {
        StatusChange::ResolveInNextRelease => tx
            .query_row(
                "SELECT version FROM releases WHERE project_id = ?1
                 ORDER BY first_seen DESC, id DESC LIMIT 1",
                [project],
                |r| r.get(0),
            )
            .optional()?,
        _ => None,
    };
    let target = StatusTarget::of(&change, latest, times_seen, users_seen)?;
    tx.execute(
        "UPDATE issues SET status = ?1, substatus = ?2, resolved_in_release = ?3,
           resolved_in_next_release = ?4,
           resolved_at = CASE WHEN ?1 = 'resolved' THEN ?5 ELSE resolved_at END,
           ignore_until = ?6, ignore_until_events = ?7, ignore_until_users = ?8
         WHERE id = ?9",
        params![
            target.status,
            target.substatus,
            target.in_release,
            target.in_next,
            now(),
            target.ignore.until,
            target.ignore.events,
            target.ignore.users,
            id.0
        ],
    )?;
    let limits = match &change {
        StatusChange::IgnoreUntil(l) => Some(l),
        _ => None,
    };
    let data = target.activity_data(limits);
    activity(&tx, id.0, "set_status", &data, actor.map(|u| u.0))?;
    tx.commit()?;
    read::issue(c, id)?.ok_or_else(|| not_found(id))
}

pub(super) fn assign_issue(
    c: &mut Connection,
    id: IssueId,
    to: Option<Assignee>,
    actor: Option<UserId>,
) -> Result<Issue> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM issues WHERE id = ?1)",
        [id.0],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(not_found(id));
    }
    let name: String = match to {
        None => String::new(),
        Some(Assignee::User(u)) => tx
            .query_row("SELECT email FROM users WHERE id = ?1", [u.0], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("user {u}")))?,
        Some(Assignee::Team(t)) => tx
            .query_row("SELECT slug FROM teams WHERE id = ?1", [t.0], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("team {t}")))?,
    };
    let (user, team) = assignee_columns(to);
    tx.execute(
        "UPDATE issues SET assignee_user_id = ?1, assignee_team_id = ?2 WHERE id = ?3",
        params![user, team, id.0],
    )?;
    let (kind, data) = assignment_activity(to, &name);
    activity(&tx, id.0, kind, &data, actor.map(|u| u.0))?;
    tx.commit()?;
    read::issue(c, id)?.ok_or_else(|| not_found(id))
}

pub(super) fn add_comment(
    c: &mut Connection,
    id: IssueId,
    user: UserId,
    text: &str,
) -> Result<Activity> {
    check_comment(text)?;
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM issues WHERE id = ?1)",
        [id.0],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(not_found(id));
    }
    if super::accounts::user(&tx, user)?.is_none() {
        return Err(StoreError::NotFound(format!("user {user}")));
    }
    let row = activity(&tx, id.0, "note", &comment_data(text), Some(user.0))?;
    let entry = activities(&tx, "a.id = ?1", row)?.into_iter().next();
    tx.commit()?;
    entry.ok_or_else(|| StoreError::NotFound(format!("activity {row}")))
}

/// Activity rows matching `filter` (alias `a`) with the one parameter `arg`, oldest first.
fn activities(c: &Connection, filter: &str, arg: i64) -> Result<Vec<Activity>> {
    let sql = format!(
        "SELECT a.id, a.issue_id, a.kind, a.data, a.created_at, u.id, u.email, u.role
         FROM issue_activity a LEFT JOIN users u ON u.id = a.user_id
         WHERE {filter} ORDER BY a.id"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map([arg], |r| {
        let user = match r.get::<_, Option<i64>>(5)? {
            Some(id) => Some(User {
                id: UserId(id),
                email: r.get(6)?,
                role: r.get(7)?,
            }),
            None => None,
        };
        Ok(Activity {
            id: r.get(0)?,
            issue_id: IssueId(r.get(1)?),
            kind: r.get(2)?,
            data: r.get(3)?,
            user,
            created_at: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An issue's activity log, oldest first.
pub(super) fn issue_activity(c: &Connection, id: IssueId) -> Result<Vec<Activity>> {
    activities(c, "a.issue_id = ?1", id.0)
}

/// Brings back ignored issues whose ignore time is at or before `now`; returns how many.
pub(super) fn unignore_expired(c: &mut Connection, now: f64) -> Result<u64> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let ids: Vec<i64> = tx
        .prepare(
            "SELECT id FROM issues
             WHERE status = 'ignored' AND ignore_until IS NOT NULL AND ignore_until <= ?1
             ORDER BY id",
        )?
        .query_map([now], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in &ids {
        escalate(&tx, *id, "until")?;
    }
    tx.commit()?;
    Ok(ids.len() as u64)
}
