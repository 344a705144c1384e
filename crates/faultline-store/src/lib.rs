//! Storage for Faultline: one contract ([`Store`]), backends behind it.
//!
//! The store keeps organizations, projects, DSN keys, API tokens and users; issues with their
//! fingerprint hashes, counters, tag values and hourly counts; events with their payloads
//! compressed by [`codec::Codec`]; agents (SDK instances), sessions and client reports.
//!
//! The write path is [`Store::write_batch`]: the digest service hands it a [`batch::WriteBatch`]
//! of many events and it commits them in ONE transaction; only then are their requests answered.
//!
//! Backends: [`sqlite::SqliteStore`] (embedded, the default) and, with the `postgres` feature,
//! `postgres::PgStore` (several stateless Faultline nodes on one database). Both keep the same
//! tables and columns (`migrations/{sqlite,postgres}/`), behave the same, and pass the same
//! conformance suite (`tests/conformance/`). [`connect`] picks the backend from a database URL.
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
pub mod packed;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod query;
// Some rules serve only the PostgreSQL backend (the SQLite writer keeps its own copies).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
mod rules;
pub mod sqlite;
#[cfg(feature = "postgres")]
pub mod transfer;

use async_trait::async_trait;

pub use batch::{BatchOutcome, EventOutcome, LazyText, NewEvent, WriteBatch};
pub use error::{Result, StoreError};
pub use model::*;
pub use query::{AssigneeFilter, IgnoreLimits, IssueQuery, IssueSort, StatusChange, TagFilter};

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

