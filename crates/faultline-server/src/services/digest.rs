//! The digest service: the single writer behind ingest.
//!
//! Ingest handlers submit a [`WriteBatch`] each and wait. The service takes everything queued
//! (up to `max_batch` events), writes it in ONE transaction, and only then answers every waiting
//! handler — group commit. While one batch commits, the next one gathers in the queue, so the
//! busier the server, the larger (and cheaper per event) the batches.
//!
//! Under load the writer also waits a little before it commits (`commit_delay`, like
//! PostgreSQL's `commit_delay`), but only while at least `commit_siblings` more requests are
//! expected within the delay: those already being processed, plus what the recent arrival rate
//! promises. An idle or moderately loaded server never waits. Most of a commit's cost is fixed
//! or per page written (the same issue, index and counter pages are written once for the whole
//! batch), so near saturation a few milliseconds of waiting buy far fewer writes per event.
//! With the defaults (3 ms, 20 requests) the writer waits once requests come faster than about
//! 6,700/s: in the closed-loop benchmark on 2 cores (about 9,500/s) batches grow from about 50
//! to about 100 events, while at 5,000/s it never waits. (With 5 it also waited at 5,000/s:
//! batches of 28 instead of 7 and 7–17 % less CPU, but twice the median latency.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    coming: Arc<AtomicUsize>,
}

/// A request on its way to the writer: counted from when its handler starts until its batch
/// is queued (or it fails), so the writer knows whether waiting for it is worth it.
pub struct Coming(Arc<AtomicUsize>);

impl Drop for Coming {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl DigestHandle {
    /// Announces a request that will probably submit a batch soon.
    pub fn coming(&self) -> Coming {
        self.coming.fetch_add(1, Ordering::AcqRel);
        Coming(self.coming.clone())
    }

