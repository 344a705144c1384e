//! Issues: upserts and counters, grouping by hash, duplicates, tags, users, hourly counts and
//! listing.

use faultline_store::{
    EventOutcome, IssueId, IssueQuery, IssueSort, IssueStatus, Store, StoreError, TagFilter,
    WriteBatch,
};

use crate::{event, ids, Db};

pub async fn write(store: &dyn Store, events: Vec<faultline_store::NewEvent>) -> Vec<EventOutcome> {
    store
        .write_batch(WriteBatch {
            events,
            ..Default::default()
        })
        .await
        .unwrap()
        .events
}

pub fn issue_of(o: &EventOutcome) -> IssueId {
    match o {
        EventOutcome::Stored { issue_id, .. } => *issue_id,
        EventOutcome::Duplicate => panic!("expected a stored event"),
    }
}

pub async fn same_fingerprint_one_issue_with_counters(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let base = ids();
    let mut a = event(&*store, p, base + 1, &["h1"]);
    a.timestamp = 1000.0;
    a.level = "warning".into();
    a.release = Some("1.0".into());
    let mut b = event(&*store, p, base + 2, &["h1"]);
    b.timestamp = 2000.0;
    b.level = "error".into();
    b.release = Some("1.1".into());
    let out = write(&*store, vec![a, b]).await;
    assert_eq!(
        out[0],
        EventOutcome::Stored {
            issue_id: issue_of(&out[0]),
            new_issue: true,
            regressed: false
        }
    );
    assert_eq!(issue_of(&out[0]), issue_of(&out[1]));
    let mut c = event(&*store, p, base + 3, &["h1"]);
    c.timestamp = 500.0;
    c.level = "info".into();
    let out2 = write(&*store, vec![c]).await;
    assert_eq!(
        out2[0],
        EventOutcome::Stored {
            issue_id: issue_of(&out[0]),
            new_issue: false,
            regressed: false
        }
    );
    let issue = store.issue(issue_of(&out[0])).await.unwrap().unwrap();
    assert_eq!(issue.times_seen, 3);
    assert_eq!(issue.first_seen, 500.0);
    assert_eq!(issue.last_seen, 2000.0);
    assert_eq!(issue.level, "error", "the latest event's level");
    assert_eq!(issue.first_release.as_deref(), Some("1.0"));
    assert_eq!(issue.last_release.as_deref(), Some("1.1"));
    assert_eq!(issue.primary_hash, "h1");
    assert_eq!(issue.status, IssueStatus::Unresolved);
    assert_eq!(issue.substatus.as_deref(), Some("new"));
    assert_eq!(issue.title, "Error h1");
    assert_eq!(issue.grouping_variant, "app");
    // Written with the first event (kept apart from the issue row), read with the issue.
    assert_eq!(
        issue.grouping_components,
        r#"{"contributes":true,"hash":"h1"}"#
    );
    let listed = store
        .list_issues(&IssueQuery {
            projects: vec![p],
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let listed = listed.iter().find(|i| i.id == issue.id).expect("listed");
    assert_eq!(listed.grouping_components, issue.grouping_components);
    assert_eq!(store.count_events().await.unwrap(), 3);
    assert!(store.issue(IssueId(987_654)).await.unwrap().is_none());
}

pub async fn first_known_hash_wins_and_links_the_rest(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let base = ids();
    let first = write(&*store, vec![event(&*store, p, base + 1, &["old"])]).await;
    let second = write(
        &*store,
        vec![
            event(&*store, p, base + 2, &["new", "old"]),
            event(&*store, p, base + 3, &["other"]),
        ],
    )
    .await;
    assert_eq!(issue_of(&second[0]), issue_of(&first[0]));
    assert_ne!(issue_of(&second[1]), issue_of(&first[0]));
    // "new" is now linked to the old issue.
    let third = write(&*store, vec![event(&*store, p, base + 4, &["new"])]).await;
    assert_eq!(issue_of(&third[0]), issue_of(&first[0]));
    assert_eq!(
        store
            .issue(issue_of(&first[0]))
            .await
            .unwrap()
            .unwrap()
            .times_seen,
        3
    );
    // Hashes are per project.
    let (other, _) = store
        .create_project("default", "default", "other", None)
        .await
        .unwrap();
    let fourth = write(&*store, vec![event(&*store, other.id, base + 5, &["old"])]).await;
    assert_ne!(issue_of(&fourth[0]), issue_of(&first[0]));
}

pub async fn duplicates_change_nothing(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let base = ids();
    let out = write(
        &*store,
        vec![
            event(&*store, p, base + 1, &["d"]),
            event(&*store, p, base + 1, &["d"]),
        ],
    )
    .await;
    assert!(matches!(out[0], EventOutcome::Stored { .. }));
    assert_eq!(out[1], EventOutcome::Duplicate);
    let again = write(&*store, vec![event(&*store, p, base + 1, &["d"])]).await;
    assert_eq!(again[0], EventOutcome::Duplicate);
    let issue = store.issue(issue_of(&out[0])).await.unwrap().unwrap();
    assert_eq!(issue.times_seen, 1);
    assert_eq!(store.count_events().await.unwrap(), 1);
    let bad = store
        .write_batch(WriteBatch {
            events: vec![{
                let mut e = event(&*store, p, base + 2, &["d"]);
                e.event_id = "not hex".into();
                e
            }],
            ..Default::default()
        })
        .await;
    assert!(matches!(bad, Err(StoreError::Invalid(_))));
}

pub async fn tags_users_and_hourly_counts(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let base = ids();
    let mk = |n: u64, user: Option<&str>, ts: f64, browser: &str| {
        let mut e = event(&*store, p, base + n, &["t"]);
        e.user_key = user.map(str::to_owned);
        e.timestamp = ts;
        e.tags = vec![
            ("browser".into(), browser.into()),
            ("level".into(), "error".into()),
        ];
        e
    };
    let out = write(
        &*store,
        vec![
            mk(1, Some("u1"), 7200.0, "Firefox"),
            mk(2, Some("u1"), 7300.0, "Chrome"),
            mk(3, Some("u2"), 3600.5, "Firefox"),
        ],
    )
    .await;
    write(
        &*store,
        vec![
            mk(4, Some("u3"), 7201.0, "Firefox"),
            mk(5, None, 10800.0, "Safari"),
        ],
    )
    .await;
    let id = issue_of(&out[0]);
    let issue = store.issue(id).await.unwrap().unwrap();
    assert_eq!(issue.users_seen, 3);
    assert_eq!(issue.times_seen, 5);
    let tags = store.issue_tag_values(id, None).await.unwrap();
    let flat: Vec<(String, String, i64)> = tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone(), t.count))
        .collect();
    assert_eq!(
        flat,
        [
            ("browser".into(), "Firefox".into(), 3),
            ("browser".into(), "Chrome".into(), 1),
            ("browser".into(), "Safari".into(), 1),
            ("level".into(), "error".into(), 5),
        ]
    );
    let firefox = &tags[0];
    assert_eq!((firefox.first_seen, firefox.last_seen), (3600.5, 7201.0));
    let only = store.issue_tag_values(id, Some("level")).await.unwrap();
    assert_eq!(only.len(), 1);
    let hours = store.issue_hourly_counts(&[id], 3600.0).await.unwrap();
    assert_eq!(hours, [(id, 3600, 1), (id, 7200, 3), (id, 10800, 1)]);
    let later = store.issue_hourly_counts(&[id], 7300.0).await.unwrap();
    assert_eq!(later, [(id, 7200, 3), (id, 10800, 1)]);
    let other = issue_of(&write(&*store, vec![mk(6, None, 3600.0, "x")]).await[0]);
    assert_eq!(other, id);
    let none = store
        .issue_hourly_counts(&[IssueId(999_999)], 0.0)
        .await
        .unwrap();
    assert!(none.is_empty());
}

