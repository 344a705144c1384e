//! Migrations on databases that already hold data: a database made before migration 5 keeps
//! every issue's grouping components, now read from `issue_grouping`, on SQLite, on PostgreSQL,
//! and when an old SQLite database is moved to PostgreSQL (`faultline migrate`).

use faultline_store::{IssueId, Store};

/// A whole database as it was before migration 5, in `dialect` (`sqlite` or `postgres`).
macro_rules! before_issue_grouping {
    ($dialect:literal) => {
        concat!(
            include_str!(concat!("../migrations/", $dialect, "/0001_init.sql")),
            include_str!(concat!("../migrations/", $dialect, "/0002_job_claims.sql")),
            include_str!(concat!("../migrations/", $dialect, "/0003_ui.sql")),
            include_str!(concat!(
                "../migrations/",
                $dialect,
                "/0004_plain_payloads.sql"
            )),
            include_str!("fixtures/issues_before_issue_grouping.sql"),
        )
    };
}

/// An old SQLite database in `dir`.
fn old_sqlite(dir: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(dir.join(faultline_store::sqlite::DB_FILE)).unwrap();
    conn.execute_batch(before_issue_grouping!("sqlite"))
        .unwrap();
    conn
}

/// The fixture's two issues, read through the store, with their components.
async fn assert_components_kept(store: &dyn Store) {
    let a = store.issue(IssueId(7)).await.unwrap().unwrap();
    assert_eq!(a.grouping_components, r#"{"hash":"a"}"#);
    assert_eq!((a.title.as_str(), a.times_seen), ("A", 3));
    let b = store.issue(IssueId(9)).await.unwrap().unwrap();
    assert_eq!(b.grouping_components, r#"{"hash":"b"}"#);
    assert_eq!(b.grouping_variant, "system");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_issue_grouping_migration_keeps_components() {
    let dir = tempfile::tempdir().unwrap();
    let conn = old_sqlite(dir.path());
    let store = faultline_store::sqlite::SqliteStore::open(dir.path()).unwrap();
    assert_components_kept(&store).await;
    let has_column: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM pragma_table_info('issues')
               WHERE name = 'grouping_components')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!has_column, "the column left the issue row");
}

#[cfg(feature = "postgres")]
mod postgres {
    use faultline_store::postgres::{scratch, ScratchDatabase};

    use super::*;

    async fn scratch_database() -> ScratchDatabase {
        ScratchDatabase::create(&scratch::test_server(), "migrations")
            .await
            .expect("PostgreSQL migration tests need a server")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn issue_grouping_migration_keeps_components() {
        let db = scratch_database().await;
        let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let task = tokio::spawn(conn);
        client
            .batch_execute(before_issue_grouping!("postgres"))
            .await
            .unwrap();
        drop(client);
        task.await.unwrap().unwrap();
        let store = faultline_store::connect(&db.url, 2).await.unwrap();
        assert_components_kept(&*store).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_old_sqlite_database_moves_with_its_components() {
        let dir = tempfile::tempdir().unwrap();
        drop(old_sqlite(dir.path()));
        let db = scratch_database().await;
        // The target gets this version's schema, as a server started on it would give it.
        faultline_store::connect(&db.url, 2).await.unwrap();
        let counts = faultline_store::transfer::sqlite_to_postgres(dir.path(), &db.url)
            .await
            .unwrap();
        let moved = counts.iter().find(|c| c.table == "issue_grouping").unwrap();
        assert_eq!((moved.source, moved.target), (2, 2));
        let store = faultline_store::connect(&db.url, 2).await.unwrap();
        assert_components_kept(&*store).await;
    }
}
