//! The PostgreSQL backend: several stateless Faultline nodes on one database.
//!
//! A pool of connections (`deadpool-postgres`) shared by readers and the writer. Migrations run
//! at connect under an advisory lock, so nodes starting at once are safe. The write path
//! ([`write`]) commits each batch in ONE transaction with upserts and atomic counters only;
//! work that must happen once across nodes (dictionary training, [`Store::claim_job`]) is
//! claimed with advisory locks or `FOR UPDATE SKIP LOCKED`.

mod accounts;
mod admin;
mod issues;
mod overview;
mod read;
pub mod scratch;
mod side;
mod triage;
mod write;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use sha2::{Digest, Sha256};
use tokio_postgres::NoTls;

use crate::codec::{Codec, Dictionary};
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::query::{IssueQuery, StatusChange};
use crate::rules::{event_id_bytes, now, trace_id_bytes};
pub use scratch::ScratchDatabase;

use crate::{redact, BatchOutcome, Bootstrap, Store, WriteBatch};

/// Migrations, in order; each runs once. All of them run in one transaction under an advisory
/// lock, so two nodes starting at once apply each exactly once.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "job_claims",
        include_str!("../../migrations/postgres/0002_job_claims.sql"),
    ),
    (
        3,
        "ui",
        include_str!("../../migrations/postgres/0003_ui.sql"),
    ),
    (
        4,
        "plain_payloads",
        include_str!("../../migrations/postgres/0004_plain_payloads.sql"),
    ),
    (
        5,
        "issue_grouping",
        include_str!("../../migrations/postgres/0005_issue_grouping.sql"),
    ),
];

/// Every table, parents first (the order a copy into an empty database follows).
pub const TABLES: &[&str] = &[
    "organizations",
    "teams",
    "projects",
    "project_keys",
    "users",
    "user_sessions",
    "team_members",
    "saved_searches",
    "api_tokens",
    "issues",
    "issue_grouping",
    "issue_hashes",
    "payload_dicts",
    "events",
    "attachments",
    "issue_tags",
    "issue_users",
    "issue_hourly",
    "issue_activity",
    "releases",
    "environments",
    "agents",
    "session_hours",
    "discard_hours",
    "job_claims",
];

/// The advisory-lock key of a name (the same on every node).
pub(crate) fn lock_key(name: &str) -> i64 {
    let d = Sha256::digest(format!("faultline:{name}").as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    i64::from_be_bytes(b)
}

/// A failed write, and whether running the whole batch again may succeed (deadlock victim or
/// serialization failure: the transaction rolled back and nothing of it was written).
pub(crate) struct Failure {
    retry: bool,
    error: StoreError,
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure {
            retry: matches!(error, StoreError::Retryable(_)),
            error,
        }
    }
}

/// The PostgreSQL store.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    codec: Codec,
    /// (project, hash) → issue; hashes never move between issues, so entries never go stale,
    /// whichever node linked them.
    hash_cache: Mutex<HashMap<(i64, String), i64>>,
    /// Highest dictionary id this node has loaded.
    dicts_seen: AtomicI64,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`) with a pool of at most `pool_size`
    /// connections, runs migrations and loads the payload dictionaries.
    pub async fn connect(url: &str, pool_size: usize) -> Result<Self> {
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("bad database URL '{}': {e}", redact(url))))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(2))
            .runtime(Runtime::Tokio1)
            // A request waits this long for a free connection before failing (503 on ingest).
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(15)))
            .build()
            .map_err(|e| StoreError::Database(format!("connection pool: {e}")))?;
        let store = PgStore {
            inner: Arc::new(Inner {
                pool,
                codec: Codec::default(),
                hash_cache: Mutex::new(HashMap::new()),
                dicts_seen: AtomicI64::new(0),
            }),
        };
        let mut conn = store
            .conn()
            .await
            .map_err(|e| StoreError::Database(format!("cannot connect to {}: {e}", redact(url))))?;
        migrate(&mut conn).await?;
        drop(conn);
        store.adopt_dictionaries().await?;
        Ok(store)
    }

    async fn conn(&self) -> Result<Object> {
        Ok(self.inner.pool.get().await?)
    }

    /// A pooled connection, for tools that work on the tables directly (`faultline migrate`).
    pub async fn raw_conn(&self) -> Result<Object> {
        self.conn().await
    }

    /// Installs dictionaries trained since the last look (by this node or another one).
    async fn adopt_dictionaries(&self) -> Result<usize> {
        let c = self.conn().await?;
        let stmt = c
            .prepare_cached(
                "SELECT id, project_id, data FROM payload_dicts WHERE id > $1 ORDER BY id",
            )
            .await?;
        let seen = self.inner.dicts_seen.load(Ordering::Acquire);
        let rows = c.query(&stmt, &[&seen]).await?;
        for r in &rows {
            let (id, project, data): (i64, i64, Vec<u8>) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            // Later rows are newer; the last one per project becomes current.
            self.inner
                .codec
                .install(ProjectId(project), Dictionary::new(id, &data), true);
            self.inner.dicts_seen.fetch_max(id, Ordering::AcqRel);
        }
        Ok(rows.len())
    }

    /// Trains the project's dictionary unless another node holds the claim or already has.
    async fn train_one(&self, project: ProjectId, samples: Vec<Vec<u8>>) -> Result<bool> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let claimed: bool = tx
            .query_one(
                "SELECT pg_try_advisory_xact_lock($1)",
                &[&lock_key(&format!("dict:{}", project.0))],
            )
            .await?
            .try_get(0)?;
        if !claimed {
            return Ok(false); // another node is training it; adopt it on a later look
        }
        let exists = tx
            .query_opt(
                "SELECT 1 FROM payload_dicts WHERE project_id = $1 LIMIT 1",
                &[&project.0],
            )
            .await?
            .is_some();
        if exists {
            return Ok(false);
        }
        let dict = tokio::task::spawn_blocking(move || Codec::train(samples))
            .await
            .map_err(|e| StoreError::Database(format!("training task failed: {e}")))?;
        let Some(dict) = dict else {
            return Ok(false);
        };
        let id: i64 = tx
            .query_one(
                "INSERT INTO payload_dicts (project_id, data, created_at) VALUES ($1, $2, $3)
                 RETURNING id",
                &[&project.0, &dict, &now()],
            )
            .await?
            .try_get(0)?;
        tx.commit().await?;
        self.inner
            .codec
            .install(project, Dictionary::new(id, &dict), true);
        Ok(true)
    }
}

async fn migrate(c: &mut Object) -> Result<()> {
    let tx = c.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key("migrate")])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)",
    )
    .await?;
    for (version, name, sql) in MIGRATIONS {
        let done = tx
            .query_opt(
                "SELECT 1 FROM schema_migrations WHERE version = $1",
                &[version],
            )
            .await?
            .is_some();
        if !done {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[version, name, &now()],
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

mod store_impl;