/// Tag counts of a batch with more tag rows than one statement carries (69 rows: two full
/// chunks and a remainder), then a second batch over part of them: every count, first and
/// last seen adds up per issue.
pub async fn many_tags_in_one_batch_add_up(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let base = ids();
    let hashes = ["ta", "tb", "tc"];
    let mk = |n: u64, issue: usize, ts: f64, tags: std::ops::Range<usize>| {
        let mut e = event(&*store, p, base + n, &[hashes[issue]]);
        e.timestamp = ts;
        e.tags = tags
            .map(|t| (format!("k{}", t % 7), format!("v{t}")))
            .collect();
        e
    };
    let mut first = Vec::new();
    for (i, _) in hashes.iter().enumerate() {
        first.push(mk(i as u64 * 10, i, 1000.0 + i as f64, 0..23));
        first.push(mk(i as u64 * 10 + 1, i, 900.0, 0..5));
    }
    let out = write(&*store, first).await;
    write(&*store, vec![mk(100, 1, 2000.0, 3..30)]).await;
    for (i, _) in hashes.iter().enumerate() {
        let id = issue_of(&out[i * 2]);
        let tags = store.issue_tag_values(id, None).await.unwrap();
        let extra = if i == 1 { 30 } else { 23 };
        assert_eq!(tags.len(), extra, "issue {i}: {tags:?}");
        for t in &tags {
            let n: usize = t.value[1..].parse().unwrap();
            assert_eq!(t.key, format!("k{}", n % 7));
            let mut expected = 0;
            let mut seen = Vec::new();
            if n < 23 {
                expected += 1;
                seen.push(1000.0 + i as f64);
            }
            if n < 5 {
                expected += 1;
                seen.push(900.0);
            }
            if i == 1 && (3..30).contains(&n) {
                expected += 1;
                seen.push(2000.0);
            }
            assert_eq!(t.count, expected, "issue {i} {}={}", t.key, t.value);
            let lo = seen.iter().cloned().fold(f64::MAX, f64::min);
            let hi = seen.iter().cloned().fold(f64::MIN, f64::max);
            assert_eq!(
                (t.first_seen, t.last_seen),
                (lo, hi),
                "issue {i} {}",
                t.value
            );
        }
    }
}

