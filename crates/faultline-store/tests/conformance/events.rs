//! Events: payloads, pages, latest and oldest, lookups by id, attachments, dictionaries.

use faultline_store::batch::NewAttachment;
use faultline_store::codec::TRAIN_SAMPLES;
use faultline_store::{recompress_plain_payloads, ProjectId, Store};

use crate::issues::{issue_of, write};
use crate::{event, ids, Db};

pub async fn events_pages_latest_oldest_and_by_id(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let base = ids();
    let mut issue = None;
    for n in 1..=5 {
        let out = write(&*store, vec![event(&*store, p, base + n, &["e"])]).await;
        issue = Some(issue_of(&out[0]));
    }
    let issue = issue.unwrap();
    let page = store.issue_events(issue, None, 3).await.unwrap();
    let ids_of = |evs: &[faultline_store::StoredEvent]| {
        evs.iter().map(|e| e.event_id.clone()).collect::<Vec<_>>()
    };
    let hex = |n: u64| format!("{:032x}", base + n);
    assert_eq!(ids_of(&page), [hex(5), hex(4), hex(3)]);
    let rest = store
        .issue_events(issue, Some(page[2].row_id), 10)
        .await
        .unwrap();
    assert_eq!(ids_of(&rest), [hex(2), hex(1)]);
    let latest = store.latest_event(issue).await.unwrap().unwrap();
    assert_eq!(latest.event_id, hex(5));
    assert_eq!(latest.issue_id, issue);
    assert_eq!(latest.project_id, p);
    let payload: serde_json::Value = serde_json::from_slice(&latest.payload).unwrap();
    assert_eq!(payload["message"], format!("event {}", base + 5));
    assert_eq!(
        store.oldest_event(issue).await.unwrap().unwrap().event_id,
        hex(1)
    );
    // By id: dashed and upper-case forms find it too.
    let id = hex(3);
    let dashed = format!(
        "{}-{}-{}-{}-{}",
        &id[..8],
        &id[8..12],
        &id[12..16],
        &id[16..20],
        &id[20..]
    )
    .to_uppercase();
    let found = store.event_by_id(p, &dashed).await.unwrap().unwrap();
    assert_eq!(found.event_id, id);
    assert!(store.event_by_id(p, &hex(99)).await.unwrap().is_none());
    assert!(store.event_by_id(p, "zz").await.unwrap().is_none());
    let (other, _) = store
        .create_project("default", "default", "other", None)
        .await
        .unwrap();
    assert!(store.event_by_id(other.id, &id).await.unwrap().is_none());
    assert_eq!(store.count_events().await.unwrap(), 5);
    let empty = faultline_store::IssueId(777_777);
    assert!(store.latest_event(empty).await.unwrap().is_none());
    assert!(store.oldest_event(empty).await.unwrap().is_none());
}

pub async fn attachments_with_their_event(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let base = ids();
    let mut e = event(&*store, p, base + 1, &["att"]);
    e.attachments = vec![
        NewAttachment {
            filename: "log.txt".into(),
            content_type: Some("text/plain".into()),
            attachment_type: "event.attachment".into(),
            data: b"hello".to_vec(),
        },
        NewAttachment {
            filename: "core.dmp".into(),
            content_type: None,
            attachment_type: "event.minidump".into(),
            data: vec![0, 1, 2, 255],
        },
    ];
    let dup = e.clone();
    write(&*store, vec![e]).await;
    // A duplicate event does not store its attachments again.
    write(&*store, vec![dup]).await;
    let id = format!("{:032x}", base + 1);
    let atts = store.event_attachments(p, &id).await.unwrap();
    assert_eq!(atts.len(), 2);
    assert_eq!(atts[0].filename, "log.txt");
    assert_eq!(atts[0].content_type.as_deref(), Some("text/plain"));
    assert_eq!(atts[0].size, 5);
    assert_eq!(atts[0].data, b"hello");
    assert_eq!(atts[1].attachment_type, "event.minidump");
    assert_eq!(atts[1].content_type, None);
    assert_eq!(atts[1].data, [0, 1, 2, 255]);
    assert!(store
        .event_attachments(p, "nothex")
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .event_attachments(p, &format!("{:032x}", base + 2))
        .await
        .unwrap()
        .is_empty());
}

