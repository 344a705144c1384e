//! Server settings, validated once at start.

use std::net::SocketAddr;

/// Size limits on ingest (Relay's defaults where they make sense for an error tracker).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body as received (compressed), in bytes.
    pub max_body: usize,
    /// Largest envelope after decompression.
    pub max_envelope: usize,
    /// Largest single event payload.
    pub max_event: usize,
    /// Largest single attachment kept.
    pub max_attachment: usize,
    /// Largest session / client report item.
    pub max_small_item: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 20 * 1024 * 1024,
            max_envelope: 100 * 1024 * 1024,
            max_event: 1024 * 1024,
            max_attachment: 10 * 1024 * 1024,
            max_small_item: 1024 * 1024,
        }
    }
}

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Base URL users and SDKs reach the server at (used in DSNs and links).
    pub public_url: String,
    /// Events that may wait for the writer before ingest answers 429.
    pub queue_capacity: usize,
    /// Most events written in one transaction.
    pub max_batch: usize,
    /// Near saturation, how long the writer may wait for more requests before it commits
    /// (larger batches, fewer page writes per event). Zero turns it off.
    pub commit_delay: std::time::Duration,
    /// The writer waits (`commit_delay`) only while it expects at least this many more
    /// requests within the delay (PostgreSQL's `commit_siblings`).
    pub commit_siblings: usize,
    /// Ingest limits.
    pub limits: Limits,
}

impl ServerConfig {
    /// Defaults for an address.
    pub fn new(listen: SocketAddr) -> Self {
        let host = if listen.ip().is_unspecified() {
            format!("127.0.0.1:{}", listen.port())
        } else {
            listen.to_string()
        };
        ServerConfig {
            listen,
            public_url: format!("http://{host}"),
            queue_capacity: 20_000,
            max_batch: 2_000,
            commit_delay: std::time::Duration::from_millis(3),
            commit_siblings: 20,
            limits: Limits::default(),
        }
    }
}