/// Opens the store a database URL names: `postgres://` or `postgresql://` (with the `postgres`
/// feature; `pool_size` connections at most). Any other scheme is refused with a clear error.
/// Without a URL, callers open [`sqlite::SqliteStore`] on their data directory.
pub async fn connect(url: &str, pool_size: usize) -> Result<std::sync::Arc<dyn Store>> {
    let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or("");
    match scheme {
        #[cfg(feature = "postgres")]
        "postgres" | "postgresql" => Ok(std::sync::Arc::new(
            postgres::PgStore::connect(url, pool_size).await?,
        )),
        #[cfg(not(feature = "postgres"))]
        "postgres" | "postgresql" => {
            let _ = pool_size;
            Err(StoreError::Invalid(
                "this build has no PostgreSQL support (cargo feature `postgres`)".into(),
            ))
        }
        _ => {
            let _ = pool_size;
            Err(StoreError::Invalid(format!(
                "unsupported database URL '{}': expected postgres://user@host:port/db \
                 (leave it unset for the embedded SQLite database in the data directory)",
                redact(url)
            )))
        }
    }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, rest)), Some(_)) => {
            let (auth, host) = rest.rsplit_once('@').unwrap_or(("", rest));
            let user = auth.split(':').next().unwrap_or("");
            if auth.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                url.to_owned()
            }
        }
        _ => url.to_owned(),
    }
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
    /// Creates a user with an already-hashed password. Emails are unique (case-insensitive):
    /// a second user with the same email is [`StoreError::Conflict`].
    async fn create_user(&self, email: &str, password_hash: &str, role: &str) -> Result<User>;
    /// Every user, by email.
    async fn list_users(&self) -> Result<Vec<User>>;
    /// A user by id.
    async fn user(&self, id: UserId) -> Result<Option<User>>;
    /// A user by email (case-insensitive) with their password hash, for sign-in.
    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>>;
    /// Replaces a user's password hash.
    async fn set_user_password(&self, id: UserId, password_hash: &str) -> Result<()>;
    /// Sets a user's role (`admin` or `member`).
    async fn set_user_role(&self, id: UserId, role: &str) -> Result<()>;

    /// Opens a sign-in session for `user` lasting `ttl_secs`; returns its secret (for the
    /// cookie; stored hashed) and its CSRF token.
    async fn create_session(&self, user: UserId, ttl_secs: f64) -> Result<(String, String)>;
    /// The live (unexpired) session with this secret.
    async fn session_by_secret(&self, secret: &str) -> Result<Option<UserSession>>;
    /// Ends the session with this secret (no error when there is none).
    async fn delete_session(&self, secret: &str) -> Result<()>;
    /// Ends every session of `user` except the one with secret `keep`.
    async fn delete_user_sessions(&self, user: UserId, keep: Option<&str>) -> Result<()>;

    /// Every team with its members.
    async fn list_teams(&self) -> Result<Vec<TeamMembers>>;
    /// A team by id.
    async fn team(&self, id: TeamId) -> Result<Option<Team>>;
    /// Creates a team in organization `org` (slug); the slug must be unique in it.
    async fn create_team(&self, org: &str, slug: &str, name: &str) -> Result<Team>;
    /// Adds a user to a team (no error when already a member).
    async fn add_team_member(&self, team: TeamId, user: UserId) -> Result<()>;
    /// Removes a user from a team.
    async fn remove_team_member(&self, team: TeamId, user: UserId) -> Result<()>;

    /// Every API token, newest first.
    async fn list_tokens(&self) -> Result<Vec<ApiToken>>;
    /// Deletes a token; it stops working at once.
    async fn revoke_token(&self, id: TokenId) -> Result<()>;
    /// Renames a DSN key.
    async fn rename_key(&self, key: KeyId, label: &str) -> Result<()>;

    /// A user's saved views of the issue list, by name.
    async fn list_saved_searches(&self, user: UserId) -> Result<Vec<SavedSearch>>;
    /// Saves a view of the issue list (its URL query) under `name` for `user`; saving a name
    /// again replaces it. Blank or over-long names and queries are `Invalid`.
    async fn save_search(&self, user: UserId, name: &str, query: &str) -> Result<SavedSearch>;
    /// Deletes one of `user`'s saved views (NotFound when it is not theirs).
    async fn delete_saved_search(&self, user: UserId, id: i64) -> Result<()>;

    // ----- write path -----

    /// Writes a whole batch in one transaction. Events whose id is already stored in their
    /// project are reported as duplicates and change nothing.
    async fn write_batch(&self, batch: WriteBatch) -> Result<BatchOutcome>;
    /// The payload codec (compression with per-project dictionaries).
    fn codec(&self) -> &codec::Codec;
    /// Trains and installs dictionaries for projects that have collected enough samples. With
    /// several nodes on one database, each project's dictionary is trained once (by whichever
    /// node claims it) and the other nodes adopt it.
    async fn train_dictionaries(&self) -> Result<usize>;
    /// Up to `limit` events of the project stored without a dictionary, after event row `after`,
    /// in row order: `(row id, payload)` (see [`recompress_plain_payloads`]).
    async fn plain_payloads(
        &self,
        project: ProjectId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, Vec<u8>)>>;
    /// Replaces payloads stored without a dictionary: `(row id, dictionary id, payload)`; a row
    /// that has a dictionary by now is left as it is. Returns the rows replaced.
    async fn replace_plain_payloads(&self, rows: Vec<(i64, i64, Vec<u8>)>) -> Result<u64>;
    /// Claims background job `job` for `holder` when it has not run for `every_secs` seconds;
    /// true means the caller runs it now. Across nodes on one database exactly one caller wins
    /// each interval (retention, rollups and alert delivery use this).
    async fn claim_job(&self, job: &str, holder: &str, every_secs: f64) -> Result<bool>;

    // ----- issues -----

    /// Lists issues.
    async fn list_issues(&self, query: &IssueQuery) -> Result<Vec<Issue>>;
    /// One issue.
    async fn issue(&self, id: IssueId) -> Result<Option<Issue>>;
    /// Changes an issue's status; returns the updated issue.
    async fn set_issue_status(&self, id: IssueId, change: StatusChange) -> Result<Issue> {
        self.set_issue_status_as(id, change, None).await
    }
    /// Changes an issue's status, recording `actor` in the activity log.
    async fn set_issue_status_as(
        &self,
        id: IssueId,
        change: StatusChange,
        actor: Option<UserId>,
    ) -> Result<Issue>;
    /// Assigns an issue to a user or a team, or unassigns it (`None`); logged as activity.
    async fn assign_issue(
        &self,
        id: IssueId,
        to: Option<Assignee>,
        actor: Option<UserId>,
    ) -> Result<Issue>;
    /// Adds a comment to an issue's activity log.
    async fn add_comment(&self, id: IssueId, user: UserId, text: &str) -> Result<Activity>;
    /// An issue's activity log, oldest first: `first_seen`, `set_status`, `set_regression`,
    /// `set_escalating`, `assigned`, `unassigned`, `note` (a comment).
    async fn issue_activity(&self, id: IssueId) -> Result<Vec<Activity>>;
    /// Reopens (substatus `escalating`) ignored issues whose ignore-until time has passed;
    /// returns how many.
    async fn unignore_expired(&self, now: f64) -> Result<u64>;
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
    /// The event ids just older and just newer than row `row_id` in its issue.
    async fn event_neighbours(
        &self,
        issue: IssueId,
        row_id: i64,
    ) -> Result<(Option<String>, Option<String>)>;
    /// Events of every project that carry trace id `trace_id` (32 hex), most recently stored
    /// first (the trace index serves that order without sorting).
    async fn trace_events(&self, trace_id: &str, limit: u64) -> Result<Vec<TraceEvent>>;
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
    /// Releases (of one project or all), newest first by first event, with their counts.
    async fn list_releases(&self, project: Option<ProjectId>) -> Result<Vec<ReleaseSummary>>;
    /// Every project with its environments and what arrived since `since`.
    async fn project_summaries(&self, since: f64) -> Result<Vec<ProjectSummary>>;
    /// Environment names seen (in one project or all), sorted.
    async fn list_environments(&self, project: Option<ProjectId>) -> Result<Vec<String>>;
    /// Hourly session aggregates of a project.
    async fn session_hours(&self, project: ProjectId) -> Result<Vec<model::SessionHour>>;
    /// Hourly client-report aggregates of a project.
    async fn discard_hours(&self, project: ProjectId) -> Result<Vec<model::DiscardHour>>;
}

