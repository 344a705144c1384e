//! PostgreSQL migrations on a database that already holds data: a database made before
//! migration 5 keeps every issue's grouping components, now read from `issue_grouping`; and so
//! does a SQLite database made before it and moved to PostgreSQL (`faultline migrate`).
//! (The SQLite backend's own migration test is a unit test of `sqlite`.)
#![cfg(feature = "postgres")]

use faultline_store::postgres::{scratch, ScratchDatabase};
use faultline_store::IssueId;

const BEFORE: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "job_claims",
        include_str!("../migrations/postgres/0002_job_claims.sql"),
    ),
    (3, "ui", include_str!("../migrations/postgres/0003_ui.sql")),
    (
        4,
        "plain_payloads",
        include_str!("../migrations/postgres/0004_plain_payloads.sql"),
    ),
];

const SQLITE_BEFORE: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "job_claims",
        include_str!("../migrations/sqlite/0002_job_claims.sql"),
    ),
    (3, "ui", include_str!("../migrations/sqlite/0003_ui.sql")),
    (
        4,
        "plain_payloads",
        include_str!("../migrations/sqlite/0004_plain_payloads.sql"),
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_grouping_migration_keeps_components() {
    let db = ScratchDatabase::create(&scratch::test_server(), "migrations")
        .await
        .expect("PostgreSQL migration tests need a server");
    {
        let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let task = tokio::spawn(conn);
        client
            .batch_execute(
                "CREATE TABLE schema_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL,
                    applied_at DOUBLE PRECISION NOT NULL)",
            )
            .await
            .unwrap();
        for (version, name, sql) in BEFORE {
            client.batch_execute(sql).await.unwrap();
            client
                .execute(
                    "INSERT INTO schema_migrations VALUES ($1, $2, 0)",
                    &[version, name],
                )
                .await
                .unwrap();
        }
        client
            .batch_execute(include_str!("fixtures/issues_before_issue_grouping.sql"))
            .await
            .unwrap();
        drop(client);
        task.await.unwrap().unwrap();
    }
    let store = faultline_store::connect(&db.url, 2).await.unwrap();
    let a = store.issue(IssueId(7)).await.unwrap().unwrap();
    assert_eq!(a.grouping_components, r#"{"hash":"a"}"#);
    assert_eq!((a.title.as_str(), a.times_seen), ("A", 3));
    let b = store.issue(IssueId(9)).await.unwrap().unwrap();
    assert_eq!(b.grouping_components, r#"{"hash":"b"}"#);
    assert_eq!(b.grouping_variant, "system");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_sqlite_database_moves_with_its_components() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn =
            rusqlite::Connection::open(dir.path().join(faultline_store::sqlite::DB_FILE)).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)",
        )
        .unwrap();
        for (version, name, sql) in SQLITE_BEFORE {
            conn.execute_batch(sql).unwrap();
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?1, ?2, 0)",
                rusqlite::params![version, name],
            )
            .unwrap();
        }
        conn.execute_batch(include_str!("fixtures/issues_before_issue_grouping.sql"))
            .unwrap();
    }
    let db = ScratchDatabase::create(&scratch::test_server(), "migrations")
        .await
        .expect("PostgreSQL migration tests need a server");
    faultline_store::connect(&db.url, 2).await.unwrap();
    let counts = faultline_store::transfer::sqlite_to_postgres(dir.path(), &db.url)
        .await
        .unwrap();
    let moved = counts.iter().find(|c| c.table == "issue_grouping").unwrap();
    assert_eq!((moved.source, moved.target), (2, 2));
    let store = faultline_store::connect(&db.url, 2).await.unwrap();
    let a = store.issue(IssueId(7)).await.unwrap().unwrap();
    assert_eq!(a.grouping_components, r#"{"hash":"a"}"#);
    let b = store.issue(IssueId(9)).await.unwrap().unwrap();
    assert_eq!(b.grouping_components, r#"{"hash":"b"}"#);
}
