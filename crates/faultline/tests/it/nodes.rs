//! Several `faultline serve` nodes on one PostgreSQL database: ingest can hit any node, and
//! concurrent events of one issue on both nodes end as one issue with the exact count — nothing
//! lost, nothing doubled.

use std::collections::HashSet;
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use faultline_testkit::{envelope_with_event, TestDatabase};
use serde_json::Value;

use crate::cli::{last_line, run, ServeProcess};
use crate::python_event;

struct Node {
    url: String,
    envelope: String,
    auth: String,
}

fn send(http: &reqwest::blocking::Client, node: &Node, event: &Value) -> bool {
    http.post(&node.envelope)
        .header("X-Sentry-Auth", &node.auth)
        .body(envelope_with_event(event))
        .send()
        .map(|r| r.status() == 200)
        .unwrap_or(false)
}

#[test]
fn two_nodes_one_database_one_issue_exact_counts() {
    let db = TestDatabase::postgres();
    // Both nodes start at once on the empty database: migrations and bootstrap happen once.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| ServeProcess::start(&db, &[]));
        let b = s.spawn(|| ServeProcess::start(&db, &[]));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(a.key(), b.key(), "both nodes serve the one default project");
    let (project, key) = a.key();
    let (code, out, err) = run(&db, &["token", "create", "--name", "nodes"]);
    assert_eq!(code, 0, "{err}");
    let token = last_line(&out).to_owned();
    let nodes: Arc<Vec<Node>> = Arc::new(
        [&a, &b]
            .iter()
            .map(|s| Node {
                url: s.url.clone(),
                envelope: format!("{}/api/{project}/envelope/", s.url),
                auth: format!("Sentry sentry_key={key}, sentry_version=7"),
            })
            .collect(),
    );

    // Eight senders, each alternating between the nodes, all sending the same issue's events;
    // every round all of them also race to create a brand-new issue on both nodes at once.
    const SENDERS: usize = 8;
    const EVENTS: usize = 40;
    const ROUNDS: usize = 5;
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let race_acked = Arc::new(Mutex::new(vec![0usize; ROUNDS]));
    let barrier = Arc::new(Barrier::new(SENDERS));
    let mut threads = Vec::new();
    for t in 0..SENDERS {
        let (nodes, acked, race_acked, barrier) = (
            nodes.clone(),
            acked.clone(),
            race_acked.clone(),
            barrier.clone(),
        );
        threads.push(std::thread::spawn(move || {
            let http = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap();
            for i in 0..EVENTS {
                let ev = python_event("TwoNodeError", &format!("sender {t} event {i}"), 10);
                if send(&http, &nodes[(t + i) % 2], &ev) {
                    acked
                        .lock()
                        .unwrap()
                        .push(ev["event_id"].as_str().unwrap().into());
                }
                if i % (EVENTS / ROUNDS) == 0 {
                    let round = i / (EVENTS / ROUNDS);
                    barrier.wait();
                    let ev = python_event(&format!("RaceError{round}"), "new", 20);
                    if send(&http, &nodes[t % 2], &ev) {
                        race_acked.lock().unwrap()[round] += 1;
                    }
                }
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert_eq!(
        acked.len(),
        SENDERS * EVENTS,
        "every event was acknowledged"
    );

    // A few acknowledged events sent again, to the other node: stored once.
    let http = reqwest::blocking::Client::new();
    for id in acked.iter().take(10) {
        let mut ev = python_event("TwoNodeError", "again", 10);
        ev["event_id"] = Value::String(id.clone());
        assert!(send(&http, &nodes[1], &ev));
    }

    let list: Vec<Value> = http
        .get(format!(
            "{}/api/0/projects/default/default/issues/?query=",
            a.url
        ))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let hot: Vec<&Value> = list
        .iter()
        .filter(|i| i["metadata"]["type"] == "TwoNodeError")
        .collect();
    assert_eq!(
        hot.len(),
        1,
        "one issue for one fingerprint across nodes: {list:?}"
    );
    assert_eq!(
        hot[0]["count"].as_str().unwrap_or_default(),
        (SENDERS * EVENTS).to_string(),
        "the count is exactly the acknowledged events"
    );
    for round in 0..ROUNDS {
        let race: Vec<&Value> = list
            .iter()
            .filter(|i| i["metadata"]["type"] == format!("RaceError{round}"))
            .collect();
        assert_eq!(
            race.len(),
            1,
            "round {round}: one issue for a fingerprint born on both nodes"
        );
        let sent = race_acked.lock().unwrap()[round];
        assert_eq!(
            race[0]["count"].as_str().unwrap_or_default(),
            sent.to_string()
        );
    }
    // Every acknowledged event is there, once, whichever node is asked.
    let unique: HashSet<&String> = acked.iter().collect();
    assert_eq!(unique.len(), acked.len());
    for (n, id) in acked.iter().enumerate() {
        let node = &nodes[n % 2];
        let r = http
            .get(format!(
                "{}/api/0/projects/default/default/events/{id}/",
                node.url
            ))
            .bearer_auth(&token)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "event {id} missing on {}", node.url);
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(db.open());
    let stored = rt.block_on(store.count_events()).unwrap() as usize;
    let raced: usize = race_acked.lock().unwrap().iter().sum();
    assert_eq!(stored, acked.len() + raced, "nothing lost or doubled");
    drop((a, b));
}
