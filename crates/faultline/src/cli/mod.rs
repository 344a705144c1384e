//! The command line. Every subcommand takes `--data-dir` (env `FAULTLINE_DATA_DIR`) or
//! `--database-url` (env `FAULTLINE_DATABASE_URL`, PostgreSQL) and works whether or not a server
//! is running on that database.

mod admin;
#[cfg(feature = "postgres")]
mod migrate;
mod serve;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use faultline_store::{sqlite::SqliteStore, Store};

/// Faultline: self-hosted error tracking for every Sentry SDK.
#[derive(Debug, Parser)]
#[command(name = "faultline", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives.
#[derive(Debug, Args, Clone)]
pub struct DataArgs {
    /// Directory of the embedded database.
    #[arg(
        long,
        env = "FAULTLINE_DATA_DIR",
        default_value = "./faultline-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// PostgreSQL database to use instead of the embedded SQLite one:
    /// postgres://user[:password]@host:port/db (several servers may share it).
    #[arg(long, env = "FAULTLINE_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Most connections this process opens to PostgreSQL.
    #[arg(
        long,
        env = "FAULTLINE_DATABASE_POOL",
        default_value_t = 16,
        global = true
    )]
    pub database_pool: usize,
}

impl DataArgs {
    /// Where the data lives, for messages (a database URL without its password).
    pub fn describe(&self) -> String {
        match &self.database_url {
            Some(url) => faultline_store::redact(url),
            None => self.data_dir.display().to_string(),
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(serve::ServeArgs),
    /// Manage projects.
    #[command(subcommand)]
    Project(admin::ProjectCommand),
    /// Manage DSN keys.
    #[command(subcommand)]
    Key(admin::KeyCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// Copy a whole SQLite installation into an empty PostgreSQL database.
    #[cfg(feature = "postgres")]
    Migrate(migrate::MigrateArgs),
}

/// Opens the store: PostgreSQL when a database URL is given, else SQLite in the data directory.
pub async fn open_store(data: &DataArgs) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(url) = &data.database_url {
        return faultline_store::connect(url, data.database_pool)
            .await
            .with_context(|| format!("cannot open the database {}", data.describe()));
    }
    let store = SqliteStore::open(&data.data_dir)
        .with_context(|| format!("cannot open the database in {}", data.data_dir.display()))?;
    Ok(Arc::new(store))
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    // Blocking work is SQLite (one writer, a few readers) and password hashing: a small pool is
    // plenty, and each extra thread costs a malloc arena of its own in the C libraries.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(32)
        .build()?;
    rt.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Project(c) => admin::project(c).await,
            Command::Key(c) => admin::key(c).await,
            Command::Token(c) => admin::token(c).await,
            #[cfg(feature = "postgres")]
            Command::Migrate(args) => migrate::run(args).await,
        }
    })
}
