//! The one state every handler shares.

use std::sync::Arc;

use faultline_store::Store;

use crate::config::ServerConfig;
use crate::ingest::keys::KeyCache;
use crate::metrics::Metrics;
use crate::services::digest::DigestHandle;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// DSN keys in memory.
    pub keys: Arc<KeyCache>,
    /// The writer.
    pub digest: DigestHandle,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Settings.
    pub config: Arc<ServerConfig>,
    /// Failed sign-ins per email, to slow down password guessing.
    pub login_throttle: Arc<crate::web::auth::LoginThrottle>,
}
