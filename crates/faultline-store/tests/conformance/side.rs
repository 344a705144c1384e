//! Agents (SDK instances), sessions, client reports, and claimed background jobs.

use faultline_store::batch::{AgentSeen, DiscardUpdate, SessionUpdate};
use faultline_store::{ProjectId, WriteBatch};

use crate::Db;

fn agent(p: ProjectId, host: &str, release: &str) -> AgentSeen {
    AgentSeen {
        project_id: p,
        environment: "production".into(),
        server_name: host.into(),
        sdk_name: "sentry.python".into(),
        sdk_version: "2.40.0".into(),
        release: release.into(),
    }
}

pub async fn agents_merge_hosted_and_hostless(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let side = |agents: Vec<(AgentSeen, f64)>| WriteBatch {
        agents,
        ..Default::default()
    };
    // Seen without a host first (a session), then with one: the named row supersedes it.
    store
        .write_batch(side(vec![(agent(p, "", "1.0"), 100.0)]))
        .await
        .unwrap();
    assert_eq!(store.list_agents(Some(p)).await.unwrap().len(), 1);
    store
        .write_batch(side(vec![
            (agent(p, "web-1", "1.0"), 200.0),
            (agent(p, "web-1", "1.0"), 150.0),
            (agent(p, "web-2", "1.0"), 120.0),
        ]))
        .await
        .unwrap();
    let agents = store.list_agents(Some(p)).await.unwrap();
    let hosts: Vec<&str> = agents.iter().map(|a| a.server_name.as_str()).collect();
    assert_eq!(hosts, ["web-1", "web-2"], "most recently seen first");
    assert_eq!((agents[0].first_seen, agents[0].last_seen), (200.0, 200.0));
    // A host-less sighting refreshes the hosted rows instead of adding one.
    store
        .write_batch(side(vec![(agent(p, "", "1.0"), 300.0)]))
        .await
        .unwrap();
    let agents = store.list_agents(None).await.unwrap();
    assert_eq!(agents.len(), 2);
    assert!(agents.iter().all(|a| a.last_seen == 300.0));
    assert_eq!(agents[0].sdk_name, "sentry.python");
    assert_eq!(agents[0].environment, "production");
    assert!(store
        .list_agents(Some(ProjectId(4242)))
        .await
        .unwrap()
        .is_empty());
}

pub async fn sessions_and_discards_add_up(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let session = |started: f64, total: u64, crashed: u64| SessionUpdate {
        project_id: p,
        release: "1.0".into(),
        environment: "production".into(),
        started,
        total,
        errored: 1,
        crashed,
        abnormal: 0,
        exited: total - crashed,
    };
    let discard = |ts: f64, reason: &str, quantity: u64| DiscardUpdate {
        project_id: p,
        timestamp: ts,
        reason: reason.into(),
        category: "error".into(),
        quantity,
    };
    for _ in 0..2 {
        store
            .write_batch(WriteBatch {
                sessions: vec![
                    session(3600.0, 3, 1),
                    session(3700.0, 2, 0),
                    session(7300.0, 1, 0),
                ],
                discards: vec![
                    discard(3600.0, "queue_overflow", 2),
                    discard(3601.0, "queue_overflow", 3),
                    discard(3602.0, "sample_rate", 1),
                ],
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let hours = store.session_hours(p).await.unwrap();
    let flat: Vec<(i64, i64, i64, i64, i64)> = hours
        .iter()
        .map(|h| (h.hour, h.total, h.errored, h.crashed, h.exited))
        .collect();
    assert_eq!(flat, [(3600, 10, 4, 2, 8), (7200, 2, 2, 0, 2)]);
    assert_eq!(hours[0].release, "1.0");
    assert_eq!(hours[0].environment, "production");
    let d = store.discard_hours(p).await.unwrap();
    let flat: Vec<(i64, &str, &str, i64)> = d
        .iter()
        .map(|d| (d.hour, d.reason.as_str(), d.category.as_str(), d.quantity))
        .collect();
    assert_eq!(
        flat,
        [
            (3600, "queue_overflow", "error", 10),
            (3600, "sample_rate", "error", 2)
        ]
    );
    assert!(store
        .session_hours(ProjectId(4242))
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .discard_hours(ProjectId(4242))
        .await
        .unwrap()
        .is_empty());
}

pub async fn jobs_are_claimed_once_per_interval(db: &Db) {
    let node_a = db.open().await;
    let node_b = db.open().await;
    node_a.bootstrap().await.unwrap();
    // Many claims at once from two nodes: exactly one wins the interval.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = if i % 2 == 0 {
            node_a.clone()
        } else {
            node_b.clone()
        };
        tasks.push(tokio::spawn(async move {
            store
                .claim_job("retention", &format!("node-{i}"), 3600.0)
                .await
                .unwrap()
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
    assert!(!node_b
        .claim_job("retention", "node-b", 3600.0)
        .await
        .unwrap());
    // Another job is claimed on its own; an interval that has passed is claimed again.
    assert!(node_b.claim_job("rollups", "node-b", 3600.0).await.unwrap());
    assert!(node_a.claim_job("retention", "node-a", 0.0).await.unwrap());
}