/// Compresses again, with the project's dictionary, the payloads stored before it had one (its
/// first events, and those that arrived while it was trained: about twice the bytes). Works in
/// chunks of 16 with a 20 ms pause after each, a few per cent of one core, so that ingest is
/// never held up for long (a server saturated from an empty database had 28,266 such payloads).
/// SQLite does not shrink its file: the space freed is reused by later events. Returns the
/// payloads replaced; `0` when the project has no dictionary yet.
pub async fn recompress_plain_payloads(store: &dyn Store, project: ProjectId) -> Result<u64> {
    const CHUNK: u32 = 16;
    let codec = store.codec();
    if !codec.has_current(project) {
        return Ok(0);
    }
    let (mut after, mut replaced) = (0, 0);
    loop {
        let rows = store.plain_payloads(project, after, CHUNK).await?;
        let Some(&(last, _)) = rows.last() else {
            return Ok(replaced);
        };
        after = last;
        let mut smaller = Vec::with_capacity(rows.len());
        for (id, payload) in rows {
            // A payload that does not decode is left for the reader to report.
            let Ok(raw) = codec.decompress_stored(&payload, None) else {
                continue;
            };
            let again = codec.compress(project, &raw)?;
            if let Some(dict) = again.dict_id.filter(|_| again.data.len() < payload.len()) {
                smaller.push((id, dict, again.data));
            }
        }
        if !smaller.is_empty() {
            replaced += store.replace_plain_payloads(smaller).await?;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_redacted_and_unknown_schemes_refused() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/faultline"),
            "postgres://app:***@db:5432/faultline"
        );
        assert_eq!(
            redact("postgres://app@db/faultline"),
            "postgres://app@db/faultline"
        );
        let rt = tokio::runtime::Runtime::new().unwrap();
        for url in ["mysql://root:pw@localhost/x", "faultline-data", ""] {
            match rt.block_on(connect(url, 4)) {
                Err(StoreError::Invalid(msg)) => {
                    assert!(msg.contains("unsupported database URL"), "{msg}");
                    assert!(!msg.contains("pw@"), "{msg}");
                }
                Err(e) => panic!("{url}: {e}"),
                Ok(_) => panic!("{url}: accepted"),
            }
        }
    }
}
