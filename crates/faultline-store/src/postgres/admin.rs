//! Organizations, projects, keys, tokens and users on PostgreSQL.

use deadpool_postgres::Object;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::lock_key;
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::rules::{
    check_slug, check_token, check_user, new_token_secret, normalize_email, now, random_hex,
    token_hash,
};
use crate::Bootstrap;

pub(super) async fn bootstrap(c: &mut Object) -> Result<Bootstrap> {
    let tx = c.transaction().await?;
    // Two nodes starting at once on an empty database: one creates, the other finds.
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&lock_key("bootstrap")],
    )
    .await?;
    let existing = tx
        .query_opt("SELECT id FROM organizations ORDER BY id LIMIT 1", &[])
        .await?;
    let created = existing.is_none();
    if created {
        let t = now();
        let org: i64 = tx
            .query_one(
                "INSERT INTO organizations (slug, name, created_at) VALUES ('default', 'Default', $1)
                 RETURNING id",
                &[&t],
            )
            .await?
            .try_get(0)?;
        let team: i64 = tx
            .query_one(
                "INSERT INTO teams (org_id, slug, name, created_at)
                 VALUES ($1, 'default', 'Default', $2) RETURNING id",
                &[&org, &t],
            )
            .await?
            .try_get(0)?;
        let project: i64 = tx
            .query_one(
                "INSERT INTO projects (org_id, team_id, slug, name, platform, created_at)
                 VALUES ($1, $2, 'default', 'default', NULL, $3) RETURNING id",
                &[&org, &team, &t],
            )
            .await?
            .try_get(0)?;
        insert_key(&tx, ProjectId(project), "Default").await?;
    }
    tx.commit().await?;
    let org = match org_where(c, "slug = 'default'").await? {
        Some(o) => Some(o),
        None => org_where(c, "TRUE").await?,
    }
    .ok_or_else(|| StoreError::NotFound("organization".into()))?;
    let project = projects(c, "p.org_id = $1", &[&org.id.0])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound("project".into()))?;
    let key = keys(c, "project_id = $1 AND active", &[&project.id.0])
        .await?
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

async fn org_where(c: &Object, filter: &str) -> Result<Option<Organization>> {
    let sql = format!(
        "SELECT id, slug, name, created_at FROM organizations WHERE {filter} ORDER BY id LIMIT 1"
    );
    let Some(r) = c.query_opt(&sql, &[]).await? else {
        return Ok(None);
    };
    Ok(Some(Organization {
        id: OrgId(r.try_get(0)?),
        slug: r.try_get(1)?,
        name: r.try_get(2)?,
        created_at: r.try_get(3)?,
    }))
}

fn project_row(r: &Row) -> Result<Project> {
    let extra: String = r.try_get(9)?;
    Ok(Project {
        id: ProjectId(r.try_get(0)?),
        org_id: OrgId(r.try_get(1)?),
        org_slug: r.try_get(2)?,
        team_id: r.try_get::<_, Option<i64>>(3)?.map(TeamId),
        slug: r.try_get(4)?,
        name: r.try_get(5)?,
        platform: r.try_get(6)?,
        created_at: r.try_get(7)?,
        scrub_enabled: r.try_get(8)?,
        scrub_extra_keys: extra
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// The id of organization `org` (by slug), or NotFound.
pub(super) async fn org_id(c: &impl deadpool_postgres::GenericClient, org: &str) -> Result<i64> {
    Ok(
        c.query_opt("SELECT id FROM organizations WHERE slug = $1", &[&org])
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("organization '{org}'")))?
            .try_get(0)?,
    )
}

/// Projects matching `filter` (aliases: `p` projects, `o` organizations).
pub(super) async fn projects(
    c: &Object,
    filter: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Project>> {
    let sql = format!(
        "SELECT p.id, p.org_id, o.slug, p.team_id, p.slug, p.name, p.platform, p.created_at,
                p.scrub_enabled, p.scrub_extra_keys
         FROM projects p JOIN organizations o ON o.id = p.org_id WHERE {filter} ORDER BY p.id"
    );
    let stmt = c.prepare_cached(&sql).await?;
    c.query(&stmt, params)
        .await?
        .iter()
        .map(project_row)
        .collect()
}

pub(super) async fn create_project(
    c: &mut Object,
    org: &str,
    team: &str,
    name: &str,
    platform: Option<&str>,
) -> Result<(Project, ProjectKey)> {
    check_slug("project", name)?;
    let tx = c.transaction().await?;
    let org_id = org_id(&tx, org).await?;
    let team_id: i64 = tx
        .query_opt(
            "SELECT id FROM teams WHERE org_id = $1 AND slug = $2",
            &[&org_id, &team],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("team '{team}'")))?
        .try_get(0)?;
    let inserted = tx
        .query_opt(
            "INSERT INTO projects (org_id, team_id, slug, name, platform, created_at)
             VALUES ($1, $2, $3, $3, $4, $5) ON CONFLICT (org_id, slug) DO NOTHING RETURNING id",
            &[&org_id, &team_id, &name, &platform, &now()],
        )
        .await?;
    let Some(row) = inserted else {
        return Err(StoreError::Conflict(format!("project '{name}'")));
    };
    let project_id = ProjectId(row.try_get(0)?);
    insert_key(&tx, project_id, "Default").await?;
    tx.commit().await?;
    let project = projects(c, "p.id = $1", &[&project_id.0])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound("project".into()))?;
    let key = keys(c, "project_id = $1", &[&project_id.0])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound("key".into()))?;
    Ok((project, key))
}