    /// Queues a batch and waits until it is committed. Refuses at once when the queue is full.
    /// `coming` (the request's own announcement) ends once the batch is queued.
    pub async fn submit(
        &self,
        batch: WriteBatch,
        coming: Coming,
    ) -> Result<Vec<EventOutcome>, IngestError> {
        let n = batch.events.len() as u64;
        let depth = self.metrics.queue_depth.fetch_add(n, Ordering::AcqRel);
        if n > 0 && depth + n > self.capacity {
            self.metrics.queue_depth.fetch_sub(n, Ordering::AcqRel);
            Metrics::add(&self.metrics.rejected_overloaded, 1);
            return Err(IngestError::Overloaded);
        }
        let (reply, rx) = oneshot::channel();
        let sent = self.tx.try_send(Job { batch, reply });
        drop(coming);
        if let Err(e) = sent {
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

/// How the writer batches.
#[derive(Debug, Clone, Copy)]
pub struct Batching {
    /// Events that may wait in the queue before ingest answers 429.
    pub capacity: usize,
    /// Most events in one transaction.
    pub max_batch: usize,
    /// Longest wait for more requests before a commit (zero: never wait).
    pub commit_delay: Duration,
    /// The writer waits only while it expects at least this many more requests within the
    /// delay (PostgreSQL's `commit_siblings`).
    pub commit_siblings: usize,
}

/// Starts the digest service; it runs until every [`DigestHandle`] is dropped and the queue
/// is drained.
pub fn start(
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    batching: Batching,
) -> (DigestHandle, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(batching.capacity.max(1));
    let coming = Arc::new(AtomicUsize::new(0));
    let handle = DigestHandle {
        tx,
        metrics: metrics.clone(),
        capacity: batching.capacity as u64,
        coming: coming.clone(),
    };
    let task = tokio::spawn(run(store, metrics, rx, coming, batching));
    (handle, task)
}

/// A batch this large is committed without waiting for more.
const FULL_ENOUGH: usize = 512;

/// Longest single wait for the next request before the writer decides again whether to wait.
const RECHECK: Duration = Duration::from_millis(20);

/// How fast requests reach the writer: a count that decays with time constant [`Self::TAU`],
/// so it follows changes of load within a fraction of a second and is near zero after a
/// pause.
struct ArrivalRate {
    per_sec: f64,
    at: Instant,
}

impl ArrivalRate {
    /// Time constant, seconds.
    const TAU: f64 = 0.1;

    fn new(now: Instant) -> Self {
        ArrivalRate {
            per_sec: 0.0,
            at: now,
        }
    }

    /// Requests per second now.
    fn current(&self, now: Instant) -> f64 {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.per_sec * (-dt / Self::TAU).exp()
    }

    /// Counts a request that arrived now.
    fn observe(&mut self, now: Instant) {
        self.per_sec = self.current(now) + 1.0 / Self::TAU;
        self.at = now;
    }
}

/// Takes the queued jobs after `first`: everything waiting, and then, while the batch is small
/// and enough requests should arrive before the delay runs out (those already on their way,
/// plus what the recent arrival rate promises), whatever arrives in that time.
async fn gather(
    rx: &mut mpsc::Receiver<Job>,
    coming: &AtomicUsize,
    rate: &mut ArrivalRate,
    first: Job,
    batching: Batching,
) -> (Vec<Job>, usize) {
    let start = Instant::now();
    rate.observe(start);
    let deadline = start + batching.commit_delay;
    let max_batch = batching.max_batch.max(1);
    let mut events = first.batch.events.len();
    let mut jobs = vec![first];
    while events < max_batch {
        let job = match rx.try_recv() {
            Ok(job) => job,
            Err(_) => {
                let now = Instant::now();
                if events >= FULL_ENOUGH || now >= deadline {
                    break;
                }
                // Only a busy server waits: a few requests expected (moderate load) are not
                // worth delaying every commit for. (The rate says little about more than its
                // own time constant ahead.)
                let left = (deadline - now).as_secs_f64().min(ArrivalRate::TAU);
                let expected = coming.load(Ordering::Acquire) as f64 + rate.current(now) * left;
                if expected < batching.commit_siblings.max(1) as f64 {
                    break;
                }
                // Waits in short steps, so that the expectation is looked at again when
                // requests stop coming.
                let step = (deadline - now).min(RECHECK);
                match tokio::time::timeout(step, rx.recv()).await {
                    Ok(Some(job)) => job,
                    Ok(None) => break,
                    Err(_) => continue,
                }
            }
        };
        rate.observe(Instant::now());
        events += job.batch.events.len();
        jobs.push(job);
    }
    (jobs, events)
}

async fn run(
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    mut rx: mpsc::Receiver<Job>,
    coming: Arc<AtomicUsize>,
    batching: Batching,
) {
    let mut rate = ArrivalRate::new(Instant::now());
    while let Some(first) = rx.recv().await {
        let (jobs, events) = gather(&mut rx, &coming, &mut rate, first, batching).await;
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

/// How long after a project's dictionary appears its older payloads are compressed again:
/// events compressed just before it may still be on their way to the writer.
const SWEEP_AFTER: Duration = Duration::from_secs(1);

/// Trains payload dictionaries in the background as projects collect samples: as soon as a
/// project has collected them, and every 2 s (a shared database may hold dictionaries that
/// other nodes trained). Once a project has a dictionary, the payloads it stored before are
/// compressed again with it (once per project and process, [`SWEEP_AFTER`] after its
/// dictionary appeared).
pub fn start_dictionary_trainer(store: Arc<dyn Store>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        // When each project's dictionary was first seen; `None` once its sweep has started.
        let mut pending = std::collections::HashMap::new();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = store.codec().samples_ready() => {}
            }
            let started = Instant::now();
            match store.train_dictionaries().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    n,
                    ms = started.elapsed().as_millis() as u64,
                    "trained payload dictionaries"
                ),
                Err(e) => tracing::warn!(error = %e, "dictionary training failed"),
            }
            for project in store.codec().projects_with_dictionary() {
                let first_seen = pending
                    .entry(project)
                    .or_insert_with(|| Some(Instant::now()));
                if first_seen.is_some_and(|t| t.elapsed() >= SWEEP_AFTER) {
                    *first_seen = None;
                    // On its own task: a sweep can take a while, and must not hold up the
                    // training of other projects.
                    tokio::spawn(sweep(store.clone(), project));
                }
            }
        }
    })
}

