//! The store conformance suite: every operation of the [`Store`] contract, written once as
//! generic async checks over `&dyn Store` and run against every backend — SQLite on a temporary
//! directory, and PostgreSQL on a fresh, uniquely named database of the server at
//! `FAULTLINE_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`), dropped
//! afterwards. An unreachable PostgreSQL fails its tests: it is required, never skipped.

mod admin;
mod events;
mod issues;
mod nodes;
mod regression;
mod side;
mod ui;

use std::sync::Arc;

use faultline_store::{NewEvent, ProjectId, Store};

/// One backend's database, alive as long as the test holds it.
pub enum Db {
    Sqlite(tempfile::TempDir),
    #[cfg(feature = "postgres")]
    Postgres(faultline_store::postgres::ScratchDatabase),
}

impl Db {
    /// A fresh database of `backend`.
    pub async fn fresh(backend: &str) -> Db {
        match backend {
            "sqlite" => Db::Sqlite(tempfile::tempdir().expect("temp dir")),
            #[cfg(feature = "postgres")]
            "postgres" => Db::Postgres(
                faultline_store::postgres::ScratchDatabase::create(
                    &faultline_store::postgres::scratch::test_server(),
                    "conformance",
                )
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL conformance tests need a server: {e}")),
            ),
            other => panic!("unknown backend {other}"),
        }
    }

    /// Whether this backend runs several nodes on one database (PostgreSQL).
    pub fn multi_node(&self) -> bool {
        !matches!(self, Db::Sqlite(_))
    }

    /// A store on this database (call again for a second node on the same database).
    pub async fn open(&self) -> Arc<dyn Store> {
        match self {
            Db::Sqlite(dir) => Arc::new(
                faultline_store::sqlite::SqliteStore::open(dir.path()).expect("open sqlite"),
            ),
            #[cfg(feature = "postgres")]
            Db::Postgres(db) => faultline_store::connect(&db.url, 8)
                .await
                .expect("connect to postgres"),
        }
    }
}

/// Runs each check on every backend: `sqlite::NAME` and `postgres::NAME`.
macro_rules! conformance {
    ($($module:ident :: $check:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let db = crate::Db::fresh("sqlite").await;
                    crate::$module::$check(&db).await;
                }
            )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let db = crate::Db::fresh("postgres").await;
                    crate::$module::$check(&db).await;
                }
            )*
        }
    };
}

conformance!(
    admin::bootstrap_is_idempotent,
    admin::projects_create_list_find_and_scrub,
    admin::keys_create_list_limit_and_revoke,
    admin::tokens_and_users,
    issues::same_fingerprint_one_issue_with_counters,
    issues::first_known_hash_wins_and_links_the_rest,
    issues::duplicates_change_nothing,
    issues::tags_users_and_hourly_counts,
    issues::many_tags_in_one_batch_add_up,
    issues::list_filters_sorts_and_pages,
    regression::regression_after_resolve,
    regression::resolved_in_next_release_reopens_only_for_newer,
    regression::status_changes_and_unknown_issue,
    events::events_pages_latest_oldest_and_by_id,
    events::attachments_with_their_event,
    events::dictionaries_train_once_and_decode_everywhere,
    events::plain_payloads_are_compressed_again_with_the_dictionary,
    side::agents_merge_hosted_and_hostless,
    side::sessions_and_discards_add_up,
    side::jobs_are_claimed_once_per_interval,
    nodes::two_nodes_same_fingerprint_one_issue_exact_count,
    nodes::two_nodes_new_fingerprints_race_to_one_issue_each,
    ui::users_are_found_by_email_in_any_case,
    ui::sessions_live_expire_and_end,
    ui::teams_and_members,
    ui::tokens_list_and_revoke_keys_rename,
    ui::assignment_comments_and_activity,
    ui::ignored_until_more_events_comes_back_escalating,
    ui::ignored_until_a_time_comes_back_escalating,
    ui::event_neighbours_and_traces_across_projects,
    ui::releases_summaries_and_environments,
    ui::saved_searches_belong_to_their_user,
);

/// A stored-event-shaped input: one event of `project` grouped by `hashes`.
pub fn event(store: &dyn Store, project: ProjectId, id: u64, hashes: &[&str]) -> NewEvent {
    let ts = now();
    let payload = format!(r#"{{"event_id":"{id:032x}","message":"event {id}"}}"#);
    let c = store
        .codec()
        .compress(project, payload.as_bytes())
        .expect("compress");
    NewEvent {
        project_id: project,
        event_id: format!("{id:032x}"),
        hashes: hashes.iter().map(|h| h.to_string()).collect(),
        grouping_version: "newstyle:2023-01-11".into(),
        grouping_variant: "app".into(),
        grouping_components: faultline_store::LazyText::ready(format!(
            r#"{{"contributes":true,"hash":"{}"}}"#,
            hashes.first().unwrap_or(&"")
        )),
        title: format!("Error {}", hashes.first().unwrap_or(&"")),
        culprit: "app.views in checkout".into(),
        kind: "caught".into(),
        level: "error".into(),
        platform: "python".into(),
        metadata: r#"{"type":"Error"}"#.into(),
        timestamp: ts,
        received: ts,
        release: None,
        environment: None,
        user_key: None,
        trace_id: None,
        tags: Vec::new(),
        payload: c.data,
        payload_dict: c.dict_id,
        attachments: Vec::new(),
    }
}

/// Unix seconds now.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A unique base for event ids, so tests never collide.
pub fn ids() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed) << 32
}