/// Event `id` (written by [`event`]) reads back with its payload intact.
async fn assert_reads_back(store: &dyn Store, p: ProjectId, id: u64) {
    let e = store
        .event_by_id(p, &format!("{id:032x}"))
        .await
        .unwrap()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&e.payload).unwrap();
    assert_eq!(v["message"], format!("event {id}"));
}

pub async fn dictionaries_train_once_and_decode_everywhere(db: &Db) {
    let node_a = db.open().await;
    let node_b = db.open().await;
    let p = node_a.bootstrap().await.unwrap().project.id;
    let base = ids();
    // Both nodes collect enough samples; only one dictionary is trained for the project.
    for (k, store) in [&node_a, &node_b].into_iter().enumerate() {
        let batch: Vec<_> = (0..TRAIN_SAMPLES as u64)
            .map(|n| event(&**store, p, base + (k as u64) * 10_000 + n, &["dict"]))
            .collect();
        write(&**store, batch).await;
    }
    let (a, b) = tokio::join!(node_a.train_dictionaries(), node_b.train_dictionaries());
    let trained = a.unwrap() + b.unwrap();
    assert!(trained >= 1, "one of the nodes trains the dictionary");
    // Whichever node did not train adopts it.
    node_a.train_dictionaries().await.unwrap();
    node_b.train_dictionaries().await.unwrap();
    let fresh = event(&*node_a, p, base + 50_000, &["dict"]);
    let dict_a = fresh
        .payload_dict
        .expect("node a compresses with a dictionary");
    let from_b = event(&*node_b, p, base + 50_001, &["dict"]);
    let dict_b = from_b
        .payload_dict
        .expect("node b compresses with a dictionary");
    write(&*node_a, vec![fresh, from_b]).await;
    // A third node that never saw the dictionary loads it to decode.
    let node_c = db.open().await;
    for n in [50_000, 50_001] {
        assert_reads_back(&*node_c, p, base + n).await;
    }
    if db.multi_node() {
        // Several nodes on one database: one training, one dictionary, used by every node.
        assert_eq!(trained, 1);
        assert_eq!(dict_a, dict_b);
    }
}

/// Payloads stored before the project had a dictionary are compressed again with it, read back
/// the same, and only once.
pub async fn plain_payloads_are_compressed_again_with_the_dictionary(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let base = ids();
    let batch: Vec<_> = (0..TRAIN_SAMPLES as u64)
        .map(|n| event(&*store, p, base + n, &["plain"]))
        .collect();
    assert!(batch.iter().all(|e| e.payload_dict.is_none()));
    write(&*store, batch).await;
    // Nothing to do before the project has a dictionary.
    assert_eq!(recompress_plain_payloads(&*store, p).await.unwrap(), 0);
    store.train_dictionaries().await.unwrap();
    assert!(store.codec().has_current(p));
    let plain = store.plain_payloads(p, 0, 10_000).await.unwrap();
    assert!(
        plain.len() >= TRAIN_SAMPLES,
        "{} plain payloads",
        plain.len()
    );
    let replaced = recompress_plain_payloads(&*store, p).await.unwrap();
    assert_eq!(replaced, plain.len() as u64);
    assert!(store.plain_payloads(p, 0, 10_000).await.unwrap().is_empty());
    assert_eq!(recompress_plain_payloads(&*store, p).await.unwrap(), 0);
    for n in [0, 1, TRAIN_SAMPLES as u64 - 1] {
        assert_reads_back(&*store, p, base + n).await;
    }
    // A row that has a dictionary by now is not replaced again.
    let (id, payload) = plain[0].clone();
    assert_eq!(
        store
            .replace_plain_payloads(vec![(id, 1, payload)])
            .await
            .unwrap(),
        0
    );
}
