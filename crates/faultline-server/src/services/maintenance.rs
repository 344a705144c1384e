//! Periodic upkeep that must run once across nodes: bringing back ignored issues whose
//! ignore-until time has passed. Each round is claimed through [`Store::claim_job`], so with
//! several nodes on one database exactly one of them does it.

use std::sync::Arc;
use std::time::Duration;

use faultline_store::Store;

/// How often the upkeep runs.
pub const EVERY: Duration = Duration::from_secs(30);

/// Runs the upkeep every [`EVERY`] until aborted.
pub fn start(store: Arc<dyn Store>) -> tokio::task::JoinHandle<()> {
    let holder = format!("node-{}", uuid::Uuid::new_v4().simple());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = run_once(store.as_ref(), &holder).await {
                tracing::warn!(error = %e, "upkeep failed");
            }
        }
    })
}

/// One round: when this node wins the claim, reopens expired ignores; returns how many.
pub async fn run_once(store: &dyn Store, holder: &str) -> faultline_store::Result<u64> {
    if !store
        .claim_job("unignore_expired", holder, EVERY.as_secs_f64() * 0.9)
        .await?
    {
        return Ok(0);
    }
    let n = store.unignore_expired(crate::now()).await?;
    if n > 0 {
        tracing::info!(n, "ignored issues came back: their ignore time ended");
    }
    Ok(n)
}