/// Compresses again the payloads `project` stored before its dictionary, and says how many.
async fn sweep(store: Arc<dyn Store>, project: faultline_store::ProjectId) {
    match faultline_store::recompress_plain_payloads(&*store, project).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            project = project.0,
            n,
            "payloads stored before the dictionary compressed with it"
        ),
        Err(e) => tracing::warn!(error = %e, "compressing payloads again failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_store::sqlite::SqliteStore;
    use faultline_store::{LazyText, NewEvent, ProjectId};

    struct Scratch(std::path::PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const SIBLINGS: usize = 16;

    /// A fresh SQLite store in a directory removed when the [`Scratch`] is dropped.
    fn scratch_store() -> (Scratch, SqliteStore) {
        let dir = std::env::temp_dir().join(format!(
            "faultline-digest-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let store = SqliteStore::open(&dir).unwrap();
        (Scratch(dir), store)
    }

    async fn writer(delay: Duration) -> (Scratch, DigestHandle, Arc<Metrics>, ProjectId) {
        let (scratch, store) = scratch_store();
        let project = store.bootstrap().await.unwrap().project.id;
        let metrics = Arc::new(Metrics::default());
        let batching = Batching {
            capacity: 100,
            max_batch: 100,
            commit_delay: delay,
            commit_siblings: SIBLINGS,
        };
        let (handle, _task) = start(Arc::new(store), metrics.clone(), batching);
        (scratch, handle, metrics, project)
    }

    fn one_event(project: ProjectId, n: u64) -> WriteBatch {
        let mut batch = WriteBatch::default();
        batch.events.push(NewEvent {
            project_id: project,
            event_id: format!("{n:032x}"),
            hashes: vec!["h".into()],
            grouping_version: "v".into(),
            grouping_variant: "default".into(),
            grouping_components: LazyText::ready("{}"),
            title: "E".into(),
            culprit: String::new(),
            kind: "caught".into(),
            level: "error".into(),
            platform: "python".into(),
            metadata: "{}".into(),
            timestamp: 1.0e9,
            received: 1.0e9,
            release: None,
            environment: None,
            user_key: None,
            trace_id: None,
            tags: Vec::new(),
            payload: b"{}".to_vec(),
            payload_dict: None,
            attachments: Vec::new(),
        });
        batch
    }

    /// The trainer trains a project's dictionary once it has its samples, then compresses
    /// again, with it, the payloads the project stored before.
    #[tokio::test]
    async fn trainer_compresses_earlier_payloads_again_with_the_new_dictionary() {
        let (_scratch, store) = scratch_store();
        let store: Arc<dyn Store> = Arc::new(store);
        let p = store.bootstrap().await.unwrap().project.id;
        let samples = faultline_store::codec::TRAIN_SAMPLES as u64;
        let mut batch = WriteBatch::default();
        for n in 0..samples {
            let mut ev = one_event(p, n).events.remove(0);
            let raw = format!(
                r#"{{"event_id":"{n:032x}","message":"payment {n} failed","platform":"python","level":"error"}}"#
            );
            let c = store.codec().compress(p, raw.as_bytes()).unwrap();
            (ev.payload, ev.payload_dict) = (c.data, c.dict_id);
            batch.events.push(ev);
        }
        store.write_batch(batch).await.unwrap();
        let plain = store.plain_payloads(p, 0, 10_000).await.unwrap();
        assert_eq!(plain.len() as u64, samples);
        let trainer = start_dictionary_trainer(store.clone());
        let t = Instant::now();
        while !store.plain_payloads(p, 0, 10_000).await.unwrap().is_empty() {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "payloads still stored without a dictionary"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        trainer.abort();
        assert!(store.codec().has_current(p));
        let e = store
            .event_by_id(p, &format!("{:032x}", 7))
            .await
            .unwrap()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&e.payload).unwrap();
        assert_eq!(v["message"], "payment 7 failed");
    }

    #[tokio::test]
    async fn a_lone_request_is_committed_without_waiting() {
        let (_dir, digest, metrics, p) = writer(Duration::from_secs(30)).await;
        let t = Instant::now();
        let coming = digest.coming();
        let out = digest.submit(one_event(p, 1), coming).await.unwrap();
        assert!(matches!(out[0], EventOutcome::Stored { .. }));
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        assert_eq!(metrics.batches.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn requests_on_their_way_share_one_commit() {
        let (_dir, digest, metrics, p) = writer(Duration::from_secs(30)).await;
        let t = Instant::now();
        let (a, b, c) = (digest.coming(), digest.coming(), digest.coming());
        let mut others: Vec<Coming> = (0..SIBLINGS - 2).map(|_| digest.coming()).collect();
        // A is queued while B, C and the others are still on their way: the writer waits.
        let first = tokio::spawn({
            let digest = digest.clone();
            async move { digest.submit(one_event(p, 1), a).await }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!first.is_finished(), "A was committed without waiting");
        // Two give up; B joins A's batch, and with fewer than SIBLINGS left on their way (even
        // counting the arrival rate of A and B), the writer commits both.
        others.truncate(SIBLINGS - 4);
        let second = digest.submit(one_event(p, 2), b).await.unwrap();
        assert!(matches!(second[0], EventOutcome::Stored { .. }));
        assert!(matches!(
            first.await.unwrap().unwrap()[0],
            EventOutcome::Stored { .. }
        ));
        assert_eq!(metrics.batches.load(Ordering::Relaxed), 1);
        // C gets its own commit at once; requests that give up (their announcements dropped)
        // keep nobody waiting.
        drop(others);
        let third = digest.submit(one_event(p, 3), c).await.unwrap();
        assert!(matches!(third[0], EventOutcome::Stored { .. }));
        assert_eq!(metrics.batches.load(Ordering::Relaxed), 2);
        assert_eq!(metrics.events_stored.load(Ordering::Relaxed), 3);
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    }

    #[test]
    fn the_arrival_rate_follows_the_load_and_fades_after_it() {
        let t = Instant::now();
        let mut rate = ArrivalRate::new(t);
        // 5,000 requests per second for 300 ms.
        for i in 1..=1500u64 {
            rate.observe(t + Duration::from_micros(200 * i));
        }
        let end = t + Duration::from_millis(300);
        let now = rate.current(end);
        assert!((4_500.0..5_500.0).contains(&now), "{now}");
        // A second later it is as good as idle.
        assert!(rate.current(end + Duration::from_secs(1)) < 1.0);
    }

    #[tokio::test]
    async fn a_steady_stream_is_gathered_into_few_commits_and_a_pause_ends_the_waiting() {
        let (_dir, digest, metrics, p) = writer(Duration::from_secs(30)).await;
        // 100 requests, one every millisecond, each on its way only just before it is queued:
        // what makes the writer wait here is the rate at which they arrive.
        let mut sent = Vec::new();
        for n in 0..100 {
            let digest = digest.clone();
            sent.push(tokio::spawn(async move {
                let coming = digest.coming();
                digest.submit(one_event(p, n), coming).await
            }));
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let t = Instant::now();
        for s in sent {
            assert!(matches!(
                s.await.unwrap().unwrap()[0],
                EventOutcome::Stored { .. }
            ));
        }
        // Once the stream stops, the expected arrivals fade within about a second, far short
        // of the 30 s delay.
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
        // The first ~15 go alone while the rate builds up (its time constant is 100 ms); the
        // rest share a few commits.
        let batches = metrics.batches.load(Ordering::Relaxed);
        assert!(batches <= 30, "{batches} commits for 100 requests");
        assert_eq!(metrics.events_stored.load(Ordering::Relaxed), 100);
        // After a pause, a lone request is committed at once.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let t = Instant::now();
        let coming = digest.coming();
        digest.submit(one_event(p, 1000), coming).await.unwrap();
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        assert_eq!(metrics.batches.load(Ordering::Relaxed), batches + 1);
    }
}
