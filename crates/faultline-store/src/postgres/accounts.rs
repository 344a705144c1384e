//! Users, sign-in sessions, teams and their members, token and key management on PostgreSQL.
//! Text is ordered byte-wise (`COLLATE "C"`), as SQLite orders it.

use deadpool_postgres::{GenericClient, Object};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::error::{Result, StoreError};
use crate::model::*;
use crate::rules::{
    check_label, check_role, check_slug, new_session_secrets, normalize_email, now, team_name,
    token_hash,
};

fn user_row(r: &Row) -> Result<User> {
    Ok(User {
        id: UserId(r.try_get(0)?),
        email: r.try_get(1)?,
        role: r.try_get(2)?,
    })
}

/// Users matching `filter`, by email.
pub(super) async fn users(
    c: &impl GenericClient,
    filter: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<User>> {
    let sql = format!(
        "SELECT id, email, role FROM users WHERE {filter} ORDER BY email COLLATE \"C\", id"
    );
    let stmt = c.prepare_cached(&sql).await?;
    c.query(&stmt, params).await?.iter().map(user_row).collect()
}

/// A user by id.
pub(super) async fn user(c: &impl GenericClient, id: UserId) -> Result<Option<User>> {
    Ok(users(c, "id = $1", &[&id.0]).await?.into_iter().next())
}

/// A user by email (any case) with their password hash.
pub(super) async fn user_by_email(c: &Object, email: &str) -> Result<Option<(User, String)>> {
    let stmt = c
        .prepare_cached(
            "SELECT id, email, role, password_hash FROM users WHERE email = $1
             ORDER BY id LIMIT 1",
        )
        .await?;
    let Some(r) = c.query_opt(&stmt, &[&normalize_email(email)]).await? else {
        return Ok(None);
    };
    Ok(Some((user_row(&r)?, r.try_get(3)?)))
}

/// Sets a user's `password_hash` or `role` (checked); NotFound when there is no such user.
pub(super) async fn set_user_column(
    c: &Object,
    id: UserId,
    column: &str,
    value: &str,
) -> Result<()> {
    if column == "role" {
        check_role(value)?;
    }
    let n = c
        .execute(
            &format!("UPDATE users SET {column} = $1 WHERE id = $2"),
            &[&value, &id.0],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("user {id}")));
    }
    Ok(())
}

async fn require_user(c: &impl GenericClient, id: UserId) -> Result<User> {
    user(c, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("user {id}")))
}

/// Opens a session; returns (secret, CSRF token). Drops the user's expired sessions.
pub(super) async fn create_session(
    c: &mut Object,
    id: UserId,
    ttl: f64,
) -> Result<(String, String)> {
    let tx = c.transaction().await?;
    require_user(&tx, id).await?;
    let (secret, csrf) = new_session_secrets();
    let t = now();
    tx.execute(
        "DELETE FROM user_sessions WHERE user_id = $1 AND expires_at <= $2",
        &[&id.0, &t],
    )
    .await?;
    tx.execute(
        "INSERT INTO user_sessions (secret_hash, user_id, csrf, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
        &[&token_hash(&secret), &id.0, &csrf, &t, &(t + ttl)],
    )
    .await?;
    tx.commit().await?;
    Ok((secret, csrf))
}

/// The live session with this secret.
pub(super) async fn session_by_secret(c: &Object, secret: &str) -> Result<Option<UserSession>> {
    let stmt = c
        .prepare_cached(
            "SELECT u.id, u.email, u.role, s.csrf, s.expires_at
             FROM user_sessions s JOIN users u ON u.id = s.user_id
             WHERE s.secret_hash = $1 AND s.expires_at > $2",
        )
        .await?;
    let Some(r) = c.query_opt(&stmt, &[&token_hash(secret), &now()]).await? else {
        return Ok(None);
    };
    Ok(Some(UserSession {
        user: user_row(&r)?,
        csrf: r.try_get(3)?,
        expires_at: r.try_get(4)?,
    }))
}

/// Ends the sessions of `user` (every one but `keep`), or the one with secret `only`.
pub(super) async fn delete_sessions(
    c: &Object,
    user: Option<UserId>,
    keep: Option<&str>,
    only: Option<&str>,
) -> Result<()> {
    c.execute(
        "DELETE FROM user_sessions
         WHERE ($1::bigint IS NULL OR user_id = $1) AND ($2::text IS NULL OR secret_hash <> $2)
           AND ($3::text IS NULL OR secret_hash = $3)",
        &[
            &user.map(|u| u.0),
            &keep.map(token_hash),
            &only.map(token_hash),
        ],
    )
    .await?;
    Ok(())
}

fn team_row(r: &Row) -> Result<Team> {
    Ok(Team {
        id: TeamId(r.try_get(0)?),
        org_id: OrgId(r.try_get(1)?),
        slug: r.try_get(2)?,
        name: r.try_get(3)?,
    })
}

/// A team by id.
pub(super) async fn team(c: &impl GenericClient, id: TeamId) -> Result<Option<Team>> {
    c.query_opt(
        "SELECT id, org_id, slug, name FROM teams WHERE id = $1",
        &[&id.0],
    )
    .await?
    .as_ref()
    .map(team_row)
    .transpose()
}

