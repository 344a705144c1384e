//! What people do to issues on PostgreSQL: status changes, assignment, comments; the activity
//! log; and bringing back issues whose ignore time has passed.

use deadpool_postgres::{GenericClient, Object};

use super::issues::{escalate, insert_activity};
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::query::StatusChange;
use crate::rules::{
    assignee_columns, assignment_activity, check_comment, comment_data, escalation_data, now,
    StatusTarget,
};

fn not_found(id: IssueId) -> StoreError {
    StoreError::NotFound(format!("issue {id}"))
}

pub(super) async fn set_issue_status(
    c: &mut Object,
    id: IssueId,
    change: StatusChange,
    actor: Option<UserId>,
) -> Result<Issue> {
    let tx = c.transaction().await?;
    let row = tx
        .query_opt(
            "SELECT project_id, times_seen, users_seen FROM issues WHERE id = $1 FOR UPDATE",
            &[&id.0],
        )
        .await?
        .ok_or_else(|| not_found(id))?;
    let (project, times_seen, users_seen): (i64, i64, i64) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let latest = match change {
        StatusChange::ResolveInNextRelease => tx
            .query_opt(
                "SELECT version FROM releases WHERE project_id = $1
                 ORDER BY first_seen DESC, id DESC LIMIT 1",
                &[&project],
            )
            .await?
            .map(|r| r.try_get::<_, String>(0))
            .transpose()?,
        _ => None,
    };
    let target = StatusTarget::of(&change, latest, times_seen, users_seen)?;
    tx.execute(
        "UPDATE issues SET status = $1, substatus = $2, resolved_in_release = $3,
           resolved_in_next_release = $4,
           resolved_at = CASE WHEN $1 = 'resolved' THEN $5 ELSE resolved_at END,
           ignore_until = $6, ignore_until_events = $7, ignore_until_users = $8
         WHERE id = $9",
        &[
            &target.status,
            &target.substatus,
            &target.in_release,
            &target.in_next,
            &now(),
            &target.ignore.until,
            &target.ignore.events,
            &target.ignore.users,
            &id.0,
        ],
    )
    .await?;
    let limits = match &change {
        StatusChange::IgnoreUntil(l) => Some(l),
        _ => None,
    };
    let data = target.activity_data(limits);
    insert_activity(&tx, "set_status", &[(id.0, data)], actor.map(|u| u.0)).await?;
    let issue = super::read::issue(&*tx, id).await?;
    tx.commit().await?;
    issue.ok_or_else(|| not_found(id))
}

pub(super) async fn assign_issue(
    c: &mut Object,
    id: IssueId,
    to: Option<Assignee>,
    actor: Option<UserId>,
) -> Result<Issue> {
    let tx = c.transaction().await?;
    tx.query_opt("SELECT 1 FROM issues WHERE id = $1 FOR UPDATE", &[&id.0])
        .await?
        .ok_or_else(|| not_found(id))?;
    let name: String = match to {
        None => String::new(),
        Some(Assignee::User(u)) => tx
            .query_opt("SELECT email FROM users WHERE id = $1", &[&u.0])
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {u}")))?
            .try_get(0)?,
        Some(Assignee::Team(t)) => tx
            .query_opt("SELECT slug FROM teams WHERE id = $1", &[&t.0])
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("team {t}")))?
            .try_get(0)?,
    };
    let (user, team) = assignee_columns(to);
    tx.execute(
        "UPDATE issues SET assignee_user_id = $1, assignee_team_id = $2 WHERE id = $3",
        &[&user, &team, &id.0],
    )
    .await?;
    let (kind, data) = assignment_activity(to, &name);
    insert_activity(&tx, kind, &[(id.0, data)], actor.map(|u| u.0)).await?;
    let issue = super::read::issue(&*tx, id).await?;
    tx.commit().await?;
    issue.ok_or_else(|| not_found(id))
}

pub(super) async fn add_comment(
    c: &mut Object,
    id: IssueId,
    user: UserId,
    text: &str,
) -> Result<Activity> {
    check_comment(text)?;
    let tx = c.transaction().await?;
    tx.query_opt("SELECT 1 FROM issues WHERE id = $1", &[&id.0])
        .await?
        .ok_or_else(|| not_found(id))?;
    if super::accounts::user(&tx, user).await?.is_none() {
        return Err(StoreError::NotFound(format!("user {user}")));
    }
    let row: i64 = tx
        .query_one(
            "INSERT INTO issue_activity (issue_id, kind, data, created_at, user_id)
             VALUES ($1, 'note', $2, $3, $4) RETURNING id",
            &[&id.0, &comment_data(text), &now(), &user.0],
        )
        .await?
        .try_get(0)?;
    let entry = activities(&tx, "a.id = $1", row).await?.into_iter().next();
    tx.commit().await?;
    entry.ok_or_else(|| StoreError::NotFound(format!("activity {row}")))
}

/// Activity rows matching `filter` (alias `a`) with the one parameter `arg`, oldest first.
async fn activities(c: &impl GenericClient, filter: &str, arg: i64) -> Result<Vec<Activity>> {
    let sql = format!(
        "SELECT a.id, a.issue_id, a.kind, a.data, a.created_at, u.id, u.email, u.role
         FROM issue_activity a LEFT JOIN users u ON u.id = a.user_id
         WHERE {filter} ORDER BY a.id"
    );
    let stmt = c.prepare_cached(&sql).await?;
    c.query(&stmt, &[&arg])
        .await?
        .iter()
        .map(|r| {
            let user = match r.try_get::<_, Option<i64>>(5)? {
                Some(id) => Some(User {
                    id: UserId(id),
                    email: r.try_get(6)?,
                    role: r.try_get(7)?,
                }),
                None => None,
            };
            Ok(Activity {
                id: r.try_get(0)?,
                issue_id: IssueId(r.try_get(1)?),
                kind: r.try_get(2)?,
                data: r.try_get(3)?,
                user,
                created_at: r.try_get(4)?,
            })
        })
        .collect()
}

/// An issue's activity log, oldest first.
pub(super) async fn issue_activity(c: &Object, id: IssueId) -> Result<Vec<Activity>> {
    activities(c, "a.issue_id = $1", id.0).await
}

/// Brings back ignored issues whose ignore time is at or before `now`; returns how many.
pub(super) async fn unignore_expired(c: &mut Object, now: f64) -> Result<u64> {
    let tx = c.transaction().await?;
    // Locked in id order, like the write path locks issues.
    let rows = tx
        .query(
            "SELECT id FROM issues
             WHERE status = 'ignored' AND ignore_until IS NOT NULL AND ignore_until <= $1
             ORDER BY id FOR UPDATE",
            &[&now],
        )
        .await?;
    let data = escalation_data("until");
    let expired = rows
        .iter()
        .map(|r| Ok((r.try_get::<_, i64>(0)?, data.clone())))
        .collect::<Result<Vec<_>>>()?;
    escalate(&tx, &expired).await?;
    tx.commit().await?;
    Ok(expired.len() as u64)
}
