//! Users, sign-in sessions, teams and their members, token and key management.

use rusqlite::{params, Connection, OptionalExtension, Params};

use super::now;
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::rules::{
    check_label, check_role, check_saved_search, check_slug, new_session_secrets, normalize_email,
    team_name, token_hash,
};

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: UserId(r.get(0)?),
        email: r.get(1)?,
        role: r.get(2)?,
    })
}

/// Users matching `filter`, by email.
pub(super) fn users<P: Params>(c: &Connection, filter: &str, params: P) -> Result<Vec<User>> {
    let sql = format!("SELECT id, email, role FROM users WHERE {filter} ORDER BY email, id");
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(params, user_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A user by id.
pub(super) fn user(c: &Connection, id: UserId) -> Result<Option<User>> {
    Ok(users(c, "id = ?1", [id.0])?.into_iter().next())
}

/// A user by email (any case) with their password hash.
pub(super) fn user_by_email(c: &Connection, email: &str) -> Result<Option<(User, String)>> {
    Ok(c.prepare_cached(
        "SELECT id, email, role, password_hash FROM users WHERE email = ?1 ORDER BY id LIMIT 1",
    )?
    .query_row([normalize_email(email)], |r| Ok((user_row(r)?, r.get(3)?)))
    .optional()?)
}

/// Sets a user's `password_hash` or `role` (checked); NotFound when there is no such user.
pub(super) fn set_user_column(c: &Connection, id: UserId, column: &str, value: &str) -> Result<()> {
    if column == "role" {
        check_role(value)?;
    }
    let n = c.execute(
        &format!("UPDATE users SET {column} = ?1 WHERE id = ?2"),
        params![value, id.0],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("user {id}")));
    }
    Ok(())
}

fn require_user(c: &Connection, id: UserId) -> Result<User> {
    user(c, id)?.ok_or_else(|| StoreError::NotFound(format!("user {id}")))
}

/// Opens a session; returns (secret, CSRF token). Drops the user's expired sessions.
pub(super) fn create_session(c: &mut Connection, id: UserId, ttl: f64) -> Result<(String, String)> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    require_user(&tx, id)?;
    let (secret, csrf) = new_session_secrets();
    let t = now();
    tx.execute(
        "DELETE FROM user_sessions WHERE user_id = ?1 AND expires_at <= ?2",
        params![id.0, t],
    )?;
    tx.execute(
        "INSERT INTO user_sessions (secret_hash, user_id, csrf, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![token_hash(&secret), id.0, csrf, t, t + ttl],
    )?;
    tx.commit()?;
    Ok((secret, csrf))
}

/// The live session with this secret.
pub(super) fn session_by_secret(c: &Connection, secret: &str) -> Result<Option<UserSession>> {
    Ok(c.prepare_cached(
        "SELECT u.id, u.email, u.role, s.csrf, s.expires_at
         FROM user_sessions s JOIN users u ON u.id = s.user_id
         WHERE s.secret_hash = ?1 AND s.expires_at > ?2",
    )?
    .query_row(params![token_hash(secret), now()], |r| {
        Ok(UserSession {
            user: user_row(r)?,
            csrf: r.get(3)?,
            expires_at: r.get(4)?,
        })
    })
    .optional()?)
}

/// Ends the sessions of `user` (every one but `keep`), or the one with secret `only`.
pub(super) fn delete_sessions(
    c: &Connection,
    user: Option<UserId>,
    keep: Option<&str>,
    only: Option<&str>,
) -> Result<()> {
    c.execute(
        "DELETE FROM user_sessions
         WHERE (?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR secret_hash <> ?2)
           AND (?3 IS NULL OR secret_hash = ?3)",
        params![
            user.map(|u| u.0),
            keep.map(token_hash),
            only.map(token_hash)
        ],
    )?;
    Ok(())
}

fn team_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Team> {
    Ok(Team {
        id: TeamId(r.get(0)?),
        org_id: OrgId(r.get(1)?),
        slug: r.get(2)?,
        name: r.get(3)?,
    })
}

/// A team by id.
pub(super) fn team(c: &Connection, id: TeamId) -> Result<Option<Team>> {
    Ok(
        c.prepare_cached("SELECT id, org_id, slug, name FROM teams WHERE id = ?1")?
            .query_row([id.0], team_row)
            .optional()?,
    )
}

