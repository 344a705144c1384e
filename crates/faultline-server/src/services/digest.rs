//! The digest service: the single writer behind ingest.
//!
//! Ingest handlers submit a [`WriteBatch`] each and wait. The service takes everything queued
//! (up to `max_batch` events), writes it in ONE transaction, and only then answers every waiting
//! handler — group commit. While one batch commits, the next one gathers in the queue, so the
//! busier the server, the larger (and cheaper per event) the batches.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use faultline_store::{BatchOutcome, EventOutcome, Store, WriteBatch};
use tokio::sync::{mpsc, oneshot};

use crate::error::IngestError;
use crate::metrics::Metrics;

/// One handler's share of a batch.
struct Job {
    batch: WriteBatch,
    reply: oneshot::Sender<Result<Vec<EventOutcome>, String>>,
}

/// Where handlers submit their writes.
#[derive(Clone)]
pub struct DigestHandle {
    tx: mpsc::Sender<Job>,
    metrics: Arc<Metrics>,
    capacity: u64,
}

impl DigestHandle {
    /// Queues a batch and waits until it is committed. Refuses at once when the queue is full.
    pub async fn submit(&self, batch: WriteBatch) -> Result<Vec<EventOutcome>, IngestError> {
        let n = batch.events.len() as u64;
        let depth = self.metrics.queue_depth.fetch_add(n, Ordering::AcqRel);
        if n > 0 && depth + n > self.capacity {
            self.metrics.queue_depth.fetch_sub(n, Ordering::AcqRel);
            Metrics::add(&self.metrics.rejected_overloaded, 1);
            return Err(IngestError::Overloaded);
        }
        let (reply, rx) = oneshot::channel();
        if let Err(e) = self.tx.try_send(Job { batch, reply }) {
            self.metrics.queue_depth.fetch_sub(n, Ordering::AcqRel);
            Metrics::add(&self.metrics.rejected_overloaded, 1);
            return Err(match e {
                mpsc::error::TrySendError::Full(_) => IngestError::Overloaded,
                mpsc::error::TrySendError::Closed(_) => {
                    IngestError::Unavailable("the writer has stopped".into())
                }
            });
        }
        match rx.await {
            Ok(Ok(outcomes)) => Ok(outcomes),
            Ok(Err(e)) => Err(IngestError::Unavailable(e)),
            Err(_) => Err(IngestError::Unavailable(
                "the writer stopped before committing".into(),
            )),
        }
    }
}

/// Starts the digest service; it runs until every [`DigestHandle`] is dropped and the queue
/// is drained.
pub fn start(
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    capacity: usize,
    max_batch: usize,
) -> (DigestHandle, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let handle = DigestHandle {
        tx,
        metrics: metrics.clone(),
        capacity: capacity as u64,
    };
    let task = tokio::spawn(run(store, metrics, rx, max_batch.max(1)));
    (handle, task)
}

async fn run(
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    mut rx: mpsc::Receiver<Job>,
    max_batch: usize,
) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        let mut events = jobs[0].batch.events.len();
        while events < max_batch {
            match rx.try_recv() {
                Ok(job) => {
                    events += job.batch.events.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let mut merged = WriteBatch::default();
        let mut sizes = Vec::with_capacity(jobs.len());
        let mut replies = Vec::with_capacity(jobs.len());
        for job in jobs {
            sizes.push(job.batch.events.len());
            merged.extend(job.batch);
            replies.push(job.reply);
        }
        let result = store.write_batch(merged).await;
        metrics
            .queue_depth
            .fetch_sub(events as u64, Ordering::AcqRel);
        match result {
            Ok(BatchOutcome { events: outcomes }) => {
                let dups = outcomes
                    .iter()
                    .filter(|o| **o == EventOutcome::Duplicate)
                    .count() as u64;
                Metrics::add(&metrics.events_stored, events as u64 - dups);
                Metrics::add(&metrics.events_duplicate, dups);
                Metrics::add(&metrics.batches, 1);
                let mut rest = outcomes.into_iter();
                for (size, reply) in sizes.into_iter().zip(replies) {
                    let mine: Vec<EventOutcome> = rest.by_ref().take(size).collect();
                    let _ = reply.send(Ok(mine));
                }
            }
            Err(e) => {
                Metrics::add(&metrics.write_failures, 1);
                tracing::error!(error = %e, events, "batch failed to commit");
                for reply in replies {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
    }
    tracing::debug!("digest service drained and stopped");
}

/// Trains payload dictionaries in the background as projects collect samples.
pub fn start_dictionary_trainer(store: Arc<dyn Store>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        loop {
            tick.tick().await;
            match store.train_dictionaries().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(n, "trained payload dictionaries"),
                Err(e) => tracing::warn!(error = %e, "dictionary training failed"),
            }
        }
    })
}
