//! DSN keys, cached in memory so ingest never waits on the database to authenticate, and the
//! per-key rate limits counted here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use faultline_protocol::scrub::ScrubConfig;
use faultline_store::{ProjectId, ProjectKey, Store};

use crate::error::IngestError;

/// How long a found key is trusted before it is read again (revocations and new limits show
/// up within this time).
const POSITIVE_TTL: Duration = Duration::from_secs(10);
/// How long an unknown key is remembered as unknown.
const NEGATIVE_TTL: Duration = Duration::from_secs(2);
/// Most keys remembered.
const MAX_ENTRIES: usize = 50_000;

/// What ingest needs to know about a key.
pub struct KeyInfo {
    /// The key.
    pub key: ProjectKey,
    /// Its project's scrubbing settings.
    pub scrub: ScrubConfig,
    window: Mutex<(Instant, u32)>,
}

impl KeyInfo {
    /// The project this key sends to.
    pub fn project_id(&self) -> ProjectId {
        self.key.project_id
    }

    /// Counts `n` events against the key's rate limit.
    pub fn check_rate(&self, n: u32) -> Result<(), IngestError> {
        let (Some(limit), Some(window)) = (self.key.rate_limit_count, self.key.rate_limit_window)
        else {
            return Ok(());
        };
        if n == 0 {
            return Ok(());
        }
        let window = Duration::from_secs(u64::from(window.max(1)));
        let Ok(mut w) = self.window.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        if now.duration_since(w.0) >= window {
            *w = (now, 0);
        }
        if w.1.saturating_add(n) > limit {
            let left = window.saturating_sub(now.duration_since(w.0));
            return Err(IngestError::RateLimited {
                retry_after: left.as_secs_f64().ceil().max(1.0) as u64,
            });
        }
        w.1 += n;
        Ok(())
    }
}

struct Entry {
    info: Option<Arc<KeyInfo>>,
    loaded: Instant,
}

/// The key cache.
pub struct KeyCache {
    store: Arc<dyn Store>,
    entries: RwLock<HashMap<String, Entry>>,
}

impl KeyCache {
    /// An empty cache over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        KeyCache {
            store,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The key with this public part, if it exists (active or not).
    pub async fn get(&self, public_key: &str) -> Result<Option<Arc<KeyInfo>>, IngestError> {
        if let Ok(entries) = self.entries.read() {
            if let Some(e) = entries.get(public_key) {
                let ttl = if e.info.is_some() {
                    POSITIVE_TTL
                } else {
                    NEGATIVE_TTL
                };
                if e.loaded.elapsed() < ttl {
                    return Ok(e.info.clone());
                }
            }
        }
        let unavailable = |e: faultline_store::StoreError| IngestError::Unavailable(e.to_string());
        let key = self
            .store
            .key_by_public(public_key)
            .await
            .map_err(unavailable)?;
        let info = match key {
            None => None,
            Some(key) => {
                let project = self
                    .store
                    .project(key.project_id)
                    .await
                    .map_err(unavailable)?;
                let scrub = project
                    .map(|p| ScrubConfig {
                        enabled: p.scrub_enabled,
                        extra_keys: p.scrub_extra_keys,
                    })
                    .unwrap_or_default();
                // Keep the running rate window across reloads of the same key.
                let window = self
                    .entries
                    .read()
                    .ok()
                    .and_then(|m| {
                        m.get(public_key)
                            .and_then(|e| e.info.as_ref().map(|i| i.window_state()))
                    })
                    .unwrap_or((Instant::now(), 0));
                Some(Arc::new(KeyInfo {
                    key,
                    scrub,
                    window: Mutex::new(window),
                }))
            }
        };
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= MAX_ENTRIES {
                entries.retain(|_, e| e.info.is_some() && e.loaded.elapsed() < POSITIVE_TTL);
            }
            entries.insert(
                public_key.to_owned(),
                Entry {
                    info: info.clone(),
                    loaded: Instant::now(),
                },
            );
        }
        Ok(info)
    }

    /// Forgets everything (after a key or project changed through this process).
    pub fn invalidate(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}

impl KeyInfo {
    fn window_state(&self) -> (Instant, u32) {
        self.window
            .lock()
            .map(|w| *w)
            .unwrap_or((Instant::now(), 0))
    }
}
