//! Throwaway databases for tests and tools: a uniquely named database on a PostgreSQL server,
//! dropped (connections and all) when the value goes away — also when a test panics.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio_postgres::NoTls;

use crate::error::{Result, StoreError};
use crate::redact;

/// The server tests use unless `FAULTLINE_TEST_POSTGRES` names another (its maintenance
/// database; trust authentication on loopback).
pub const DEFAULT_TEST_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database created for one test (or one test server) and dropped on drop.
#[derive(Debug)]
pub struct ScratchDatabase {
    /// URL of the new database.
    pub url: String,
    /// Its name.
    pub name: String,
    server: String,
}

/// The server URL tests use: `FAULTLINE_TEST_POSTGRES`, else [`DEFAULT_TEST_SERVER`].
pub fn test_server() -> String {
    std::env::var("FAULTLINE_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_TEST_SERVER.to_owned())
}

impl ScratchDatabase {
    /// Creates `faultline_<prefix>_<unique>` on the server at `server` (a URL of any database
    /// there, usually `postgres`).
    pub async fn create(server: &str, prefix: &str) -> Result<Self> {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "faultline_{}_{}_{}_{}",
            prefix
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase(),
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        admin_exec(server, &format!("CREATE DATABASE {name}")).await?;
        let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(server);
        Ok(ScratchDatabase {
            url: format!("{base}/{name}"),
            name,
            server: server.to_owned(),
        })
    }

    /// [`ScratchDatabase::create`] from synchronous code (runs on a thread of its own).
    pub fn create_blocking(server: &str, prefix: &str) -> Result<Self> {
        let (server, prefix) = (server.to_owned(), prefix.to_owned());
        on_own_runtime(move || async move { Self::create(&server, &prefix).await })
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = on_own_runtime(move || async move {
            admin_exec(
                &server,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await
        });
        if let Err(e) = dropped {
            eprintln!("faultline: could not drop test database {}: {e}", self.name);
        }
    }
}

async fn admin_exec(server: &str, sql: &str) -> Result<()> {
    let (client, conn) = tokio_postgres::connect(server, NoTls).await.map_err(|e| {
        StoreError::Database(format!(
            "PostgreSQL is not reachable at {} ({e}); start it (.ci/run does) or point \
             FAULTLINE_TEST_POSTGRES at one",
            redact(server)
        ))
    })?;
    let task = tokio::spawn(conn);
    let out = client.batch_execute(sql).await;
    drop(client);
    let _ = task.await;
    Ok(out?)
}

/// Runs a future on a fresh runtime on its own thread (safe inside or outside a runtime).
fn on_own_runtime<T, F, Fut>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T>>,
{
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Database(format!("runtime: {e}")))?;
        rt.block_on(f())
    })
    .join()
    .map_err(|_| StoreError::Database("scratch database thread panicked".into()))?
}
