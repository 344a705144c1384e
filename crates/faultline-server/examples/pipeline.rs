//! Per-stage CPU cost of processing one event, over the benchmark corpus:
//! `cargo run --release -p faultline-server --example pipeline -- bench/corpus [iterations]`.
//!
//! Prints microseconds per event for envelope parsing, normalization (with scrubbing), grouping,
//! issue metadata, re-serialization and compression — the work each ingest request does before
//! it waits for the writer. Then the writer's cost per event, by batch size, unless `NO_WRITE` is
//! set (e.g. to count the processing instructions alone under callgrind).

use std::time::Instant;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use faultline_grouping::{group_event, issue_metadata, GroupingConfig};
use faultline_protocol::envelope::Envelope;
use faultline_protocol::event::{normalize_event, NormalizeOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "bench/corpus".into());
    let iterations: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
    let mut payloads: Vec<(String, Vec<u8>)> = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".envelope") {
            continue;
        }
        let bytes = std::fs::read(entry.path()).expect("read");
        let Ok(env) = Envelope::parse(&bytes) else {
            continue;
        };
        for item in env.items.iter().filter(|i| i.ty == "event") {
            payloads.push((name.clone(), item.payload.to_vec()));
        }
    }
    assert!(!payloads.is_empty(), "no event envelopes in {dir}");
    let opts = NormalizeOptions {
        received_at: 1_800_000_000.0,
        sent_at: None,
        event_id: None,
        fallback_event_id: "0123456789abcdef0123456789abcdef".into(),
        client_ip: Some("127.0.0.1".into()),
        scrub: Default::default(),
    };
    let config = GroupingConfig::default();
    let codec = faultline_store::codec::Codec::default();
    // Steady state: the project's dictionary is trained on its first events.
    if std::env::var("NO_DICT").is_err() {
        let project = faultline_store::ProjectId(1);
        let mut k = 0;
        while codec.take_ready_samples().is_empty() && k < 10_000 {
            let (_, p) = &payloads[k % payloads.len()];
            let ev = normalize_event(p, &opts).expect("normalize");
            let _ = codec.compress(project, &faultline_store::packed::pack(&ev.data, 0));
            k += 1;
        }
        let mut samples = Vec::new();
        for (_, p) in payloads
            .iter()
            .cycle()
            .take(faultline_store::codec::TRAIN_SAMPLES)
        {
            let ev = normalize_event(p, &opts).expect("normalize");
            samples.push(faultline_store::packed::pack(&ev.data, 0));
        }
        let dict = faultline_store::codec::Codec::train(samples).expect("dictionary");
        codec.install(
            project,
            faultline_store::codec::Dictionary::new(1, &dict),
            true,
        );
    }
    let mut t = [0f64; 5];
    let mut n = 0usize;
    let (mut zbytes, mut rawbytes) = (0usize, 0usize);
    for _ in 0..iterations {
        for (_, p) in &payloads {
            let a = Instant::now();
            let ev = normalize_event(p, &opts).expect("normalize");
            let b = Instant::now();
            let g = group_event(&ev.data, &config);
            let c = Instant::now();
            let m = issue_metadata(&ev.data);
            let d = Instant::now();
            let raw = faultline_store::packed::pack(&ev.data, p.len());
            let e = Instant::now();
            let z = codec
                .compress(faultline_store::ProjectId(1), &raw)
                .expect("zstd");
            zbytes += z.data.len();
            rawbytes += raw.len();
            let f = Instant::now();
            std::hint::black_box((g, m, z));
            for (slot, (x, y)) in t.iter_mut().zip([(a, b), (b, c), (c, d), (d, e), (e, f)]) {
                *slot += (y - x).as_secs_f64();
            }
            n += 1;
        }
    }
    let names = [
        "normalize+scrub",
        "group",
        "metadata",
        "serialize",
        "compress",
    ];
    let total: f64 = t.iter().sum();
    println!("{} events ({} distinct) from {dir}", n, payloads.len());
    for (name, secs) in names.iter().zip(t) {
        println!("  {name:<16} {:>8.1} µs/event", secs / n as f64 * 1e6);
    }
    println!("  {:<16} {:>8.1} µs/event", "total", total / n as f64 * 1e6);
    println!(
        "  payload {} → {} bytes per event compressed",
        rawbytes / n,
        zbytes / n
    );
    if std::env::var("NO_WRITE").is_err() {
        write_path(&payloads, &opts, &config);
    }
}

/// The writer's cost per event: batches of processed events committed to a fresh SQLite store.
fn write_path(payloads: &[(String, Vec<u8>)], opts: &NormalizeOptions, config: &GroupingConfig) {
    use faultline_store::{sqlite::SqliteStore, NewEvent, ProjectId, Store, WriteBatch};
    let dir = std::env::temp_dir().join(format!("faultline-pipeline-{}", std::process::id()));
    let store = SqliteStore::open(&dir).expect("store");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let project = rt
        .block_on(store.bootstrap())
        .expect("bootstrap")
        .project
        .id;
    let mut seq = 0u64;
    // Processed events with fresh ids, as the digest service receives them.
    let mut batch_of = |size: usize| {
        let mut batch = WriteBatch::default();
        for _ in 0..size {
            let (_, p) = &payloads[seq as usize % payloads.len()];
            seq += 1;
            let ev = normalize_event(p, opts).expect("normalize");
            let g = group_event(&ev.data, config);
            let m = issue_metadata(&ev.data);
            batch.events.push(NewEvent {
                project_id: ProjectId(project.0),
                // Random, like the ids SDKs make: each one lands on its own index page.
                event_id: uuid::Uuid::new_v4().simple().to_string(),
                hashes: g.hashes,
                grouping_version: g.version.into(),
                grouping_variant: g.variant,
                grouping_components: faultline_store::LazyText::ready("{}"),
                title: m.title,
                culprit: m.culprit,
                kind: m.kind.as_str().into(),
                level: ev.level.as_str().into(),
                platform: ev.platform,
                metadata: "{}".into(),
                timestamp: ev.timestamp,
                received: ev.timestamp,
                release: ev.release,
                environment: ev.environment,
                user_key: ev.user_key,
                trace_id: ev.trace_id,
                tags: ev.tags,
                payload: vec![7u8; 800],
                payload_dict: None,
                attachments: Vec::new(),
            });
        }
        batch
    };
    for batch_size in [5usize, 10, 25, 50, 100, 500] {
        // Warm up (indexes of a realistic size), then time only the writes.
        for _ in 0..(5000 / batch_size) {
            rt.block_on(store.write_batch(batch_of(batch_size)))
                .expect("write");
        }
        let prepared: Vec<WriteBatch> = (0..(2000 / batch_size).max(4))
            .map(|_| batch_of(batch_size))
            .collect();
        let count: usize = prepared.iter().map(|b| b.events.len()).sum();
        let io0 = wchar();
        let t = Instant::now();
        for b in prepared {
            rt.block_on(store.write_batch(b)).expect("write");
        }
        println!(
            "  write, batches of {batch_size:<4} {:>8.1} µs/event {:>8} bytes written/event",
            t.elapsed().as_secs_f64() / count as f64 * 1e6,
            (wchar() - io0) / count as u64
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Bytes this process has passed to write calls so far (WAL, checkpoints, database file).
fn wchar() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("wchar: "))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}