/// Every team (by id) with its members (by email).
pub(super) async fn teams(c: &Object) -> Result<Vec<TeamMembers>> {
    let stmt = c
        .prepare_cached("SELECT id, org_id, slug, name FROM teams ORDER BY id")
        .await?;
    let mut out = c
        .query(&stmt, &[])
        .await?
        .iter()
        .map(|r| {
            Ok(TeamMembers {
                team: team_row(r)?,
                members: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let stmt = c
        .prepare_cached(
            "SELECT m.team_id, u.id, u.email, u.role FROM team_members m
             JOIN users u ON u.id = m.user_id ORDER BY u.email COLLATE \"C\", u.id",
        )
        .await?;
    for r in c.query(&stmt, &[]).await? {
        let team: i64 = r.try_get(0)?;
        let user = User {
            id: UserId(r.try_get(1)?),
            email: r.try_get(2)?,
            role: r.try_get(3)?,
        };
        if let Some(t) = out.iter_mut().find(|t| t.team.id.0 == team) {
            t.members.push(user);
        }
    }
    Ok(out)
}

/// Creates a team in organization `org`.
pub(super) async fn create_team(c: &Object, org: &str, slug: &str, name: &str) -> Result<Team> {
    check_slug("team", slug)?;
    let org_id = super::admin::org_id(c, org).await?;
    let name = team_name(slug, name);
    let inserted = c
        .query_opt(
            "INSERT INTO teams (org_id, slug, name, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (org_id, slug) DO NOTHING RETURNING id",
            &[&org_id, &slug, &name, &now()],
        )
        .await?;
    let Some(row) = inserted else {
        return Err(StoreError::Conflict(format!("team '{slug}'")));
    };
    Ok(Team {
        id: TeamId(row.try_get(0)?),
        org_id: OrgId(org_id),
        slug: slug.to_owned(),
        name: name.to_owned(),
    })
}

/// Adds a member (idempotent); NotFound for an unknown team or user.
pub(super) async fn add_team_member(c: &mut Object, team_id: TeamId, user: UserId) -> Result<()> {
    let tx = c.transaction().await?;
    team(&tx, team_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("team {team_id}")))?;
    require_user(&tx, user).await?;
    tx.execute(
        "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&team_id.0, &user.0],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a member (no error when not one).
pub(super) async fn remove_team_member(c: &Object, team: TeamId, user: UserId) -> Result<()> {
    c.execute(
        "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2",
        &[&team.0, &user.0],
    )
    .await?;
    Ok(())
}

/// Every API token, newest first.
pub(super) async fn tokens(c: &Object) -> Result<Vec<ApiToken>> {
    let stmt = c
        .prepare_cached(
            "SELECT id, name, scopes, created_at FROM api_tokens ORDER BY created_at DESC, id DESC",
        )
        .await?;
    c.query(&stmt, &[])
        .await?
        .iter()
        .map(|r| {
            let scopes: String = r.try_get(2)?;
            Ok(ApiToken {
                id: TokenId(r.try_get(0)?),
                name: r.try_get(1)?,
                scopes: scopes.split_whitespace().map(str::to_owned).collect(),
                created_at: r.try_get(3)?,
            })
        })
        .collect()
}

/// Deletes a token; NotFound when unknown.
pub(super) async fn revoke_token(c: &Object, id: TokenId) -> Result<()> {
    if c.execute("DELETE FROM api_tokens WHERE id = $1", &[&id.0])
        .await?
        == 0
    {
        return Err(StoreError::NotFound(format!("token {id}")));
    }
    Ok(())
}

/// Renames a DSN key; NotFound when unknown.
pub(super) async fn rename_key(c: &Object, key: KeyId, label: &str) -> Result<()> {
    check_label(label)?;
    let n = c
        .execute(
            "UPDATE project_keys SET label = $1 WHERE id = $2",
            &[&label.trim(), &key.0],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("key {key}")));
    }
    Ok(())
}

fn saved_row(r: &Row) -> Result<SavedSearch> {
    Ok(SavedSearch {
        id: r.try_get(0)?,
        user_id: UserId(r.try_get(1)?),
        name: r.try_get(2)?,
        query: r.try_get(3)?,
        created_at: r.try_get(4)?,
    })
}

/// A user's saved searches, by name.
pub(super) async fn saved_searches(c: &Object, user: UserId) -> Result<Vec<SavedSearch>> {
    let stmt = c
        .prepare_cached(
            "SELECT id, user_id, name, query, created_at FROM saved_searches
             WHERE user_id = $1 ORDER BY name COLLATE \"C\", id",
        )
        .await?;
    c.query(&stmt, &[&user.0])
        .await?
        .iter()
        .map(saved_row)
        .collect()
}

/// Saves (or replaces by name) a saved search.
pub(super) async fn save_search(
    c: &Object,
    user: UserId,
    name: &str,
    query: &str,
) -> Result<SavedSearch> {
    crate::rules::check_saved_search(name, query)?;
    let row = c
        .query_one(
            "INSERT INTO saved_searches (user_id, name, query, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, name) DO UPDATE SET query = excluded.query
             RETURNING id, user_id, name, query, created_at",
            &[&user.0, &name.trim(), &query, &crate::rules::now()],
        )
        .await?;
    saved_row(&row)
}

/// Deletes one of the user's saved searches.
pub(super) async fn delete_saved_search(c: &Object, user: UserId, id: i64) -> Result<()> {
    let n = c
        .execute(
            "DELETE FROM saved_searches WHERE id = $1 AND user_id = $2",
            &[&id, &user.0],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("saved search {id}")));
    }
    Ok(())
}
