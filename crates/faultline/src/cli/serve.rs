//! `faultline serve`

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;
use faultline_server::ServerConfig;
use faultline_store::{Store, StoreError};
use rand::Rng;

use super::{open_store, DataArgs};

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "FAULTLINE_LISTEN", default_value = "127.0.0.1:8000")]
    listen: SocketAddr,
    /// Base URL users and SDKs reach this server at (default: http://<listen address>).
    #[arg(long, env = "FAULTLINE_PUBLIC_URL")]
    public_url: Option<String>,
    /// Events that may wait for the writer before ingest answers 429.
    #[arg(long, env = "FAULTLINE_QUEUE_CAPACITY", default_value_t = 20_000)]
    queue_capacity: usize,
    /// Near saturation, the longest the writer waits (milliseconds) for more requests before
    /// it commits: larger batches, fewer disk writes per event. 0 turns it off.
    #[arg(long, env = "FAULTLINE_COMMIT_DELAY_MS", default_value_t = 3)]
    commit_delay_ms: u64,
    /// The writer waits (--commit-delay-ms) only while it expects at least this many more
    /// requests within the delay (those being processed, and those the arrival rate promises).
    #[arg(long, env = "FAULTLINE_COMMIT_SIBLINGS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    commit_siblings: u64,
    #[command(flatten)]
    data: DataArgs,
}

/// Creates the first admin user on an empty database; prints a generated password once.
async fn ensure_admin(store: &dyn Store) -> anyhow::Result<()> {
    if store.count_users().await? > 0 {
        return Ok(());
    }
    let email = std::env::var("FAULTLINE_ADMIN_EMAIL").unwrap_or_else(|_| "admin@localhost".into());
    let (password, generated) = match std::env::var("FAULTLINE_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => {
            let mut bytes = [0u8; 12];
            rand::rng().fill(&mut bytes);
            (
                bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                true,
            )
        }
    };
    // argon2 works in about 19 MiB of memory: on a thread of its own, that memory goes back to
    // the system when the thread ends instead of staying in a worker's heap.
    let to_hash = password.clone();
    let hash = std::thread::spawn(move || faultline_server::web::auth::hash_password(&to_hash))
        .join()
        .map_err(|_| anyhow::anyhow!("cannot hash the admin password: the hashing thread failed"))?
        .map_err(|e| anyhow::anyhow!("cannot hash the admin password: {e}"))?;
    match store.create_user(&email, &hash, "admin").await {
        Ok(_) => {}
        // Another node sharing the database created it first.
        Err(StoreError::Conflict(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    if generated {
        println!("Admin user: {email}  password: {password}  (shown once; set FAULTLINE_ADMIN_PASSWORD to choose it)");
    } else {
        println!("Admin user: {email}");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight and draining the writer");
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let store = open_store(&args.data).await?;
    let boot = store.bootstrap().await?;
    ensure_admin(store.as_ref()).await?;
    let listener = faultline_server::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let mut config = ServerConfig::new(addr);
    if let Some(url) = args.public_url {
        config.public_url = url.trim_end_matches('/').to_owned();
    }
    config.queue_capacity = args.queue_capacity;
    config.commit_delay = std::time::Duration::from_millis(args.commit_delay_ms);
    config.commit_siblings = args.commit_siblings as usize;
    println!(
        "Faultline {} listening on {}",
        env!("CARGO_PKG_VERSION"),
        config.public_url
    );
    println!("UI: {}/", config.public_url);
    println!("Data: {}", args.data.describe());
    println!("DSN: {}", boot.key.dsn(&config.public_url));
    faultline_server::serve(listener, store, config, shutdown_signal()).await?;
    Ok(())
}