async fn insert_key(
    c: &tokio_postgres::Transaction<'_>,
    project: ProjectId,
    label: &str,
) -> Result<i64> {
    Ok(c.query_one(
        "INSERT INTO project_keys (project_id, public_key, label, created_at)
             VALUES ($1, $2, $3, $4) RETURNING id",
        &[&project.0, &random_hex(16), &label, &now()],
    )
    .await?
    .try_get(0)?)
}

pub(super) async fn create_key(
    c: &mut Object,
    project: ProjectId,
    label: &str,
) -> Result<ProjectKey> {
    let tx = c.transaction().await?;
    let exists = tx
        .query_opt("SELECT 1 FROM projects WHERE id = $1", &[&project.0])
        .await?
        .is_some();
    if !exists {
        return Err(StoreError::NotFound(format!("project {project}")));
    }
    let id = insert_key(&tx, project, label).await?;
    tx.commit().await?;
    keys(c, "id = $1", &[&id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound("key".into()))
}

pub(super) async fn keys(
    c: &Object,
    filter: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<ProjectKey>> {
    let sql = format!(
        "SELECT id, project_id, public_key, label, rate_limit_count, rate_limit_window, active,
                created_at FROM project_keys WHERE {filter} ORDER BY id"
    );
    let stmt = c.prepare_cached(&sql).await?;
    let limit = |v: Option<i64>| v.map(|n| n.clamp(0, i64::from(u32::MAX)) as u32);
    c.query(&stmt, params)
        .await?
        .iter()
        .map(|r| {
            Ok(ProjectKey {
                id: KeyId(r.try_get(0)?),
                project_id: ProjectId(r.try_get(1)?),
                public_key: r.try_get(2)?,
                label: r.try_get(3)?,
                rate_limit_count: limit(r.try_get(4)?),
                rate_limit_window: limit(r.try_get(5)?),
                active: r.try_get(6)?,
                created_at: r.try_get(7)?,
            })
        })
        .collect()
}

pub(super) async fn create_token(
    c: &Object,
    name: &str,
    scopes: &[String],
) -> Result<(ApiToken, String)> {
    check_token(name, scopes)?;
    let secret = new_token_secret();
    let t = now();
    let id: i64 = c
        .query_one(
            "INSERT INTO api_tokens (name, token_hash, scopes, created_at)
             VALUES ($1, $2, $3, $4) RETURNING id",
            &[&name, &token_hash(&secret), &scopes.join(" "), &t],
        )
        .await?
        .try_get(0)?;
    let token = ApiToken {
        id: TokenId(id),
        name: name.to_owned(),
        scopes: scopes.to_vec(),
        created_at: t,
    };
    Ok((token, secret))
}

pub(super) async fn token_by_secret(c: &Object, secret: &str) -> Result<Option<ApiToken>> {
    let stmt = c
        .prepare_cached("SELECT id, name, scopes, created_at FROM api_tokens WHERE token_hash = $1")
        .await?;
    let Some(r) = c.query_opt(&stmt, &[&token_hash(secret)]).await? else {
        return Ok(None);
    };
    let scopes: String = r.try_get(2)?;
    Ok(Some(ApiToken {
        id: TokenId(r.try_get(0)?),
        name: r.try_get(1)?,
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        created_at: r.try_get(3)?,
    }))
}

pub(super) async fn create_user(c: &Object, email: &str, hash: &str, role: &str) -> Result<User> {
    let email = normalize_email(email);
    check_user(&email, role)?;
    let id: i64 = c
        .query_one(
            "INSERT INTO users (email, password_hash, role, created_at)
             VALUES ($1, $2, $3, $4) RETURNING id",
            &[&email, &hash, &role, &now()],
        )
        .await?
        .try_get(0)?;
    Ok(User {
        id: UserId(id),
        email,
        role: role.to_owned(),
    })
}