/// Every team (by id) with its members (by email).
pub(super) fn teams(c: &Connection) -> Result<Vec<TeamMembers>> {
    let mut stmt = c.prepare_cached("SELECT id, org_id, slug, name FROM teams ORDER BY id")?;
    let mut out: Vec<TeamMembers> = stmt
        .query_map([], |r| {
            Ok(TeamMembers {
                team: team_row(r)?,
                members: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = c.prepare_cached(
        "SELECT m.team_id, u.id, u.email, u.role FROM team_members m
         JOIN users u ON u.id = m.user_id ORDER BY u.email, u.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            User {
                id: UserId(r.get(1)?),
                email: r.get(2)?,
                role: r.get(3)?,
            },
        ))
    })?;
    for row in rows {
        let (team, user) = row?;
        if let Some(t) = out.iter_mut().find(|t| t.team.id.0 == team) {
            t.members.push(user);
        }
    }
    Ok(out)
}

/// Creates a team in organization `org`.
pub(super) fn create_team(c: &mut Connection, org: &str, slug: &str, name: &str) -> Result<Team> {
    check_slug("team", slug)?;
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let org_id = super::admin::org_id(&tx, org)?;
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM teams WHERE org_id = ?1 AND slug = ?2)",
        params![org_id, slug],
        |r| r.get(0),
    )?;
    if taken {
        return Err(StoreError::Conflict(format!("team '{slug}'")));
    }
    let name = team_name(slug, name);
    tx.execute(
        "INSERT INTO teams (org_id, slug, name, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![org_id, slug, name, now()],
    )?;
    let team = Team {
        id: TeamId(tx.last_insert_rowid()),
        org_id: OrgId(org_id),
        slug: slug.to_owned(),
        name: name.to_owned(),
    };
    tx.commit()?;
    Ok(team)
}

/// Adds a member (idempotent); NotFound for an unknown team or user.
pub(super) fn add_team_member(c: &mut Connection, team_id: TeamId, user: UserId) -> Result<()> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    team(&tx, team_id)?.ok_or_else(|| StoreError::NotFound(format!("team {team_id}")))?;
    require_user(&tx, user)?;
    tx.execute(
        "INSERT INTO team_members (team_id, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![team_id.0, user.0],
    )?;
    tx.commit()?;
    Ok(())
}

/// Removes a member (no error when not one).
pub(super) fn remove_team_member(c: &Connection, team: TeamId, user: UserId) -> Result<()> {
    c.execute(
        "DELETE FROM team_members WHERE team_id = ?1 AND user_id = ?2",
        params![team.0, user.0],
    )?;
    Ok(())
}

/// Every API token, newest first.
pub(super) fn tokens(c: &Connection) -> Result<Vec<ApiToken>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, name, scopes, created_at FROM api_tokens ORDER BY created_at DESC, id DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        let scopes: String = r.get(2)?;
        Ok(ApiToken {
            id: TokenId(r.get(0)?),
            name: r.get(1)?,
            scopes: scopes.split_whitespace().map(str::to_owned).collect(),
            created_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Deletes a token; NotFound when unknown.
pub(super) fn revoke_token(c: &Connection, id: TokenId) -> Result<()> {
    if c.execute("DELETE FROM api_tokens WHERE id = ?1", [id.0])? == 0 {
        return Err(StoreError::NotFound(format!("token {id}")));
    }
    Ok(())
}

/// Renames a DSN key; NotFound when unknown.
pub(super) fn rename_key(c: &Connection, key: KeyId, label: &str) -> Result<()> {
    check_label(label)?;
    let n = c.execute(
        "UPDATE project_keys SET label = ?1 WHERE id = ?2",
        params![label.trim(), key.0],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("key {key}")));
    }
    Ok(())
}

fn saved_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SavedSearch> {
    Ok(SavedSearch {
        id: r.get(0)?,
        user_id: UserId(r.get(1)?),
        name: r.get(2)?,
        query: r.get(3)?,
        created_at: r.get(4)?,
    })
}

/// A user's saved searches, by name.
pub(super) fn saved_searches(c: &Connection, user: UserId) -> Result<Vec<SavedSearch>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, user_id, name, query, created_at FROM saved_searches
         WHERE user_id = ?1 ORDER BY name, id",
    )?;
    let rows = stmt.query_map([user.0], saved_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Saves (or replaces by name) a saved search.
pub(super) fn save_search(
    c: &Connection,
    user: UserId,
    name: &str,
    query: &str,
) -> Result<SavedSearch> {
    check_saved_search(name, query)?;
    Ok(c.query_row(
        "INSERT INTO saved_searches (user_id, name, query, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id, name) DO UPDATE SET query = excluded.query
         RETURNING id, user_id, name, query, created_at",
        params![user.0, name.trim(), query, now()],
        saved_row,
    )?)
}

/// Deletes one of the user's saved searches.
pub(super) fn delete_saved_search(c: &Connection, user: UserId, id: i64) -> Result<()> {
    let n = c.execute(
        "DELETE FROM saved_searches WHERE id = ?1 AND user_id = ?2",
        params![id, user.0],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("saved search {id}")));
    }
    Ok(())
}
