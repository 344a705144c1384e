//! How event payloads are kept on disk: zstd, with a dictionary per project once the project has
//! sent enough events to train one. A dictionary trained on a project's own events shrinks a
//! typical event several times further than plain zstd, because most of an event (SDK name,
//! module list, context keys, stack frames of the same code) repeats from event to event.
//!
//! Compression runs on the ingest side (in parallel, off the single writer); the codec only keeps
//! the trained dictionaries and the samples to train the next ones.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

use zstd::dict::{DecoderDictionary, EncoderDictionary};

use crate::error::{Result, StoreError};
use crate::model::ProjectId;

/// zstd level for payloads.
pub const LEVEL: i32 = 3;
/// zstd level for payloads of a project that has no dictionary yet. Without one, zstd builds
/// its entropy tables from each payload alone: a 6 KB Python event costs some three times the
/// instructions it costs with the dictionary, 281,000 at level 3 against 215,000 at level 1
/// (callgrind on `examples/pipeline`), for 3 % more bytes. Such payloads are compressed again
/// once the project's dictionary is trained (`recompress_plain_payloads`), and a project that
/// never gets one has few events.
pub const PLAIN_LEVEL: i32 = 1;
/// Samples collected before a project's dictionary is trained.
pub const TRAIN_SAMPLES: usize = 400;
/// Largest dictionary trained.
pub const DICT_SIZE: usize = 48 * 1024;
/// A project whose training gave no dictionary (or whose training another node took on and
/// never finished) collects samples again after this long.
const TRAINING_EXPIRES: std::time::Duration = std::time::Duration::from_secs(60);

/// A project's training samples.
enum Samples {
    /// Being collected.
    Collecting(Vec<Vec<u8>>),
    /// Handed to training at this moment: none are collected meanwhile, so a busy project is
    /// trained once, not once more for every batch of samples that arrives during training.
    Training(std::time::Instant),
}

/// A trained dictionary.
pub struct Dictionary {
    /// Its id in the store.
    pub id: i64,
    encoder: EncoderDictionary<'static>,
    decoder: DecoderDictionary<'static>,
}

impl Dictionary {
    /// Prepares a dictionary from its bytes.
    pub fn new(id: i64, bytes: &[u8]) -> Self {
        Dictionary {
            id,
            encoder: EncoderDictionary::copy(bytes, LEVEL),
            decoder: DecoderDictionary::copy(bytes),
        }
    }
}

/// Compresses and decompresses payloads; keeps dictionaries and training samples.
///
/// Dictionaries live for the rest of the process (one per project, trained once), which lets
/// every thread keep a ready compression context for them instead of building one per event.
#[derive(Default)]
pub struct Codec {
    current: RwLock<HashMap<ProjectId, &'static Dictionary>>,
    by_id: RwLock<HashMap<i64, &'static Dictionary>>,
    samples: Mutex<HashMap<ProjectId, Samples>>,
    /// Signalled when a project has collected [`TRAIN_SAMPLES`]: until its dictionary is
    /// trained, its payloads compress to about twice the size, at more CPU.
    samples_ready: tokio::sync::Notify,
}

/// A compressed payload and the dictionary it needs.
#[derive(Debug, Clone)]
pub struct Compressed {
    /// The bytes.
    pub data: Vec<u8>,
    /// Dictionary id, when one was used.
    pub dict_id: Option<i64>,
}

impl Codec {
    /// Registers a dictionary (loaded from the store or just trained).
    pub fn install(&self, project: ProjectId, dict: Dictionary, current: bool) {
        if self.has_dict(dict.id) {
            return;
        }
        let dict: &'static Dictionary = Box::leak(Box::new(dict));
        if let Ok(mut by_id) = self.by_id.write() {
            by_id.insert(dict.id, dict);
        }
        if current {
            if let Ok(mut cur) = self.current.write() {
                cur.insert(project, dict);
            }
            if let Ok(mut samples) = self.samples.lock() {
                samples.remove(&project);
            }
        }
    }

    /// Whether the project compresses with a dictionary already.
    pub fn has_current(&self, project: ProjectId) -> bool {
        self.current
            .read()
            .map(|m| m.contains_key(&project))
            .unwrap_or(false)
    }

