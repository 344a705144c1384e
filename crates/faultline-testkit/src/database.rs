//! A fresh database per test, on the backend `FAULTLINE_TEST_BACKEND` names.

use std::path::Path;
use std::sync::Arc;

use faultline_store::postgres::{scratch, ScratchDatabase};
use faultline_store::{sqlite::SqliteStore, Store};

/// Whether tests run on PostgreSQL (`FAULTLINE_TEST_BACKEND=postgres`) rather than SQLite.
pub fn backend_is_postgres() -> bool {
    match std::env::var("FAULTLINE_TEST_BACKEND").as_deref() {
        Ok("postgres") | Ok("postgresql") => true,
        Ok("sqlite") | Ok("") | Err(_) => false,
        Ok(other) => panic!("FAULTLINE_TEST_BACKEND must be sqlite or postgres, not {other}"),
    }
}

/// One test's database: a temporary data directory, and on PostgreSQL a uniquely named database
/// (dropped with this value, also when the test fails).
pub struct TestDatabase {
    /// The PostgreSQL database, when tests run on PostgreSQL.
    pub postgres: Option<ScratchDatabase>,
    dir: tempfile::TempDir,
}

impl TestDatabase {
    /// A fresh database on the test backend. Panics with a clear message when PostgreSQL is
    /// asked for and cannot be reached.
    pub fn fresh() -> Self {
        let postgres = backend_is_postgres().then(|| {
            ScratchDatabase::create_blocking(&scratch::test_server(), "it")
                .unwrap_or_else(|e| panic!("FAULTLINE_TEST_BACKEND=postgres: {e}"))
        });
        TestDatabase {
            postgres,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A fresh PostgreSQL database whatever the test backend (for tests of several nodes).
    pub fn postgres() -> Self {
        let db = ScratchDatabase::create_blocking(&scratch::test_server(), "nodes")
            .unwrap_or_else(|e| panic!("this test needs PostgreSQL: {e}"));
        TestDatabase {
            postgres: Some(db),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The data directory (the SQLite database lives there).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The PostgreSQL URL, on PostgreSQL.
    pub fn url(&self) -> Option<&str> {
        self.postgres.as_ref().map(|p| p.url.as_str())
    }

    /// The environment a `faultline` child process needs to use this database.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![("FAULTLINE_DATA_DIR", self.path().display().to_string())];
        if let Some(url) = self.url() {
            env.push(("FAULTLINE_DATABASE_URL", url.to_owned()));
        }
        env
    }

    /// Opens a store on it (another "node" each call on PostgreSQL).
    pub async fn open(&self) -> Arc<dyn Store> {
        match self.url() {
            Some(url) => faultline_store::connect(url, 8)
                .await
                .unwrap_or_else(|e| panic!("cannot open the test database: {e}")),
            None => Arc::new(SqliteStore::open(self.path()).expect("open store")),
        }
    }
}
