//! A `kill -9` under load loses no acknowledged event.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faultline_store::ProjectId;
use faultline_testkit::{envelope_with_event, TestDatabase};

use crate::cli::ServeProcess;
use crate::python_event;

#[test]
fn kill_dash_nine_under_load_loses_no_acknowledged_event() {
    let db = TestDatabase::fresh();
    let mut server = ServeProcess::start(&db, &[]);
    let (project, key) = server.key();
    let url = format!("{}/api/{project}/envelope/", server.url);
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for t in 0..8 {
        let (url, key, acked, stop) = (url.clone(), key.clone(), acked.clone(), stop.clone());
        workers.push(std::thread::spawn(move || {
            let http = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let ev = python_event("KillError", &format!("worker {t} event {i}"), i % 7);
                let r = http
                    .post(&url)
                    .header(
                        "X-Sentry-Auth",
                        format!("Sentry sentry_key={key}, sentry_version=7"),
                    )
                    .body(envelope_with_event(&ev))
                    .send();
                match r {
                    Ok(r) if r.status() == 200 => acked
                        .lock()
                        .unwrap()
                        .push(ev["event_id"].as_str().unwrap().to_owned()),
                    Ok(_) => {}
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        }));
    }
    // Let it take load, then kill it without warning.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while acked.lock().unwrap().len() < 300 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 300,
        "only {} events were acknowledged before the kill",
        acked.len()
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(db.open());
    let project = ProjectId(project.parse().unwrap());
    let missing: Vec<&String> = rt.block_on(async {
        let mut missing = Vec::new();
        for id in &acked {
            if store.event_by_id(project, id).await.unwrap().is_none() {
                missing.push(id);
            }
        }
        missing
    });
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged events lost: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
    // The counters agree with the rows: the issue counted every stored event once.
    let stored = rt.block_on(store.count_events()).unwrap();
    let issues = rt
        .block_on(store.list_issues(&faultline_store::IssueQuery {
            limit: 100,
            ..Default::default()
        }))
        .unwrap();
    let counted: i64 = issues.iter().map(|i| i.times_seen).sum();
    assert_eq!(counted as u64, stored);
    eprintln!(
        "acknowledged {} events before SIGKILL; all {} found after restart ({stored} stored)",
        acked.len(),
        acked.len()
    );
}
