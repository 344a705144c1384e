//! Regression and status changes: resolve, resolve in (next) release, ignore, reopen.

use faultline_store::{EventOutcome, IssueId, IssueStatus, StatusChange, StoreError};

use crate::issues::{issue_of, write};
use crate::{event, ids, Db};

pub async fn regression_after_resolve(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let base = ids();
    let id = issue_of(&write(&*store, vec![event(&*store, p, base + 1, &["r"])]).await[0]);
    let resolved = store
        .set_issue_status(id, StatusChange::Resolve)
        .await
        .unwrap();
    assert_eq!(resolved.status, IssueStatus::Resolved);
    assert!(resolved.resolved_at.is_some());
    let out = write(&*store, vec![event(&*store, p, base + 2, &["r"])]).await;
    assert_eq!(
        out[0],
        EventOutcome::Stored {
            issue_id: id,
            new_issue: false,
            regressed: true
        }
    );
    let issue = store.issue(id).await.unwrap().unwrap();
    assert_eq!(issue.status, IssueStatus::Unresolved);
    assert_eq!(issue.substatus.as_deref(), Some("regressed"));
    assert_eq!(issue.times_seen, 2);
    let out = write(&*store, vec![event(&*store, p, base + 3, &["r"])]).await;
    assert_eq!(
        out[0],
        EventOutcome::Stored {
            issue_id: id,
            new_issue: false,
            regressed: false
        }
    );
}

pub async fn resolved_in_next_release_reopens_only_for_newer(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let base = ids();
    let with_release = |n: u64, r: &str| {
        let mut e = event(&*store, p, base + n, &["n"]);
        e.release = Some(r.into());
        e
    };
    let id = issue_of(&write(&*store, vec![with_release(1, "shop@1.0.0")]).await[0]);
    let issue = store
        .set_issue_status(id, StatusChange::ResolveInNextRelease)
        .await
        .unwrap();
    assert!(issue.resolved_in_next_release);
    assert_eq!(issue.resolved_in_release.as_deref(), Some("shop@1.0.0"));
    let same = write(&*store, vec![with_release(2, "shop@1.0.0")]).await;
    assert!(matches!(
        same[0],
        EventOutcome::Stored {
            regressed: false,
            ..
        }
    ));
    assert_eq!(
        store.issue(id).await.unwrap().unwrap().status,
        IssueStatus::Resolved
    );
    let older = write(&*store, vec![with_release(3, "shop@0.9.0")]).await;
    assert!(matches!(
        older[0],
        EventOutcome::Stored {
            regressed: false,
            ..
        }
    ));
    let newer = write(&*store, vec![with_release(4, "shop@1.10.0")]).await;
    assert!(matches!(
        newer[0],
        EventOutcome::Stored {
            regressed: true,
            ..
        }
    ));
    let issue = store.issue(id).await.unwrap().unwrap();
    assert_eq!(issue.status, IssueStatus::Unresolved);
    assert!(!issue.resolved_in_next_release);
    assert_eq!(issue.resolved_in_release, None);
    // Resolved in an explicit release.
    store
        .set_issue_status(id, StatusChange::ResolveInRelease("shop@2.0.0".into()))
        .await
        .unwrap();
    let before = write(&*store, vec![with_release(5, "shop@1.10.0")]).await;
    assert!(matches!(
        before[0],
        EventOutcome::Stored {
            regressed: false,
            ..
        }
    ));
    let after = write(&*store, vec![with_release(6, "shop@2.0.1")]).await;
    assert!(matches!(
        after[0],
        EventOutcome::Stored {
            regressed: true,
            ..
        }
    ));
}

pub async fn status_changes_and_unknown_issue(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let id = issue_of(&write(&*store, vec![event(&*store, p, ids() + 1, &["s"])]).await[0]);
    let ignored = store
        .set_issue_status(id, StatusChange::Ignore)
        .await
        .unwrap();
    assert_eq!(ignored.status, IssueStatus::Ignored);
    // Events on an ignored issue count but do not reopen it.
    let out = write(&*store, vec![event(&*store, p, ids() + 2, &["s"])]).await;
    assert!(matches!(
        out[0],
        EventOutcome::Stored {
            regressed: false,
            ..
        }
    ));
    assert_eq!(
        store.issue(id).await.unwrap().unwrap().status,
        IssueStatus::Ignored
    );
    let open = store
        .set_issue_status(id, StatusChange::Unresolve)
        .await
        .unwrap();
    assert_eq!(open.status, IssueStatus::Unresolved);
    assert_eq!(open.substatus.as_deref(), Some("ongoing"));
    assert_eq!(open.times_seen, 2);
    assert!(matches!(
        store
            .set_issue_status(IssueId(424_242), StatusChange::Resolve)
            .await,
        Err(StoreError::NotFound(_))
    ));
}
