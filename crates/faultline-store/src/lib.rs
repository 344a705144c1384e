//! Storage for Faultline: one contract ([`Store`]), backends behind it.
//!
//! The store keeps organizations, projects, DSN keys, API tokens and users; issues with their
//! fingerprint hashes, counters, tag values and hourly counts; events with their payloads
//! compressed by [`codec::Codec`]; agents (SDK instances), sessions and client reports.
//!
//! The write path is [`Store::write_batch`]: the digest service hands it a [`batch::WriteBatch`]
//! of many events and it commits them in ONE transaction; only then are their requests answered.
//!
//! Backends: [`sqlite::SqliteStore`] (embedded, the default). SQL is kept portable and everything
//! SQLite-specific stays inside `src/sqlite/`.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use faultline_store::{sqlite::SqliteStore, Store};
//! let dir = tempfile::tempdir().unwrap();
//! let store = SqliteStore::open(dir.path()).unwrap();
//! let boot = store.bootstrap().await.unwrap();
//! assert_eq!(boot.project.slug, "default");
//! assert_eq!(store.list_projects().await.unwrap().len(), 1);
//! # });
//! ```
#![deny(missing_docs)]

pub mod batch;
pub mod codec;
pub mod error;
pub mod model;
pub mod query;
pub mod sqlite;

use async_trait::async_trait;

pub use batch::{BatchOutcome, EventOutcome, NewEvent, WriteBatch};
pub use error::{Result, StoreError};
pub use model::*;
pub use query::{IssueQuery, IssueSort, StatusChange, TagFilter};

/// What [`Store::bootstrap`] found or created.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    /// The default organization.
    pub org: Organization,
    /// The default project.
    pub project: Project,
    /// Its first key.
    pub key: ProjectKey,
    /// True when this call created them (first start on an empty database).
    pub created: bool,
}

/// The storage contract. Every backend passes the same conformance tests.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    // ----- setup and administration -----

    /// Creates organization `default`, team `default` and project `default` with a key when the
    /// database has no organization yet; returns them either way.
    async fn bootstrap(&self) -> Result<Bootstrap>;
    /// Creates a project with one DSN key.
    async fn create_project(
        &self,
        org: &str,
        team: &str,
        name: &str,
        platform: Option<&str>,
    ) -> Result<(Project, ProjectKey)>;
    /// All projects.
    async fn list_projects(&self) -> Result<Vec<Project>>;
    /// A project by id.
    async fn project(&self, id: ProjectId) -> Result<Option<Project>>;
    /// A project by organization and project slug.
    async fn project_by_slug(&self, org: &str, slug: &str) -> Result<Option<Project>>;
    /// Turns scrubbing on or off and sets the extra keys to scrub.
    async fn set_project_scrubbing(
        &self,
        id: ProjectId,
        enabled: bool,
        extra_keys: &[String],
    ) -> Result<()>;
    /// Adds a DSN key to a project.
    async fn create_key(&self, project: ProjectId, label: &str) -> Result<ProjectKey>;
    /// A project's keys.
    async fn list_keys(&self, project: ProjectId) -> Result<Vec<ProjectKey>>;
    /// A key by its public part.
    async fn key_by_public(&self, public_key: &str) -> Result<Option<ProjectKey>>;
    /// Sets (or clears) a key's rate limit: `count` events per `window` seconds.
    async fn set_key_rate_limit(&self, key: KeyId, limit: Option<(u32, u32)>) -> Result<()>;
    /// Revokes a key.
    async fn revoke_key(&self, key: KeyId) -> Result<()>;
    /// Creates an API token; returns it with its secret (shown once, stored hashed).
    async fn create_token(&self, name: &str, scopes: &[String]) -> Result<(ApiToken, String)>;
    /// The token with this secret.
    async fn token_by_secret(&self, secret: &str) -> Result<Option<ApiToken>>;
    /// Number of users.
    async fn count_users(&self) -> Result<u64>;
    /// Creates a user with an already-hashed password.
    async fn create_user(&self, email: &str, password_hash: &str, role: &str) -> Result<User>;

    // ----- write path -----

    /// Writes a whole batch in one transaction. Events whose id is already stored in their
    /// project are reported as duplicates and change nothing.
    async fn write_batch(&self, batch: WriteBatch) -> Result<BatchOutcome>;
    /// The payload codec (compression with per-project dictionaries).
    fn codec(&self) -> &codec::Codec;
    /// Trains and installs dictionaries for projects that have collected enough samples.
    async fn train_dictionaries(&self) -> Result<usize>;

    // ----- issues -----

    /// Lists issues.
    async fn list_issues(&self, query: &IssueQuery) -> Result<Vec<Issue>>;
    /// One issue.
    async fn issue(&self, id: IssueId) -> Result<Option<Issue>>;
    /// Changes an issue's status; returns the updated issue.
    async fn set_issue_status(&self, id: IssueId, change: StatusChange) -> Result<Issue>;
    /// Event counts per hour (start of hour, count) since `since`, for each issue.
    async fn issue_hourly_counts(
        &self,
        issues: &[IssueId],
        since: f64,
    ) -> Result<Vec<(IssueId, i64, i64)>>;
    /// Tag values seen on an issue (every key when `key` is `None`), most frequent first.
    async fn issue_tag_values(
        &self,
        issue: IssueId,
        key: Option<&str>,
    ) -> Result<Vec<TagValueCount>>;

    // ----- events -----

    /// An issue's events, newest first, starting after row `before` when given.
    async fn issue_events(
        &self,
        issue: IssueId,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<StoredEvent>>;
    /// An issue's latest event.
    async fn latest_event(&self, issue: IssueId) -> Result<Option<StoredEvent>>;
    /// An issue's first stored event.
    async fn oldest_event(&self, issue: IssueId) -> Result<Option<StoredEvent>>;
    /// An event by id.
    async fn event_by_id(&self, project: ProjectId, event_id: &str) -> Result<Option<StoredEvent>>;
    /// Total number of stored events.
    async fn count_events(&self) -> Result<u64>;

    /// Attachments stored with an event (metadata and bytes).
    async fn event_attachments(
        &self,
        project: ProjectId,
        event_id: &str,
    ) -> Result<Vec<Attachment>>;

    // ----- agents, sessions, client reports -----

    /// Reporting SDK instances, most recently seen first.
    async fn list_agents(&self, project: Option<ProjectId>) -> Result<Vec<Agent>>;
    /// Hourly session aggregates of a project.
    async fn session_hours(&self, project: ProjectId) -> Result<Vec<model::SessionHour>>;
    /// Hourly client-report aggregates of a project.
    async fn discard_hours(&self, project: ProjectId) -> Result<Vec<model::DiscardHour>>;
}
