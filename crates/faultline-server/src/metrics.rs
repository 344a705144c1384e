//! Counters exposed at `/metrics` in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Server counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Events answered with 200 (durable).
    pub events_accepted: AtomicU64,
    /// Events committed by the writer.
    pub events_stored: AtomicU64,
    /// Events dropped as duplicates of a stored event id.
    pub events_duplicate: AtomicU64,
    /// Events waiting for the writer.
    pub queue_depth: AtomicU64,
    /// Batches committed.
    pub batches: AtomicU64,
    /// Envelopes/store requests received.
    pub requests: AtomicU64,
    /// Requests refused with 4xx for bad input.
    pub rejected_invalid: AtomicU64,
    /// Requests refused for authentication.
    pub rejected_auth: AtomicU64,
    /// Requests refused by a key's rate limit.
    pub rejected_rate_limited: AtomicU64,
    /// Requests refused because the writer queue was full.
    pub rejected_overloaded: AtomicU64,
    /// Requests refused as too large.
    pub rejected_too_large: AtomicU64,
    /// Batches that failed to commit (their requests got 503).
    pub write_failures: AtomicU64,
}

impl Metrics {
    /// Adds `n` to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Renders the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let rows: [(&str, &str, &AtomicU64, &str); 12] = [
            (
                "faultline_events_accepted_total",
                "counter",
                &self.events_accepted,
                "Events acknowledged with 200.",
            ),
            (
                "faultline_events_stored_total",
                "counter",
                &self.events_stored,
                "Events committed to storage.",
            ),
            (
                "faultline_events_duplicate_total",
                "counter",
                &self.events_duplicate,
                "Events skipped as duplicates.",
            ),
            (
                "faultline_queue_depth",
                "gauge",
                &self.queue_depth,
                "Events waiting for the writer.",
            ),
            (
                "faultline_batches_total",
                "counter",
                &self.batches,
                "Group commits.",
            ),
            (
                "faultline_ingest_requests_total",
                "counter",
                &self.requests,
                "Ingest requests.",
            ),
            (
                "faultline_rejected_invalid_total",
                "counter",
                &self.rejected_invalid,
                "Ingest requests refused as invalid.",
            ),
            (
                "faultline_rejected_auth_total",
                "counter",
                &self.rejected_auth,
                "Ingest requests refused for auth.",
            ),
            (
                "faultline_rejected_rate_limited_total",
                "counter",
                &self.rejected_rate_limited,
                "Ingest requests refused by rate limits.",
            ),
            (
                "faultline_rejected_overloaded_total",
                "counter",
                &self.rejected_overloaded,
                "Ingest requests refused while saturated.",
            ),
            (
                "faultline_rejected_too_large_total",
                "counter",
                &self.rejected_too_large,
                "Ingest requests refused as too large.",
            ),
            (
                "faultline_write_failures_total",
                "counter",
                &self.write_failures,
                "Batches that failed to commit.",
            ),
        ];
        for (name, kind, value, help) in rows {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        out
    }
}