    /// The projects that compress with a dictionary.
    pub fn projects_with_dictionary(&self) -> Vec<ProjectId> {
        self.current
            .read()
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Whether a dictionary with this id is loaded.
    pub fn has_dict(&self, id: i64) -> bool {
        self.by_id
            .read()
            .map(|m| m.contains_key(&id))
            .unwrap_or(false)
    }

    /// Compresses one payload with the project's current dictionary, if it has one; otherwise
    /// keeps the payload as a training sample.
    pub fn compress(&self, project: ProjectId, raw: &[u8]) -> Result<Compressed> {
        let dict = self
            .current
            .read()
            .ok()
            .and_then(|m| m.get(&project).copied());
        match dict {
            Some(dict) => {
                let data = with_compressor(dict, |c| c.compress(raw))
                    .map_err(|e| StoreError::Database(format!("zstd: {e}")))?;
                Ok(Compressed {
                    data,
                    dict_id: Some(dict.id),
                })
            }
            None => {
                if let Ok(mut samples) = self.samples.lock() {
                    let s = samples
                        .entry(project)
                        .or_insert_with(|| Samples::Collecting(Vec::new()));
                    if matches!(s, Samples::Training(since) if since.elapsed() > TRAINING_EXPIRES) {
                        *s = Samples::Collecting(Vec::new());
                    }
                    if let Samples::Collecting(s) = s {
                        if s.len() < TRAIN_SAMPLES && raw.len() < 256 * 1024 {
                            s.push(raw.to_vec());
                            if s.len() == TRAIN_SAMPLES {
                                // Kept until someone waits, when no one does yet.
                                self.samples_ready.notify_one();
                            }
                        }
                    }
                }
                let data = PLAIN_COMPRESSOR
                    .with(|cell| {
                        let mut slot = cell.borrow_mut();
                        if slot.is_none() {
                            *slot = Some(zstd::bulk::Compressor::new(PLAIN_LEVEL)?);
                        }
                        match slot.as_mut() {
                            Some(c) => c.compress(raw),
                            None => Err(std::io::Error::other("no compressor")),
                        }
                    })
                    .map_err(|e| StoreError::Database(format!("zstd: {e}")))?;
                Ok(Compressed {
                    data,
                    dict_id: None,
                })
            }
        }
    }

    /// Returns when some project has collected enough samples to train its dictionary (at
    /// once, when one has since the last call).
    pub async fn samples_ready(&self) {
        self.samples_ready.notified().await;
    }

    /// Takes the samples of every project that has enough to train a dictionary.
    pub fn take_ready_samples(&self) -> Vec<(ProjectId, Vec<Vec<u8>>)> {
        let Ok(mut samples) = self.samples.lock() else {
            return Vec::new();
        };
        let mut ready = Vec::new();
        for (project, s) in samples.iter_mut() {
            if matches!(s, Samples::Collecting(v) if v.len() >= TRAIN_SAMPLES) {
                let taken = std::mem::replace(s, Samples::Training(std::time::Instant::now()));
                if let Samples::Collecting(v) = taken {
                    ready.push((*project, v));
                }
            }
        }
        ready
    }

    /// Trains a dictionary from samples; `None` when zstd finds nothing worth a dictionary.
    ///
    /// Training takes 100–200 ms of one core. It runs on a thread of its own that only gets
    /// CPU time nothing else wants (see [`lower_priority`]), and, if that has not been enough
    /// after [`TRAINING_PATIENCE`], on a second thread at the caller's priority as well: the
    /// first to finish gives the dictionary.
    pub fn train(samples: Vec<Vec<u8>>) -> Option<Vec<u8>> {
        let train = move || zstd::dict::from_samples(&samples, DICT_SIZE).ok();
        idle_first(TRAINING_PATIENCE, std::sync::Arc::new(train)).flatten()
    }

    /// Decompresses a payload into its JSON text (a packed payload, see [`crate::packed`], is
    /// converted; JSON is returned as it was stored).
    pub fn decompress(&self, data: &[u8], dict_id: Option<i64>) -> Result<Vec<u8>> {
        let raw = self.decompress_stored(data, dict_id)?;
        if crate::packed::is_packed(&raw) {
            crate::packed::to_json(&raw).map_err(|e| StoreError::Corrupt(e.to_string()))
        } else {
            Ok(raw)
        }
    }

    /// Decompresses a payload into the bytes that were compressed (packed or JSON).
    pub(crate) fn decompress_stored(&self, data: &[u8], dict_id: Option<i64>) -> Result<Vec<u8>> {
        const MAX: usize = 64 * 1024 * 1024;
        let dict = match dict_id {
            None => None,
            Some(id) => Some(
                self.by_id
                    .read()
                    .ok()
                    .and_then(|m| m.get(&id).copied())
                    .ok_or_else(|| StoreError::Corrupt(format!("dictionary {id} is missing")))?,
            ),
        };
        with_decompressor(dict, |d| d.decompress(data, MAX))
            .map_err(|e| StoreError::Corrupt(format!("zstd: {e}")))
    }
}

/// How long a training may run under `SCHED_IDLE` alone before a second one starts at the
/// caller's priority.
const TRAINING_PATIENCE: std::time::Duration = std::time::Duration::from_secs(1);

/// Runs `work` on a thread under [`lower_priority`]; if no result has come after `patience`,
/// runs it on a second thread at the caller's priority as well, and returns the first result
/// (`None` if both threads panicked). The slower thread is left to finish on its own.
///
/// Why two: `SCHED_IDLE` keeps a training from delaying ingest on a server that has idle time,
/// but a saturated one has none. There a training took 1.6–6.5 s under `SCHED_IDLE` alone,
/// 0.9–5.5 s with a second training at nice 19 after 1 s, and 1.2–1.4 s with one at normal
/// priority (closed loop at 3,700–7,200 events/s). Until it ends, the project's events are
/// stored without a dictionary, and each costs about three times the compression instructions
/// and twice the bytes: on a saturated server, far more CPU than the training itself. The
/// second thread starts over rather than raising the first one's policy from outside, which
/// `thread-priority` does not offer for another thread's nice value; what the first still does
/// takes only idle time.
fn idle_first<T: Send + 'static>(
    patience: std::time::Duration,
    work: std::sync::Arc<dyn Fn() -> T + Send + Sync>,
) -> Option<T> {
    use std::sync::mpsc;
    let (tx, rx) = mpsc::channel();
    let spawn = |set_priority: fn()| {
        let (work, tx) = (work.clone(), tx.clone());
        std::thread::Builder::new()
            .name("faultline-train".into())
            .spawn(move || {
                set_priority();
                let _ = tx.send(work());
            })
    };
    if spawn(lower_priority).is_err() {
        // No thread to be had: work here.
        return Some(work());
    }
    // (No disconnection while `tx` is held here: a first thread that panicked shows as a
    // timeout, and the second one tries again.)
    if let Ok(v) = rx.recv_timeout(patience) {
        return Some(v);
    }
    let _ = spawn(|| {});
    drop(tx);
    rx.recv().ok()
}

