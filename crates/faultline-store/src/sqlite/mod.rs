//! The embedded backend: SQLite in WAL mode in the data directory.
//!
//! One writer connection (every write, above all [`Store::write_batch`], goes through it, so
//! SQLite never sees two writers from this process) and a small pool of reader connections.
//! Blocking calls run on tokio's blocking pool.

mod accounts;
mod admin;
mod overview;
mod read;
mod triage;
mod write;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::Connection;

use crate::codec::{Codec, Dictionary};
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::query::{IssueQuery, StatusChange};
use crate::rules::trace_id_bytes;
use crate::{BatchOutcome, Bootstrap, Store, WriteBatch};

/// Migrations, in order; each runs once, in its own transaction.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "job_claims",
        include_str!("../../migrations/sqlite/0002_job_claims.sql"),
    ),
    (3, "ui", include_str!("../../migrations/sqlite/0003_ui.sql")),
    (
        4,
        "plain_payloads",
        include_str!("../../migrations/sqlite/0004_plain_payloads.sql"),
    ),
    (
        5,
        "issue_grouping",
        include_str!("../../migrations/sqlite/0005_issue_grouping.sql"),
    ),
];

/// WAL size (in 4 KiB frames, 32 MiB) past which the writer restarts the WAL itself. The longer
/// between restarts, the more often a page written again is copied once: 8,192 against 2,048
/// frames took 1.3 % less server CPU per event (four pairs of servers side by side at 3,000
/// events/s each: 268.0–283.8 against 269.7–288.8 µs) and stored 9,641 and 10,244 events/s in
/// closed loop against 9,360 and 9,568 (both with the 64 MiB limit). Under load the WAL file
/// stays at up to 64 MiB (`journal_size_limit`: a 16 MiB limit would cut it back at every
/// restart, to be grown again).
const WAL_RESTART_FRAMES: i64 = 8_192;
/// How often the background thread copies the WAL into the database ([`start_checkpointer`]).
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);
/// The writer finishes a checkpoint itself after this many batches.
const CHECKPOINT_EVERY_BATCHES: u64 = 64;

/// The database file inside the data directory.
pub const DB_FILE: &str = "faultline.db";

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// Tells the checkpoint thread to stop when the store goes away.
    stop: Arc<std::sync::atomic::AtomicBool>,
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    codec: Codec,
    /// (project, hash) → issue; hashes never move between issues, so entries never go stale.
    hash_cache: Mutex<HashMap<(i64, String), i64>>,
    /// Frames in the WAL at the last background checkpoint.
    wal_frames: Arc<std::sync::atomic::AtomicI64>,
    /// Batches written.
    batches: std::sync::atomic::AtomicU64,
}

fn open_conn(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -4000;",
    )?;
    // FULL: every commit is fsynced before ingest answers 200 (survives power loss, not just a
    // crash of the process). NORMAL trades the last commits on power loss for fewer fsyncs.
    let sync = match std::env::var("FAULTLINE_SQLITE_SYNCHRONOUS").as_deref() {
        Ok("NORMAL") | Ok("normal") => "NORMAL",
        _ => "FULL",
    };
    conn.execute_batch(&format!("PRAGMA synchronous = {sync};"))?;
    Ok(conn)
}

pub(crate) use crate::rules::now;

fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)",
    )?;
    for (version, name, sql) in MIGRATIONS {
        let done: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
            [version],
            |r| r.get(0),
        )?;
        if !done {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                rusqlite::params![version, name, now()],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir` and runs migrations.
    pub fn open(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Database(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        let path = data_dir.join(DB_FILE);
        let mut writer = open_conn(&path)?;
        // The write path uses a few dozen statements (multi-row ones in several sizes); all of
        // them stay prepared.
        writer.set_prepared_statement_cache_capacity(96);
        // Checkpoints run on their own thread (below) and, every few batches, on the writer
        // between two batches; never inside a commit that requests are waiting for.
        writer.execute_batch(
            "PRAGMA cache_size = -16000; PRAGMA wal_autocheckpoint = 0;
             PRAGMA journal_size_limit = 67108864;",
        )?;
        migrate(&mut writer)?;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let wal_frames = Arc::new(std::sync::atomic::AtomicI64::new(0));
        start_checkpointer(open_conn(&path)?, stop.clone(), wal_frames.clone());
        let store = SqliteStore {
            inner: Arc::new(Inner {
                stop,
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                codec: Codec::default(),
                hash_cache: Mutex::new(HashMap::new()),
                wal_frames,
                batches: std::sync::atomic::AtomicU64::new(1),
            }),
        };
        store.load_dictionaries()?;
        Ok(store)
    }

    fn load_dictionaries(&self) -> Result<()> {
        let conn = self.inner.writer.lock().map_err(|_| poisoned())?;
        let mut stmt =
            conn.prepare("SELECT id, project_id, data FROM payload_dicts ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        for row in rows {
            let (id, project, data) = row?;
            // Later rows are newer; the last one per project becomes current.
            self.inner
                .codec
                .install(ProjectId(project), Dictionary::new(id, &data), true);
        }
        Ok(())
    }

    /// Runs `f` on a reader connection on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = match inner.readers.lock().map_err(|_| poisoned())?.pop() {
                Some(c) => c,
                None => open_conn(&inner.path)?,
            };
            let out = f(&conn);
            if let Ok(mut pool) = inner.readers.lock() {
                if pool.len() < 8 {
                    pool.push(conn);
                }
            }
            out
        })
        .await
        .map_err(|e| StoreError::Database(format!("reader task failed: {e}")))?
    }

    /// Runs `f` on the writer connection on the blocking pool.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &Inner) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().map_err(|_| poisoned())?;
            f(&mut conn, &inner)
        })
        .await
        .map_err(|e| StoreError::Database(format!("writer task failed: {e}")))?
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Copies committed WAL pages into the database file in the background (PASSIVE: never blocks
/// the writer), so the WAL stays bounded and commits stay cheap. Every 100 ms: the writer finishes
/// a checkpoint itself every few batches (to restart the WAL), and whatever this thread has not
/// copied yet is copied then, between two commits.
///
/// The interval trades copying against what the writer is left to copy. A page written by several
/// commits between two checkpoints (issue rows, counters, the last page of each index) is copied
/// once: in the closed-loop benchmark, 100 ms read a third fewer bytes and wrote a tenth fewer than
/// 25 ms did, and it took 3.6 % less server CPU per event (four pairs of servers side by side at
/// 3,000 events/s each: 274–280 against 285–291 µs); at 5,000 events/s p99 was 15 and 23 ms against
/// 19 and 21 ms. Every 250 ms left most of the copying to the writer: p99 at 5,000 events/s was 57,
/// 39 and 27 ms against 34, 24 and 21 ms with 25 ms, run by run.
fn start_checkpointer(
    conn: Connection,
    stop: Arc<std::sync::atomic::AtomicBool>,
    wal_frames: Arc<std::sync::atomic::AtomicI64>,
) {
    let spawned = std::thread::Builder::new()
        .name("faultline-checkpoint".into())
        .spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(CHECKPOINT_INTERVAL);
                match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1)) {
                    Ok(frames) => wal_frames.store(frames, std::sync::atomic::Ordering::Relaxed),
                    Err(e) => eprintln!("faultline: WAL checkpoint failed: {e}"),
                }
            }
            // A last full checkpoint so a stopped store leaves a small WAL behind.
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        });
    if let Err(e) = spawned {
        eprintln!("faultline: cannot start the WAL checkpoint thread: {e}");
    }
}

fn poisoned() -> StoreError {
    StoreError::Database("a database lock was poisoned by a panic".into())
}

#[async_trait]
impl Store for SqliteStore {
    async fn bootstrap(&self) -> Result<Bootstrap> {
        self.write(|c, _| admin::bootstrap(c)).await
    }
    async fn create_project(
        &self,
        org: &str,
        team: &str,
        name: &str,
        platform: Option<&str>,
    ) -> Result<(Project, ProjectKey)> {
        let (org, team, name) = (org.to_owned(), team.to_owned(), name.to_owned());
        let platform = platform.map(str::to_owned);
        self.write(move |c, _| admin::create_project(c, &org, &team, &name, platform.as_deref()))
            .await
    }
    async fn list_projects(&self) -> Result<Vec<Project>> {
        self.read(|c| admin::projects(c, "1 = 1", [])).await
    }
    async fn project(&self, id: ProjectId) -> Result<Option<Project>> {
        self.read(move |c| Ok(admin::projects(c, "p.id = ?1", [id.0])?.into_iter().next()))
            .await
    }
    async fn project_by_slug(&self, org: &str, slug: &str) -> Result<Option<Project>> {
        let (org, slug) = (org.to_owned(), slug.to_owned());
        self.read(move |c| {
            Ok(
                admin::projects(c, "o.slug = ?1 AND p.slug = ?2", [org, slug])?
                    .into_iter()
                    .next(),
            )
        })
        .await
    }
    async fn set_project_scrubbing(
        &self,
        id: ProjectId,
        enabled: bool,
        extra_keys: &[String],
    ) -> Result<()> {
        let keys = extra_keys.join(",");
        self.write(move |c, _| {
            let n = c.execute(
                "UPDATE projects SET scrub_enabled = ?1, scrub_extra_keys = ?2 WHERE id = ?3",
                rusqlite::params![enabled, keys, id.0],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("project {id}")));
            }
            Ok(())
        })
        .await
    }
    async fn create_key(&self, project: ProjectId, label: &str) -> Result<ProjectKey> {
        let label = label.to_owned();
        self.write(move |c, _| admin::create_key(c, project, &label))
            .await
    }
    async fn list_keys(&self, project: ProjectId) -> Result<Vec<ProjectKey>> {
        self.read(move |c| admin::keys(c, "project_id = ?1", [project.0]))
            .await
    }
    async fn key_by_public(&self, public_key: &str) -> Result<Option<ProjectKey>> {
        let k = public_key.to_owned();
        self.read(move |c| Ok(admin::keys(c, "public_key = ?1", [k])?.into_iter().next()))
            .await
    }
    async fn set_key_rate_limit(&self, key: KeyId, limit: Option<(u32, u32)>) -> Result<()> {
        self.write(move |c, _| {
            let (count, window) = limit.unzip();
            c.execute(
                "UPDATE project_keys SET rate_limit_count = ?1, rate_limit_window = ?2 WHERE id = ?3",
                rusqlite::params![count, window, key.0],
            )?;
            Ok(())
        })
        .await
    }
    async fn revoke_key(&self, key: KeyId) -> Result<()> {
        self.write(move |c, _| {
            c.execute("UPDATE project_keys SET active = 0 WHERE id = ?1", [key.0])?;
            Ok(())
        })
        .await
    }
    async fn create_token(&self, name: &str, scopes: &[String]) -> Result<(ApiToken, String)> {
        let (name, scopes) = (name.to_owned(), scopes.to_vec());
        self.write(move |c, _| admin::create_token(c, &name, &scopes))
            .await
    }
    async fn token_by_secret(&self, secret: &str) -> Result<Option<ApiToken>> {
        let hash = admin::token_hash(secret);
        self.read(move |c| admin::token_by_hash(c, &hash)).await
    }
    async fn count_users(&self) -> Result<u64> {
        self.read(|c| {
            Ok(c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))? as u64)
        })
        .await
    }
    async fn create_user(&self, email: &str, password_hash: &str, role: &str) -> Result<User> {
        let (email, hash, role) = (email.to_owned(), password_hash.to_owned(), role.to_owned());
        self.write(move |c, _| admin::create_user(c, &email, &hash, &role))
            .await
    }
    async fn list_users(&self) -> Result<Vec<User>> {
        self.read(|c| accounts::users(c, "1 = 1", [])).await
    }
    async fn user(&self, id: UserId) -> Result<Option<User>> {
        self.read(move |c| accounts::user(c, id)).await
    }
    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>> {
        let email = email.to_owned();
        self.read(move |c| accounts::user_by_email(c, &email)).await
    }
    async fn set_user_password(&self, id: UserId, password_hash: &str) -> Result<()> {
        let hash = password_hash.to_owned();
        self.write(move |c, _| accounts::set_user_column(c, id, "password_hash", &hash))
            .await
    }
    async fn set_user_role(&self, id: UserId, role: &str) -> Result<()> {
        let role = role.to_owned();
        self.write(move |c, _| accounts::set_user_column(c, id, "role", &role))
            .await
    }

    async fn create_session(&self, user: UserId, ttl_secs: f64) -> Result<(String, String)> {
        self.write(move |c, _| accounts::create_session(c, user, ttl_secs))
            .await
    }
    async fn session_by_secret(&self, secret: &str) -> Result<Option<UserSession>> {
        let secret = secret.to_owned();
        self.read(move |c| accounts::session_by_secret(c, &secret))
            .await
    }
    async fn delete_session(&self, secret: &str) -> Result<()> {
        let secret = secret.to_owned();
        self.write(move |c, _| accounts::delete_sessions(c, None, None, Some(&secret)))
            .await
    }
    async fn delete_user_sessions(&self, user: UserId, keep: Option<&str>) -> Result<()> {
        let keep = keep.map(str::to_owned);
        self.write(move |c, _| accounts::delete_sessions(c, Some(user), keep.as_deref(), None))
            .await
    }

    async fn list_teams(&self) -> Result<Vec<TeamMembers>> {
        self.read(accounts::teams).await
    }
    async fn team(&self, id: TeamId) -> Result<Option<Team>> {
        self.read(move |c| accounts::team(c, id)).await
    }
    async fn create_team(&self, org: &str, slug: &str, name: &str) -> Result<Team> {
        let (org, slug, name) = (org.to_owned(), slug.to_owned(), name.to_owned());
        self.write(move |c, _| accounts::create_team(c, &org, &slug, &name))
            .await
    }
    async fn add_team_member(&self, team: TeamId, user: UserId) -> Result<()> {
        self.write(move |c, _| accounts::add_team_member(c, team, user))
            .await
    }
    async fn remove_team_member(&self, team: TeamId, user: UserId) -> Result<()> {
        self.write(move |c, _| accounts::remove_team_member(c, team, user))
            .await
    }

    async fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        self.read(accounts::tokens).await
    }
    async fn revoke_token(&self, id: TokenId) -> Result<()> {
        self.write(move |c, _| accounts::revoke_token(c, id)).await
    }
    async fn rename_key(&self, key: KeyId, label: &str) -> Result<()> {
        let label = label.to_owned();
        self.write(move |c, _| accounts::rename_key(c, key, &label))
            .await
    }
    async fn list_saved_searches(&self, user: UserId) -> Result<Vec<SavedSearch>> {
        self.read(move |c| accounts::saved_searches(c, user)).await
    }
    async fn save_search(&self, user: UserId, name: &str, query: &str) -> Result<SavedSearch> {
        let (name, query) = (name.to_owned(), query.to_owned());
        self.write(move |c, _| accounts::save_search(c, user, &name, &query))
            .await
    }
    async fn delete_saved_search(&self, user: UserId, id: i64) -> Result<()> {
        self.write(move |c, _| accounts::delete_saved_search(c, user, id))
            .await
    }

    async fn write_batch(&self, batch: WriteBatch) -> Result<BatchOutcome> {
        let (out, checkpoint_due) = self
            .write(move |c, inner| {
                let out = write::write_batch(c, &inner.hash_cache, batch)?;
                let batches = inner
                    .batches
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let due = batches % CHECKPOINT_EVERY_BATCHES == 0
                    || inner.wal_frames.load(std::sync::atomic::Ordering::Relaxed)
                        > WAL_RESTART_FRAMES;
                Ok((out, due))
            })
            .await?;
        // Under constant load the background checkpoints never see the WAL quiet, so it would
        // only grow. Every few batches (and whenever it passes 32 MiB) the writer finishes the
        // checkpoint itself — cheap, the background thread has already copied nearly
        // everything — so the next transaction starts the WAL over (and `journal_size_limit`
        // trims the file). It is queued behind this batch rather than run inside it: the
        // batch is committed, and its requests are answered without waiting for the copy.
        if checkpoint_due {
            let inner = self.inner.clone();
            tokio::task::spawn_blocking(move || {
                let Ok(c) = inner.writer.lock() else { return };
                inner
                    .wal_frames
                    .store(0, std::sync::atomic::Ordering::Relaxed);
                if let Err(e) = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    eprintln!("faultline: WAL checkpoint failed: {e}");
                }
            });
        }
        Ok(out)
    }
    fn codec(&self) -> &Codec {
        &self.inner.codec
    }
    async fn plain_payloads(
        &self,
        project: ProjectId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, Vec<u8>)>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, payload FROM events WHERE project_id = ?1 AND dict_id IS NULL AND id > ?2
                 ORDER BY id LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(rusqlite::params![project.0, after, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }
    async fn replace_plain_payloads(&self, rows: Vec<(i64, i64, Vec<u8>)>) -> Result<u64> {
        self.write(move |c, _| {
            let tx = c.transaction()?;
            let mut n = 0;
            {
                let mut stmt = tx.prepare_cached(
                    "UPDATE events SET dict_id = ?2, payload = ?3 WHERE id = ?1 AND dict_id IS NULL",
                )?;
                for (id, dict, payload) in &rows {
                    n += stmt.execute(rusqlite::params![id, dict, payload])? as u64;
                }
            }
            tx.commit()?;
            Ok(n)
        })
        .await
    }
    async fn train_dictionaries(&self) -> Result<usize> {
        let ready = self.inner.codec.take_ready_samples();
        if ready.is_empty() {
            return Ok(0);
        }
        // Training takes a while: do it off the writer, so ingest never waits for it.
        let trained: Vec<(ProjectId, Vec<u8>)> = tokio::task::spawn_blocking(move || {
            ready
                .into_iter()
                .filter_map(|(project, samples)| Codec::train(samples).map(|d| (project, d)))
                .collect()
        })
        .await
        .map_err(|e| StoreError::Database(format!("dictionary training failed: {e}")))?;
        self.write(move |c, inner| {
            let n = trained.len();
            for (project, dict) in trained {
                c.execute(
                    "INSERT INTO payload_dicts (project_id, data, created_at) VALUES (?1, ?2, ?3)",
                    rusqlite::params![project.0, dict, now()],
                )?;
                let id = c.last_insert_rowid();
                inner
                    .codec
                    .install(project, Dictionary::new(id, &dict), true);
            }
            Ok(n)
        })
        .await
    }

    async fn claim_job(&self, job: &str, holder: &str, every_secs: f64) -> Result<bool> {
        let (job, holder) = (job.to_owned(), holder.to_owned());
        self.write(move |c, _| {
            let t = now();
            // One statement: the row is claimed only when the interval has passed.
            let n = c.execute(
                "INSERT INTO job_claims (name, holder, last_run) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, last_run = excluded.last_run
                 WHERE job_claims.last_run <= ?3 - ?4",
                rusqlite::params![job, holder, t, every_secs],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn list_issues(&self, query: &IssueQuery) -> Result<Vec<Issue>> {
        let q = query.clone();
        self.read(move |c| read::list_issues(c, &q)).await
    }
    async fn issue(&self, id: IssueId) -> Result<Option<Issue>> {
        self.read(move |c| read::issue(c, id)).await
    }
    async fn set_issue_status_as(
        &self,
        id: IssueId,
        change: StatusChange,
        actor: Option<UserId>,
    ) -> Result<Issue> {
        self.write(move |c, _| triage::set_issue_status(c, id, change, actor))
            .await
    }
    async fn assign_issue(
        &self,
        id: IssueId,
        to: Option<Assignee>,
        actor: Option<UserId>,
    ) -> Result<Issue> {
        self.write(move |c, _| triage::assign_issue(c, id, to, actor))
            .await
    }
    async fn add_comment(&self, id: IssueId, user: UserId, text: &str) -> Result<Activity> {
        let text = text.to_owned();
        self.write(move |c, _| triage::add_comment(c, id, user, &text))
            .await
    }
    async fn issue_activity(&self, id: IssueId) -> Result<Vec<Activity>> {
        self.read(move |c| triage::issue_activity(c, id)).await
    }
    async fn unignore_expired(&self, now: f64) -> Result<u64> {
        self.write(move |c, _| triage::unignore_expired(c, now))
            .await
    }
    async fn issue_hourly_counts(
        &self,
        issues: &[IssueId],
        since: f64,
    ) -> Result<Vec<(IssueId, i64, i64)>> {
        let issues = issues.to_vec();
        self.read(move |c| read::hourly_counts(c, &issues, since))
            .await
    }
    async fn issue_tag_values(
        &self,
        issue: IssueId,
        key: Option<&str>,
    ) -> Result<Vec<TagValueCount>> {
        let key = key.map(str::to_owned);
        self.read(move |c| read::tag_values(c, issue, key.as_deref()))
            .await
    }

    async fn issue_events(
        &self,
        issue: IssueId,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<StoredEvent>> {
        let this = self.clone();
        self.read(move |c| {
            let rows = read::issue_events(c, issue, before, limit)?;
            rows.into_iter()
                .map(|r| r.decode(&this.inner.codec, c))
                .collect()
        })
        .await
    }
    async fn latest_event(&self, issue: IssueId) -> Result<Option<StoredEvent>> {
        Ok(self.issue_events(issue, None, 1).await?.into_iter().next())
    }
    async fn oldest_event(&self, issue: IssueId) -> Result<Option<StoredEvent>> {
        let this = self.clone();
        self.read(move |c| {
            read::oldest_event(c, issue)?
                .map(|r| r.decode(&this.inner.codec, c))
                .transpose()
        })
        .await
    }
    async fn event_neighbours(
        &self,
        issue: IssueId,
        row_id: i64,
    ) -> Result<(Option<String>, Option<String>)> {
        self.read(move |c| read::event_neighbours(c, issue, row_id))
            .await
    }
    async fn trace_events(&self, trace_id: &str, limit: u64) -> Result<Vec<TraceEvent>> {
        let Some(id) = trace_id_bytes(trace_id) else {
            return Ok(Vec::new());
        };
        self.read(move |c| read::trace_events(c, &id, limit)).await
    }
    async fn event_by_id(&self, project: ProjectId, event_id: &str) -> Result<Option<StoredEvent>> {
        let Some(id) = crate::rules::event_id_bytes(event_id) else {
            return Ok(None);
        };
        let this = self.clone();
        self.read(move |c| {
            read::event_by_id(c, project, &id)?
                .map(|r| r.decode(&this.inner.codec, c))
                .transpose()
        })
        .await
    }
    async fn count_events(&self) -> Result<u64> {
        self.read(|c| {
            Ok(c.query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0))? as u64)
        })
        .await
    }

    async fn event_attachments(
        &self,
        project: ProjectId,
        event_id: &str,
    ) -> Result<Vec<Attachment>> {
        let Some(id) = crate::rules::event_id_bytes(event_id) else {
            return Ok(Vec::new());
        };
        self.read(move |c| read::attachments(c, project, &id)).await
    }
    async fn list_agents(&self, project: Option<ProjectId>) -> Result<Vec<Agent>> {
        self.read(move |c| read::agents(c, project)).await
    }
    async fn list_releases(&self, project: Option<ProjectId>) -> Result<Vec<ReleaseSummary>> {
        self.read(move |c| overview::releases(c, project)).await
    }
    async fn project_summaries(&self, since: f64) -> Result<Vec<ProjectSummary>> {
        self.read(move |c| overview::project_summaries(c, since))
            .await
    }
    async fn list_environments(&self, project: Option<ProjectId>) -> Result<Vec<String>> {
        self.read(move |c| overview::environments(c, project)).await
    }
    async fn session_hours(&self, project: ProjectId) -> Result<Vec<SessionHour>> {
        self.read(move |c| read::session_hours(c, project)).await
    }
    async fn discard_hours(&self, project: ProjectId) -> Result<Vec<DiscardHour>> {
        self.read(move |c| read::discard_hours(c, project)).await
    }
}
