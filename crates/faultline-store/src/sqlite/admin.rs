//! Organizations, projects, keys, tokens and users.

use rusqlite::{params, Connection, OptionalExtension, Params};

use super::now;
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::Bootstrap;

pub(super) use crate::rules::token_hash;
use crate::rules::{
    check_slug, check_token, check_user, new_token_secret, normalize_email, random_hex,
};

pub(super) fn bootstrap(c: &mut Connection) -> Result<Bootstrap> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let existing: Option<i64> = tx
        .query_row(
            "SELECT id FROM organizations ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let created = existing.is_none();
    if created {
        let t = now();
        tx.execute(
            "INSERT INTO organizations (slug, name, created_at) VALUES ('default', 'Default', ?1)",
            [t],
        )?;
        let org = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO teams (org_id, slug, name, created_at) VALUES (?1, 'default', 'Default', ?2)",
            params![org, t],
        )?;
        let team = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO projects (org_id, team_id, slug, name, platform, created_at)
             VALUES (?1, ?2, 'default', 'default', NULL, ?3)",
            params![org, team, t],
        )?;
        let project = ProjectId(tx.last_insert_rowid());
        insert_key(&tx, project, "Default")?;
    }
    tx.commit()?;
    let org = org_by_slug(c, "default")?
        .or(first_org(c)?)
        .ok_or_else(|| StoreError::NotFound("organization".into()))?;
    let project = projects(c, "p.org_id = ?1", [org.id.0])?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound("project".into()))?;
    let key = keys(c, "project_id = ?1 AND active = 1", [project.id.0])?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound("key".into()))?;
    Ok(Bootstrap {
        org,
        project,
        key,
        created,
    })
}

fn org_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Organization> {
    Ok(Organization {
        id: OrgId(r.get(0)?),
        slug: r.get(1)?,
        name: r.get(2)?,
        created_at: r.get(3)?,
    })
}

/// The id of organization `org` (by slug), or NotFound.
pub(super) fn org_id(c: &Connection, org: &str) -> Result<i64> {
    c.query_row("SELECT id FROM organizations WHERE slug = ?1", [org], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("organization '{org}'")))
}

fn org_by_slug(c: &Connection, slug: &str) -> Result<Option<Organization>> {
    Ok(c.query_row(
        "SELECT id, slug, name, created_at FROM organizations WHERE slug = ?1",
        [slug],
        org_row,
    )
    .optional()?)
}

fn first_org(c: &Connection) -> Result<Option<Organization>> {
    Ok(c.query_row(
        "SELECT id, slug, name, created_at FROM organizations ORDER BY id LIMIT 1",
        [],
        org_row,
    )
    .optional()?)
}

/// Projects matching `filter` (aliases: `p` projects, `o` organizations).
pub(super) fn projects<P: Params>(c: &Connection, filter: &str, params: P) -> Result<Vec<Project>> {
    let sql = format!(
        "SELECT p.id, p.org_id, o.slug, p.team_id, p.slug, p.name, p.platform, p.created_at,
                p.scrub_enabled, p.scrub_extra_keys
         FROM projects p JOIN organizations o ON o.id = p.org_id WHERE {filter} ORDER BY p.id"
    );
    let mut stmt = c.prepare(&sql)?;
    let rows = stmt.query_map(params, |r| {
        let extra: String = r.get(9)?;
        Ok(Project {
            id: ProjectId(r.get(0)?),
            org_id: OrgId(r.get(1)?),
            org_slug: r.get(2)?,
            team_id: r.get::<_, Option<i64>>(3)?.map(TeamId),
            slug: r.get(4)?,
            name: r.get(5)?,
            platform: r.get(6)?,
            created_at: r.get(7)?,
            scrub_enabled: r.get(8)?,
            scrub_extra_keys: extra
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn create_project(
    c: &mut Connection,
    org: &str,
    team: &str,
    name: &str,
    platform: Option<&str>,
) -> Result<(Project, ProjectKey)> {
    check_slug("project", name)?;
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let org_id = org_id(&tx, org)?;
    let team_id: i64 = tx
        .query_row(
            "SELECT id FROM teams WHERE org_id = ?1 AND slug = ?2",
            params![org_id, team],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("team '{team}'")))?;
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM projects WHERE org_id = ?1 AND slug = ?2)",
        params![org_id, name],
        |r| r.get(0),
    )?;
    if taken {
        return Err(StoreError::Conflict(format!("project '{name}'")));
    }
    tx.execute(
        "INSERT INTO projects (org_id, team_id, slug, name, platform, created_at)
         VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
        params![org_id, team_id, name, platform, now()],
    )?;
    let project_id = ProjectId(tx.last_insert_rowid());
    insert_key(&tx, project_id, "Default")?;
    tx.commit()?;
    let project = projects(c, "p.id = ?1", [project_id.0])?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound("project".into()))?;
    let key = keys(c, "project_id = ?1", [project_id.0])?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound("key".into()))?;
    Ok((project, key))
}