/// Makes the calling thread run only on a core nothing else wants: Linux's `SCHED_IDLE`
/// policy, under which any other thread that wakes takes the core at once. At nice 19, the
/// lowest nice value, it still took its share from ingest: at 5,000 events/s on a 2-core
/// server, the 100–200 ms of a training showed as 140–382 requests slower than 25 ms in 3 runs
/// of 4; with `SCHED_IDLE`, 0–4 in 3 of 4 (and 132 in one). Choosing the policy by how idle
/// the machine looked (`/proc/stat`) did worse on both counts. Nice 19 remains where the
/// policy cannot be set.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::unix::{
            set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy,
            ThreadSchedulePolicy,
        };
        let idle = set_thread_priority_and_policy(
            thread_native_id(),
            thread_priority::ThreadPriority::Min,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle),
        );
        if idle.is_err() {
            let _ = rustix::process::setpriority_process(None, 19);
        }
    }
}

thread_local! {
    /// This thread's compression context and the dictionary it is bound to.
    static COMPRESSOR: RefCell<Option<(i64, zstd::bulk::Compressor<'static>)>> = const { RefCell::new(None) };
    /// This thread's context for projects without a dictionary yet: a fresh context per payload
    /// allocates and zeroes about a megabyte, more than compressing a payload costs.
    static PLAIN_COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    /// This thread's decompression contexts, for payloads with a dictionary and for those
    /// without (see [`with_decompressor`]).
    static DICT_DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
    static PLAIN_DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

/// Runs `f` on one of this thread's decompression contexts: the one for payloads stored with a
/// dictionary, set to `dict`, or the one that never has a dictionary. A fresh context per
/// payload cost more than decompressing a small payload: creating one asks the CPU for its
/// features, which a virtual machine answers slowly (1 % of the server's CPU while a project's
/// early payloads were compressed again). Plain payloads get a context of their own because a
/// context keeps its last dictionary, and zstd may read a frame without a dictionary id with it.
fn with_decompressor<T>(
    dict: Option<&'static Dictionary>,
    f: impl FnOnce(&mut zstd::bulk::Decompressor<'static>) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let cell = if dict.is_some() {
        &DICT_DECOMPRESSOR
    } else {
        &PLAIN_DECOMPRESSOR
    };
    cell.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Decompressor::new()?);
        }
        let Some(d) = slot.as_mut() else {
            return Err(std::io::Error::other("no decompressor"));
        };
        if let Some(dict) = dict {
            d.set_prepared_dictionary(&dict.decoder)?;
        }
        f(d)
    })
}

