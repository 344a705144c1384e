//! The command line. Every subcommand takes `--data-dir` (env `FAULTLINE_DATA_DIR`) and works
//! whether or not a server is running on that data directory.

mod admin;
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
}

/// Opens the store of the data directory.
pub fn open_store(data: &DataArgs) -> anyhow::Result<Arc<dyn Store>> {
    let store = SqliteStore::open(&data.data_dir)
        .with_context(|| format!("cannot open the database in {}", data.data_dir.display()))?;
    Ok(Arc::new(store))
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Project(c) => admin::project(c).await,
            Command::Key(c) => admin::key(c).await,
            Command::Token(c) => admin::token(c).await,
        }
    })
}