fn insert_key(c: &Connection, project: ProjectId, label: &str) -> Result<i64> {
    c.execute(
        "INSERT INTO project_keys (project_id, public_key, label, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![project.0, random_hex(16), label, now()],
    )?;
    Ok(c.last_insert_rowid())
}

pub(super) fn create_key(
    c: &mut Connection,
    project: ProjectId,
    label: &str,
) -> Result<ProjectKey> {
    let exists: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM projects WHERE id = ?1)",
        [project.0],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(StoreError::NotFound(format!("project {project}")));
    }
    let id = insert_key(c, project, label)?;
    keys(c, "id = ?1", [id])?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound("key".into()))
}

pub(super) fn keys<P: Params>(c: &Connection, filter: &str, params: P) -> Result<Vec<ProjectKey>> {
    let sql = format!(
        "SELECT id, project_id, public_key, label, rate_limit_count, rate_limit_window, active,
                created_at FROM project_keys WHERE {filter} ORDER BY id"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(params, |r| {
        Ok(ProjectKey {
            id: KeyId(r.get(0)?),
            project_id: ProjectId(r.get(1)?),
            public_key: r.get(2)?,
            label: r.get(3)?,
            rate_limit_count: r.get(4)?,
            rate_limit_window: r.get(5)?,
            active: r.get(6)?,
            created_at: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn create_token(
    c: &mut Connection,
    name: &str,
    scopes: &[String],
) -> Result<(ApiToken, String)> {
    check_token(name, scopes)?;
    let secret = new_token_secret();
    let t = now();
    c.execute(
        "INSERT INTO api_tokens (name, token_hash, scopes, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![name, token_hash(&secret), scopes.join(" "), t],
    )?;
    let token = ApiToken {
        id: TokenId(c.last_insert_rowid()),
        name: name.to_owned(),
        scopes: scopes.to_vec(),
        created_at: t,
    };
    Ok((token, secret))
}

pub(super) fn token_by_hash(c: &Connection, hash: &str) -> Result<Option<ApiToken>> {
    Ok(c.query_row(
        "SELECT id, name, scopes, created_at FROM api_tokens WHERE token_hash = ?1",
        [hash],
        |r| {
            let scopes: String = r.get(2)?;
            Ok(ApiToken {
                id: TokenId(r.get(0)?),
                name: r.get(1)?,
                scopes: scopes.split_whitespace().map(str::to_owned).collect(),
                created_at: r.get(3)?,
            })
        },
    )
    .optional()?)
}

pub(super) fn create_user(c: &mut Connection, email: &str, hash: &str, role: &str) -> Result<User> {
    let email = normalize_email(email);
    check_user(&email, role)?;
    c.execute(
        "INSERT INTO users (email, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![email, hash, role, now()],
    )?;
    Ok(User {
        id: UserId(c.last_insert_rowid()),
        email,
        role: role.to_owned(),
    })
}