pub async fn list_filters_sorts_and_pages(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let base = ids();
    let mut a = event(&*store, p, base + 1, &["a"]);
    a.title = "ValueError: bad cart".into();
    a.timestamp = 100.0;
    a.tags = vec![("browser".into(), "Firefox".into())];
    a.kind = "uncaught".into();
    let mut b1 = event(&*store, p, base + 2, &["b"]);
    b1.title = "KeyError: 'sku'".into();
    b1.level = "warning".into();
    b1.timestamp = 200.0;
    b1.user_key = Some("u1".into());
    let mut b2 = b1.clone();
    b2.event_id = format!("{:032x}", base + 3);
    b2.user_key = Some("u2".into());
    let out = write(&*store, vec![a, b1, b2]).await;
    let (ia, ib) = (issue_of(&out[0]), issue_of(&out[1]));
    let list = |q: IssueQuery| {
        let store = store.clone();
        async move {
            store
                .list_issues(&IssueQuery { limit: 100, ..q })
                .await
                .unwrap()
                .iter()
                .map(|i| i.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list(IssueQuery::default()).await, [ib, ia]);
    assert_eq!(
        list(IssueQuery {
            sort: IssueSort::FirstSeen,
            ..Default::default()
        })
        .await,
        [ib, ia]
    );
    assert_eq!(
        list(IssueQuery {
            sort: IssueSort::Events,
            ..Default::default()
        })
        .await,
        [ib, ia]
    );
    assert_eq!(
        list(IssueQuery {
            sort: IssueSort::Users,
            ..Default::default()
        })
        .await,
        [ib, ia]
    );
    assert_eq!(
        list(IssueQuery {
            levels: vec!["warning".into()],
            ..Default::default()
        })
        .await,
        [ib]
    );
    assert_eq!(
        list(IssueQuery {
            kinds: vec!["uncaught".into()],
            ..Default::default()
        })
        .await,
        [ia]
    );
    assert_eq!(
        list(IssueQuery {
            substatuses: vec!["new".into()],
            ..Default::default()
        })
        .await,
        [ib, ia]
    );
    assert_eq!(
        list(IssueQuery {
            text: vec!["valueerror".into()],
            ..Default::default()
        })
        .await,
        [ia]
    );
    assert_eq!(
        list(IssueQuery {
            text: vec!["'SKU'".into()],
            ..Default::default()
        })
        .await,
        [ib]
    );
    assert_eq!(
        list(IssueQuery {
            text: vec!["100%".into()],
            ..Default::default()
        })
        .await,
        []
    );
    let tag = |negate| TagFilter {
        key: "browser".into(),
        value: "Firefox".into(),
        negate,
    };
    assert_eq!(
        list(IssueQuery {
            tags: vec![tag(false)],
            ..Default::default()
        })
        .await,
        [ia]
    );
    assert_eq!(
        list(IssueQuery {
            tags: vec![tag(true)],
            ..Default::default()
        })
        .await,
        [ib]
    );
    assert_eq!(
        list(IssueQuery {
            seen_since: Some(150.0),
            ..Default::default()
        })
        .await,
        [ib]
    );
    assert_eq!(
        list(IssueQuery {
            first_seen_since: Some(150.0),
            ..Default::default()
        })
        .await,
        [ib]
    );
    assert_eq!(
        list(IssueQuery {
            projects: vec![p],
            ..Default::default()
        })
        .await,
        [ib, ia]
    );
    let (other, _) = store
        .create_project("default", "default", "empty", None)
        .await
        .unwrap();
    assert_eq!(
        list(IssueQuery {
            projects: vec![other.id],
            ..Default::default()
        })
        .await,
        []
    );
    assert_eq!(
        list(IssueQuery {
            statuses: vec![IssueStatus::Resolved],
            ..Default::default()
        })
        .await,
        []
    );
    let page = store
        .list_issues(&IssueQuery {
            limit: 1,
            offset: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.iter().map(|i| i.id).collect::<Vec<_>>(), [ia]);
}
