//! Several nodes on one database writing at once: one issue per fingerprint, exact counts,
//! nothing lost or doubled. (On SQLite the "nodes" are two stores on one file.)

use std::collections::HashSet;
use std::sync::Arc;

use faultline_store::{EventOutcome, IssueQuery, Store};

use crate::issues::write;
use crate::{event, ids, Db};

/// `writers` tasks alternate between the nodes, each writing `batches` batches of `per_batch`
/// events grouped by `hashes(writer, batch)`; returns the outcomes.
async fn hammer(
    nodes: &[Arc<dyn Store>],
    project: faultline_store::ProjectId,
    writers: u64,
    batches: u64,
    per_batch: u64,
    hashes: fn(u64, u64) -> Vec<String>,
) -> Vec<EventOutcome> {
    let base = ids();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = nodes[(w as usize) % nodes.len()].clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for b in 0..batches {
                let hs = hashes(w, b);
                let hs: Vec<&str> = hs.iter().map(String::as_str).collect();
                let evs = (0..per_batch)
                    .map(|i| {
                        let n = base + w * 1_000_000 + b * 1_000 + i;
                        event(&*store, project, n, &hs)
                    })
                    .collect();
                out.extend(write(&*store, evs).await);
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

pub async fn two_nodes_same_fingerprint_one_issue_exact_count(db: &Db) {
    let nodes = [db.open().await, db.open().await];
    let p = nodes[0].bootstrap().await.unwrap().project.id;
    let out = hammer(&nodes, p, 8, 10, 10, |_, _| vec!["hot".into()]).await;
    assert_eq!(out.len(), 800);
    let issues: HashSet<_> = out
        .iter()
        .map(|o| match o {
            EventOutcome::Stored { issue_id, .. } => *issue_id,
            EventOutcome::Duplicate => panic!("no event was sent twice"),
        })
        .collect();
    assert_eq!(issues.len(), 1, "one issue for one fingerprint");
    let new = out
        .iter()
        .filter(|o| {
            matches!(
                o,
                EventOutcome::Stored {
                    new_issue: true,
                    ..
                }
            )
        })
        .count();
    assert!(new >= 1);
    let issue = nodes[1]
        .issue(*issues.iter().next().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(issue.times_seen, 800, "every event counted exactly once");
    assert_eq!(nodes[0].count_events().await.unwrap(), 800);
    let hours = nodes[0]
        .issue_hourly_counts(&[issue.id], 0.0)
        .await
        .unwrap();
    assert_eq!(hours.iter().map(|h| h.2).sum::<i64>(), 800);
}

pub async fn two_nodes_new_fingerprints_race_to_one_issue_each(db: &Db) {
    let nodes = [db.open().await, db.open().await];
    let p = nodes[0].bootstrap().await.unwrap().project.id;
    // Every writer sees the same 20 new fingerprints, in its own order and with a second hash of
    // its own, so the nodes race to create each issue and link hashes.
    let out = hammer(&nodes, p, 6, 20, 3, |w, b| {
        let k = (b * 7 + w * 3) % 20;
        vec![format!("fp-{k}"), format!("alt-{k}-{w}")]
    })
    .await;
    assert_eq!(out.len(), 6 * 20 * 3);
    let issues = nodes[0]
        .list_issues(&IssueQuery {
            projects: vec![p],
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(issues.len(), 20, "one issue per fingerprint");
    assert!(
        issues.iter().all(|i| i.times_seen == 18),
        "{:?}",
        issues
            .iter()
            .map(|i| (i.primary_hash.clone(), i.times_seen))
            .collect::<Vec<_>>()
    );
    let created = out
        .iter()
        .filter(|o| {
            matches!(
                o,
                EventOutcome::Stored {
                    new_issue: true,
                    ..
                }
            )
        })
        .count();
    assert_eq!(
        created, 20,
        "each issue reported new by exactly the event that made it"
    );
    assert_eq!(nodes[1].count_events().await.unwrap(), 360);
}