fn with_compressor<T>(
    dict: &'static Dictionary,
    f: impl FnOnce(&mut zstd::bulk::Compressor<'static>) -> std::io::Result<T>,
) -> std::io::Result<T> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let reuse = matches!(&*slot, Some((id, _)) if *id == dict.id);
        if !reuse {
            *slot = Some((
                dict.id,
                zstd::bulk::Compressor::with_prepared_dictionary(&dict.encoder)?,
            ));
        }
        match slot.as_mut() {
            Some((_, c)) => f(c),
            None => Err(std::io::Error::other("no compressor")),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(i: usize) -> Vec<u8> {
        format!(
            r#"{{"event_id":"{i:032x}","platform":"python","sdk":{{"name":"sentry.python","version":"2.1"}},"exception":{{"values":[{{"type":"ValueError","value":"bad id {i}","stacktrace":{{"frames":[{{"function":"handler","module":"app.views","lineno":{}}}]}}}}]}}}}"#,
            i % 17
        )
        .into_bytes()
    }

    /// The trainer is woken by the sample that completes a project's set, not by its next
    /// tick; once per set.
    #[tokio::test]
    async fn samples_ready_wakes_when_a_project_has_collected_enough() {
        let codec = Codec::default();
        async fn woken(codec: &Codec) -> bool {
            let soon = std::time::Duration::from_millis(50);
            tokio::time::timeout(soon, codec.samples_ready())
                .await
                .is_ok()
        }
        for i in 0..TRAIN_SAMPLES - 1 {
            codec.compress(ProjectId(1), &sample(i)).unwrap();
            codec.compress(ProjectId(2), &sample(i)).unwrap();
        }
        assert!(
            !woken(&codec).await,
            "woken before any project had its samples"
        );
        codec.compress(ProjectId(1), &sample(0)).unwrap();
        assert!(woken(&codec).await, "not woken by the last sample");
        assert!(!woken(&codec).await, "woken twice for one set");
        codec.compress(ProjectId(1), &sample(1)).unwrap();
        assert!(!woken(&codec).await, "woken by a sample past the set");
        codec.compress(ProjectId(2), &sample(0)).unwrap();
        assert!(woken(&codec).await, "not woken for the second project");
        assert_eq!(codec.take_ready_samples().len(), 2);
    }

    /// Without a dictionary, payloads are compressed at the cheaper [`PLAIN_LEVEL`].
    #[test]
    fn payloads_without_a_dictionary_use_the_plain_level() {
        let raw: Vec<u8> = (0..60).flat_map(sample).collect();
        let at = |level| zstd::bulk::compress(&raw, level).unwrap();
        // The two levels give different bytes for this payload, so the check below tells them
        // apart.
        assert_ne!(at(PLAIN_LEVEL), at(LEVEL));
        let c = Codec::default().compress(ProjectId(1), &raw).unwrap();
        assert_eq!(c.dict_id, None);
        assert_eq!(c.data, at(PLAIN_LEVEL));
    }

    /// One thread's reused context reads payloads of two dictionaries and of none, in any
    /// order: each read uses the dictionary it is given, never the one used last.
    #[test]
    fn the_reused_decompressor_takes_each_payloads_own_dictionary() {
        let codec = Codec::default();
        let trained = |from: usize| {
            Codec::train((from..from + TRAIN_SAMPLES).map(sample).collect()).expect("trained")
        };
        codec.install(ProjectId(1), Dictionary::new(1, &trained(0)), true);
        codec.install(ProjectId(2), Dictionary::new(2, &trained(5000)), true);
        let raw = sample(12_345);
        let one = codec.compress(ProjectId(1), &raw).unwrap();
        let two = codec.compress(ProjectId(2), &raw).unwrap();
        let plain = zstd::bulk::compress(&raw, PLAIN_LEVEL).unwrap();
        assert_eq!((one.dict_id, two.dict_id), (Some(1), Some(2)));
        for _ in 0..2 {
            assert_eq!(codec.decompress(&one.data, Some(1)).unwrap(), raw);
            assert_eq!(codec.decompress(&plain, None).unwrap(), raw);
            assert_eq!(codec.decompress(&two.data, Some(2)).unwrap(), raw);
            assert_eq!(codec.decompress(&plain, None).unwrap(), raw);
        }
        // A payload read with the wrong dictionary, or with none, is an error, not garbage.
        assert!(codec.decompress(&one.data, Some(2)).is_err());
        assert!(codec.decompress(&one.data, None).is_err());
    }

    /// Packed payloads, with a dictionary and without, are read back as JSON text; what was
    /// stored stays packed (the sweep compresses those bytes again); JSON payloads stored
    /// before are read as they are.
    #[test]
    fn packed_payloads_are_read_as_json_and_json_payloads_as_stored() {
        let codec = Codec::default();
        let p = ProjectId(1);
        let event = |i: usize| {
            serde_json::json!({"event_id": format!("{i:032x}"), "message": format!("payment {i} failed"),
                "exception": {"values": [{"type": "E", "value": "boom", "stacktrace": {"frames": [
                    {"lineno": i, "vars": {"amount": -1.5, "ok": true, "none": null}}]}}]}})
        };
        let mut seen = Vec::new();
        for i in 0..TRAIN_SAMPLES {
            let packed = crate::packed::pack(&event(i), 0);
            seen.push((codec.compress(p, &packed).unwrap(), i, packed));
        }
        let ready = codec.take_ready_samples();
        let (_, samples) = ready.into_iter().next().expect("samples");
        codec.install(
            p,
            Dictionary::new(1, &Codec::train(samples).expect("dict")),
            true,
        );
        let packed = crate::packed::pack(&event(9999), 0);
        seen.push((codec.compress(p, &packed).unwrap(), 9999, packed));
        assert_eq!(seen.last().map(|(c, ..)| c.dict_id), Some(Some(1)));
        for (c, i, packed) in &seen {
            let json = codec.decompress(&c.data, c.dict_id).unwrap();
            assert_eq!(json, serde_json::to_vec(&event(*i)).unwrap());
            assert_eq!(
                &codec.decompress_stored(&c.data, c.dict_id).unwrap(),
                packed
            );
        }
        let json = serde_json::to_vec(&event(7)).unwrap();
        let stored = zstd::bulk::compress(&json, PLAIN_LEVEL).unwrap();
        assert_eq!(codec.decompress(&stored, None).unwrap(), json);
        // A damaged packed payload is reported as corrupt.
        let mut cut = crate::packed::pack(&event(1), 0);
        cut.truncate(cut.len() / 2);
        let stored = zstd::bulk::compress(&cut, PLAIN_LEVEL).unwrap();
        assert!(matches!(
            codec.decompress(&stored, None),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn plain_roundtrip_and_training_then_dictionary_roundtrip() {
        let codec = Codec::default();
        let p = ProjectId(1);
        for i in 0..TRAIN_SAMPLES {
            let c = codec.compress(p, &sample(i)).unwrap();
            assert_eq!(c.dict_id, None);
            assert_eq!(codec.decompress(&c.data, None).unwrap(), sample(i));
        }
        let ready = codec.take_ready_samples();
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].1.len(), TRAIN_SAMPLES);
        // While it trains, events still compress (without a dictionary) but are not kept as
        // samples: the project is not handed to training a second time.
        for i in 0..TRAIN_SAMPLES * 2 {
            let c = codec.compress(p, &sample(i)).unwrap();
            assert_eq!(c.dict_id, None);
        }
        assert!(codec.take_ready_samples().is_empty());
        let dict = Codec::train(ready[0].1.clone()).expect("trained");
        codec.install(p, Dictionary::new(7, &dict), true);
        let raw = sample(9999);
        let plain = zstd::bulk::compress(&raw, PLAIN_LEVEL).unwrap();
        let c = codec.compress(p, &raw).unwrap();
        assert_eq!(c.dict_id, Some(7));
        assert!(
            c.data.len() < plain.len(),
            "{} vs {}",
            c.data.len(),
            plain.len()
        );
        assert_eq!(codec.decompress(&c.data, Some(7)).unwrap(), raw);
        assert!(codec.decompress(&c.data, Some(8)).is_err());
        assert!(codec.samples.lock().unwrap().is_empty());
    }

    #[test]
    fn training_runs_at_a_low_priority_and_leaves_the_caller_as_it_was() {
        #[cfg(target_os = "linux")]
        {
            use thread_priority::unix::{
                thread_schedule_policy, NormalThreadSchedulePolicy, ThreadSchedulePolicy,
            };
            let before = thread_schedule_policy().unwrap();
            assert_ne!(
                before,
                ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle)
            );
            let samples: Vec<Vec<u8>> = (0..TRAIN_SAMPLES).map(sample).collect();
            assert!(Codec::train(samples).is_some());
            assert_eq!(thread_schedule_policy().unwrap(), before);
            let seen = std::thread::scope(|s| {
                s.spawn(|| {
                    lower_priority();
                    thread_schedule_policy().unwrap()
                })
                .join()
                .unwrap()
            });
            assert_eq!(
                seen,
                ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle)
            );
        }
    }

    /// A training that gets no CPU time under `SCHED_IDLE` (here: one that waits) is raced,
    /// after the patience, by a second one at the caller's priority, whose result is returned;
    /// a quick one runs once.
    #[test]
    fn a_training_that_gets_no_cpu_is_raced_by_one_at_the_callers_priority() {
        #[cfg(target_os = "linux")]
        {
            use std::sync::atomic::{AtomicUsize, Ordering};
            use std::sync::{Arc, Mutex};
            use std::time::{Duration, Instant};
            use thread_priority::unix::{
                thread_schedule_policy, NormalThreadSchedulePolicy, ThreadSchedulePolicy,
            };

            let calls = Arc::new(AtomicUsize::new(0));
            let c = calls.clone();
            let quick = idle_first(
                Duration::from_secs(5),
                Arc::new(move || c.fetch_add(1, Ordering::SeqCst)),
            );
            assert_eq!(quick, Some(0));
            std::thread::sleep(Duration::from_millis(100));
            assert_eq!(
                calls.load(Ordering::SeqCst),
                1,
                "a quick training ran twice"
            );

            // The first call waits until the test ends (10 s at most, so that without a second
            // training the test fails instead of hanging); the second reports how it runs.
            let (release, stalled) = std::sync::mpsc::channel::<()>();
            let stalled = Mutex::new(stalled);
            let calls = AtomicUsize::new(0);
            let work = move || {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                if n == 0 {
                    let _ = stalled
                        .lock()
                        .unwrap()
                        .recv_timeout(Duration::from_secs(10));
                }
                let nice = rustix::process::getpriority_process(None).unwrap();
                (n, thread_schedule_policy().unwrap(), nice)
            };
            let patience = Duration::from_millis(200);
            let t = Instant::now();
            let (n, policy, nice) = idle_first(patience, Arc::new(work)).unwrap();
            assert!(t.elapsed() >= patience);
            assert_eq!(n, 1, "the result of the second training");
            assert_eq!(policy, thread_schedule_policy().unwrap());
            assert_ne!(
                policy,
                ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle)
            );
            assert_eq!(nice, rustix::process::getpriority_process(None).unwrap());
            drop(release);
        }
    }
}
