//! The Faultline server: ingest, the digest service, and the REST API, on axum.
//!
//! # The path of an event
//!
//! 1. An SDK POSTs an envelope to `/api/{project}/envelope/` ([`ingest::envelope`]). The handler
//!    reads the body under a size cap, authenticates the DSN key from memory
//!    ([`ingest::keys::KeyCache`]), decompresses with an output cap, and splits the envelope
//!    ([`faultline_protocol::envelope`]).
//! 2. Still in the request's task ([`ingest::process`]), each event is normalized and scrubbed
//!    of secrets ([`faultline_protocol::event`]), grouped ([`faultline_grouping`]) and its
//!    payload compressed. This is the CPU-heavy part and runs on every core at once.
//! 3. The handler submits its [`faultline_store::WriteBatch`] to the digest service
//!    ([`services::digest`]) through a bounded queue — full queue ⇒ 429 with `Retry-After` — and
//!    waits.
//! 4. The digest service takes everything queued, writes it in ONE transaction
//!    ([`faultline_store::Store::write_batch`]: issue upserts and counters, events, tags, hourly
//!    counts, agents, sessions), commits, and wakes every waiting handler.
//! 5. Only then does the handler answer `200 {"id": "…"}`. A 200 means the event is durable; a
//!    failed commit answers 503 and the SDK may send again.
//!
//! The read side serves the Sentry-shaped REST API under `/api/0/` ([`api`], authenticated with
//! API tokens or a signed-in session) and the web UI ([`web`], server-rendered pages).
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod api;
pub mod config;
pub mod error;
pub mod ingest;
pub mod metrics;
pub mod routes;
pub mod services;
pub mod state;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::Request;
use axum::ServiceExt;
use faultline_store::Store;
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

pub use config::{Limits, ServerConfig};

/// Unix seconds now: the one clock of ingest, the API and the pages.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// Binds the listening socket (port 0 picks a free port; see `local_addr`).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Serves until `shutdown` completes, then stops taking requests, lets the ones in flight finish
/// (each waits for its commit), drains the writer and returns.
pub async fn serve(
    listener: TcpListener,
    store: Arc<dyn Store>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics = Arc::new(metrics::Metrics::default());
    let (digest, digest_task) = services::digest::start(
        store.clone(),
        metrics.clone(),
        services::digest::Batching {
            capacity: config.queue_capacity,
            max_batch: config.max_batch,
            commit_delay: config.commit_delay,
            commit_siblings: config.commit_siblings,
        },
    );
    let trainer = services::digest::start_dictionary_trainer(store.clone());
    let upkeep = services::maintenance::start(store.clone());
    let state = state::AppState {
        login_throttle: Default::default(),
        keys: Arc::new(ingest::keys::KeyCache::new(store.clone())),
        store,
        digest,
        metrics,
        config: Arc::new(config),
    };
    let app = NormalizePathLayer::trim_trailing_slash().layer(routes::router(state));
    let result = axum::serve(
        listener,
        ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(app),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    trainer.abort();
    upkeep.abort();
    // Every handle to the digest service lived in the router, now dropped: it drains and stops.
    if let Err(e) = digest_task.await {
        tracing::error!(error = %e, "digest service failed");
    }
    result
}
