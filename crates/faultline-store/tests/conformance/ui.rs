//! What the web UI needs: users and sign-in sessions, teams, token and key management,
//! assignment, comments and the activity log, ignoring until a condition, event navigation,
//! traces, releases, project summaries and environments.

use std::time::Duration;

use faultline_store::{
    Assignee, AssigneeFilter, IgnoreLimits, IssueId, IssueQuery, IssueStatus, StatusChange,
    StoreError, TeamId, TokenId, UserId,
};

use crate::issues::{issue_of, write};
use crate::{event, ids, now, Db};

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap()
}

pub async fn users_are_found_by_email_in_any_case(db: &Db) {
    let store = db.open().await;
    store.bootstrap().await.unwrap();
    let ann = store
        .create_user(" Ann@Example.COM", "hash-1", "admin")
        .await
        .unwrap();
    assert_eq!(ann.email, "ann@example.com");
    assert!(matches!(
        store.create_user("ANN@example.com", "h", "member").await,
        Err(StoreError::Conflict(_))
    ));
    let bob = store
        .create_user("bob@example.com", "hash-2", "member")
        .await
        .unwrap();
    let (found, hash) = store
        .user_by_email("ann@EXAMPLE.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, hash.as_str()), (ann.id, "hash-1"));
    assert!(store
        .user_by_email("nobody@example.com")
        .await
        .unwrap()
        .is_none());
    let emails: Vec<String> = store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(emails, ["ann@example.com", "bob@example.com"]);
    assert_eq!(store.user(bob.id).await.unwrap().unwrap().email, bob.email);
    assert!(store.user(UserId(9999)).await.unwrap().is_none());

    store.set_user_password(ann.id, "hash-3").await.unwrap();
    let (_, hash) = store
        .user_by_email("ann@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash, "hash-3");
    store.set_user_role(bob.id, "admin").await.unwrap();
    assert_eq!(store.user(bob.id).await.unwrap().unwrap().role, "admin");
    assert!(matches!(
        store.set_user_role(bob.id, "root").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.set_user_role(UserId(9999), "member").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.set_user_password(UserId(9999), "h").await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn sessions_live_expire_and_end(db: &Db) {
    let store = db.open().await;
    store.bootstrap().await.unwrap();
    let ann = store
        .create_user("ann@example.com", "h", "admin")
        .await
        .unwrap();
    let bob = store
        .create_user("bob@example.com", "h", "member")
        .await
        .unwrap();
    let before = now();
    let (secret, csrf) = store.create_session(ann.id, 3600.0).await.unwrap();
    assert!(secret.len() >= 32 && csrf.len() >= 32);
    assert_ne!(secret, csrf);
    let s = store.session_by_secret(&secret).await.unwrap().unwrap();
    assert_eq!(s.user.id, ann.id);
    assert_eq!(s.user.email, "ann@example.com");
    assert_eq!(s.csrf, csrf);
    assert!(s.expires_at >= before + 3600.0 && s.expires_at <= now() + 3600.0);
    assert!(store.session_by_secret("nope").await.unwrap().is_none());
    assert!(matches!(
        store.create_session(UserId(9999), 60.0).await,
        Err(StoreError::NotFound(_))
    ));

    // Expiry.
    let (short, _) = store.create_session(ann.id, 0.05).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(store.session_by_secret(&short).await.unwrap().is_none());

    // Sign-out.
    store.delete_session(&secret).await.unwrap();
    assert!(store.session_by_secret(&secret).await.unwrap().is_none());
    store.delete_session(&secret).await.unwrap();

    // Everywhere but here.
    let mut mine = Vec::new();
    for _ in 0..3 {
        mine.push(store.create_session(ann.id, 3600.0).await.unwrap().0);
    }
    let (theirs, _) = store.create_session(bob.id, 3600.0).await.unwrap();
    store
        .delete_user_sessions(ann.id, Some(&mine[1]))
        .await
        .unwrap();
    let alive = |s: String| {
        let store = store.clone();
        async move { store.session_by_secret(&s).await.unwrap().is_some() }
    };
    assert!(!alive(mine[0].clone()).await);
    assert!(alive(mine[1].clone()).await);
    assert!(!alive(mine[2].clone()).await);
    assert!(alive(theirs.clone()).await);
    store.delete_user_sessions(ann.id, None).await.unwrap();
    assert!(!alive(mine[1].clone()).await);
    assert!(alive(theirs).await);
}

pub async fn teams_and_members(db: &Db) {
    let store = db.open().await;
    let boot = store.bootstrap().await.unwrap();
    let ann = store
        .create_user("ann@example.com", "h", "admin")
        .await
        .unwrap();
    let bob = store
        .create_user("bob@example.com", "h", "member")
        .await
        .unwrap();
    let backend = store
        .create_team("default", "backend", "Backend")
        .await
        .unwrap();
    assert_eq!(
        (backend.slug.as_str(), backend.name.as_str()),
        ("backend", "Backend")
    );
    assert_eq!(backend.org_id, boot.org.id);
    assert!(matches!(
        store.create_team("default", "backend", "Again").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.create_team("default", "bad slug!", "x").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.create_team("nope", "x", "x").await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store.team(backend.id).await.unwrap().unwrap().name,
        "Backend"
    );
    assert!(store.team(TeamId(9999)).await.unwrap().is_none());

    store.add_team_member(backend.id, bob.id).await.unwrap();
    store.add_team_member(backend.id, ann.id).await.unwrap();
    store.add_team_member(backend.id, ann.id).await.unwrap();
    assert!(matches!(
        store.add_team_member(backend.id, UserId(9999)).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.add_team_member(TeamId(9999), ann.id).await,
        Err(StoreError::NotFound(_))
    ));
    let teams = store.list_teams().await.unwrap();
    let slugs: Vec<&str> = teams.iter().map(|t| t.team.slug.as_str()).collect();
    assert_eq!(slugs, ["default", "backend"]);
    assert!(teams[0].members.is_empty());
    let members: Vec<&str> = teams[1].members.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(members, ["ann@example.com", "bob@example.com"]);

    store.remove_team_member(backend.id, ann.id).await.unwrap();
    store.remove_team_member(backend.id, ann.id).await.unwrap();
    let teams = store.list_teams().await.unwrap();
    assert_eq!(teams[1].members.len(), 1);
    assert_eq!(teams[1].members[0].id, bob.id);
}

pub async fn tokens_list_and_revoke_keys_rename(db: &Db) {
    let store = db.open().await;
    let boot = store.bootstrap().await.unwrap();
    let (first, first_secret) = store
        .create_token("ci", &["event:read".into()])
        .await
        .unwrap();
    let (second, second_secret) = store.create_token("deploy", &[]).await.unwrap();
    let listed: Vec<TokenId> = store
        .list_tokens()
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, [second.id, first.id]);
    let tokens = store.list_tokens().await.unwrap();
    assert_eq!(tokens[1].scopes, ["event:read"]);

    store.revoke_token(first.id).await.unwrap();
    assert!(store
        .token_by_secret(&first_secret)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .token_by_secret(&second_secret)
        .await
        .unwrap()
        .is_some());
    assert_eq!(store.list_tokens().await.unwrap().len(), 1);
    assert!(matches!(
        store.revoke_token(first.id).await,
        Err(StoreError::NotFound(_))
    ));

    store.rename_key(boot.key.id, "Production").await.unwrap();
    let keys = store.list_keys(boot.project.id).await.unwrap();
    assert_eq!(keys[0].label, "Production");
    assert!(matches!(
        store.rename_key(faultline_store::KeyId(9999), "x").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.rename_key(boot.key.id, "  ").await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn assignment_comments_and_activity(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let ann = store
        .create_user("ann@example.com", "h", "admin")
        .await
        .unwrap();
    let team = store
        .create_team("default", "backend", "Backend")
        .await
        .unwrap();
    let base = ids();
    let out = write(
        &*store,
        vec![
            event(&*store, p, base + 1, &["a1"]),
            event(&*store, p, base + 2, &["a2"]),
            event(&*store, p, base + 3, &["a3"]),
        ],
    )
    .await;
    let (i1, i2, i3) = (issue_of(&out[0]), issue_of(&out[1]), issue_of(&out[2]));

    let issue = store
        .assign_issue(i1, Some(Assignee::User(ann.id)), Some(ann.id))
        .await
        .unwrap();
    assert_eq!(issue.assignee, Some(Assignee::User(ann.id)));
    let issue = store
        .assign_issue(i2, Some(Assignee::Team(team.id)), None)
        .await
        .unwrap();
    assert_eq!(issue.assignee, Some(Assignee::Team(team.id)));
    assert_eq!(store.issue(i3).await.unwrap().unwrap().assignee, None);
    assert!(matches!(
        store
            .assign_issue(i3, Some(Assignee::User(UserId(9999))), None)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .assign_issue(i3, Some(Assignee::Team(TeamId(9999))), None)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.assign_issue(IssueId(999_999), None, None).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.issue(i3).await.unwrap().unwrap().assignee, None);

    let by = |f: AssigneeFilter| {
        let store = store.clone();
        async move {
            let mut ids: Vec<IssueId> = store
                .list_issues(&IssueQuery {
                    assignee: Some(f),
                    limit: 100,
                    ..Default::default()
                })
                .await
                .unwrap()
                .iter()
                .map(|i| i.id)
                .collect();
            ids.sort();
            ids
        }
    };
    assert_eq!(by(AssigneeFilter::Unassigned).await, [i3]);
    assert_eq!(by(AssigneeFilter::Assigned).await, [i1, i2]);
    assert_eq!(by(AssigneeFilter::User(ann.id)).await, [i1]);
    assert_eq!(by(AssigneeFilter::Team(team.id)).await, [i2]);
    assert!(by(AssigneeFilter::User(UserId(9999))).await.is_empty());

    let issue = store.assign_issue(i1, None, Some(ann.id)).await.unwrap();
    assert_eq!(issue.assignee, None);
    assert_eq!(by(AssigneeFilter::Unassigned).await, [i1, i3]);

    let note = store
        .add_comment(i1, ann.id, "Looking into it")
        .await
        .unwrap();
    assert_eq!(note.kind, "note");
    assert_eq!(note.issue_id, i1);
    assert_eq!(json(&note.data)["text"], "Looking into it");
    assert_eq!(note.user.as_ref().map(|u| u.id), Some(ann.id));
    assert!(matches!(
        store.add_comment(i1, ann.id, "  ").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.add_comment(IssueId(999_999), ann.id, "x").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.add_comment(i1, UserId(9999), "x").await,
        Err(StoreError::NotFound(_))
    ));
    store
        .set_issue_status_as(i1, StatusChange::Resolve, Some(ann.id))
        .await
        .unwrap();

    let log = store.issue_activity(i1).await.unwrap();
    let kinds: Vec<&str> = log.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["first_seen", "assigned", "unassigned", "note", "set_status"]
    );
    assert!(log[0].user.is_none());
    assert_eq!(
        json(&log[1].data),
        serde_json::json!({"assignee": {"type": "user", "id": ann.id.0, "name": "ann@example.com"}})
    );
    assert_eq!(
        log[1].user.as_ref().map(|u| u.email.as_str()),
        Some("ann@example.com")
    );
    assert_eq!(log[3].id, note.id);
    assert_eq!(json(&log[4].data)["status"], "resolved");
    assert_eq!(log[4].user.as_ref().map(|u| u.id), Some(ann.id));
    assert!(log.windows(2).all(|w| w[0].id < w[1].id));
    let team_log = store.issue_activity(i2).await.unwrap();
    assert_eq!(
        json(&team_log[1].data),
        serde_json::json!({"assignee": {"type": "team", "id": team.id.0, "name": "backend"}})
    );
    assert!(team_log[1].user.is_none());
    assert!(store
        .issue_activity(IssueId(999_999))
        .await
        .unwrap()
        .is_empty());
}

pub async fn ignored_until_more_events_comes_back_escalating(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let base = ids();
    let ev = |n: u64| event(&*store, p, base + n, &["ig"]);
    let id = issue_of(&write(&*store, vec![ev(1), ev(2)]).await[0]);
    assert!(matches!(
        store
            .set_issue_status(id, StatusChange::IgnoreUntil(IgnoreLimits::default()))
            .await,
        Err(StoreError::Invalid(_))
    ));
    let limits = IgnoreLimits {
        more_events: Some(3),
        ..Default::default()
    };
    let issue = store
        .set_issue_status(id, StatusChange::IgnoreUntil(limits))
        .await
        .unwrap();
    assert_eq!(issue.status, IssueStatus::Ignored);
    assert_eq!(
        issue.substatus.as_deref(),
        Some("archived_until_condition_met")
    );
    assert_eq!(issue.ignore_limits, Some(limits));

    // Two more events (one a duplicate, which does not count): still ignored, one to go.
    write(&*store, vec![ev(3), ev(3), ev(4)]).await;
    let issue = store.issue(id).await.unwrap().unwrap();
    assert_eq!(issue.status, IssueStatus::Ignored);
    assert_eq!(issue.times_seen, 4);
    assert_eq!(issue.ignore_limits.and_then(|l| l.more_events), Some(1));

    let out = write(&*store, vec![ev(5), ev(6)]).await;
    assert!(matches!(
        out[0],
        faultline_store::EventOutcome::Stored {
            new_issue: false,
            ..
        }
    ));
    let issue = store.issue(id).await.unwrap().unwrap();
    assert_eq!(issue.status, IssueStatus::Unresolved);
    assert_eq!(issue.substatus.as_deref(), Some("escalating"));
    assert_eq!(issue.ignore_limits, None);
    assert_eq!(issue.times_seen, 6);
    let log = store.issue_activity(id).await.unwrap();
    let kinds: Vec<&str> = log.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["first_seen", "set_status", "set_escalating"]);
    assert_eq!(json(&log[1].data)["ignoreCount"], 3);
    // Escalated once: later events leave it alone.
    write(&*store, vec![ev(7)]).await;
    assert_eq!(store.issue_activity(id).await.unwrap().len(), 3);

    // More users.
    let mut u = event(&*store, p, base + 10, &["users"]);
    u.user_key = Some("u1".into());
    let uid = issue_of(&write(&*store, vec![u.clone()]).await[0]);
    store
        .set_issue_status(
            uid,
            StatusChange::IgnoreUntil(IgnoreLimits {
                more_users: Some(1),
                ..Default::default()
            }),
        )
        .await
        .unwrap();
    u.event_id = format!("{:032x}", base + 11);
    write(&*store, vec![u.clone()]).await;
    assert_eq!(
        store.issue(uid).await.unwrap().unwrap().status,
        IssueStatus::Ignored,
        "the same user again is no new user"
    );
    u.event_id = format!("{:032x}", base + 12);
    u.user_key = Some("u2".into());
    write(&*store, vec![u]).await;
    let issue = store.issue(uid).await.unwrap().unwrap();
    assert_eq!(issue.status, IssueStatus::Unresolved);
    assert_eq!(issue.substatus.as_deref(), Some("escalating"));

    // Another status change clears the limits; a plain ignore lasts.
    let fid = issue_of(&write(&*store, vec![event(&*store, p, base + 20, &["f"])]).await[0]);
    store
        .set_issue_status(fid, StatusChange::IgnoreUntil(limits))
        .await
        .unwrap();
    let issue = store
        .set_issue_status(fid, StatusChange::Ignore)
        .await
        .unwrap();
    assert_eq!(issue.substatus.as_deref(), Some("archived_forever"));
    assert_eq!(issue.ignore_limits, None);
    let more: Vec<_> = (21..26)
        .map(|n| event(&*store, p, base + n, &["f"]))
        .collect();
    write(&*store, more).await;
    let issue = store.issue(fid).await.unwrap().unwrap();
    assert_eq!(issue.status, IssueStatus::Ignored);
    assert_eq!(issue.substatus.as_deref(), Some("archived_forever"));
}

pub async fn ignored_until_a_time_comes_back_escalating(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let base = ids();
    let out = write(
        &*store,
        vec![
            event(&*store, p, base + 1, &["soon"]),
            event(&*store, p, base + 2, &["later"]),
            event(&*store, p, base + 3, &["forever"]),
            event(&*store, p, base + 4, &["past"]),
        ],
    )
    .await;
    let (soon, later, forever, past) = (
        issue_of(&out[0]),
        issue_of(&out[1]),
        issue_of(&out[2]),
        issue_of(&out[3]),
    );
    let t = now();
    let until = |s: f64| {
        StatusChange::IgnoreUntil(IgnoreLimits {
            until: Some(s),
            ..Default::default()
        })
    };
    let issue = store.set_issue_status(soon, until(t + 60.0)).await.unwrap();
    assert_eq!(issue.ignore_limits.and_then(|l| l.until), Some(t + 60.0));
    store
        .set_issue_status(later, until(t + 7200.0))
        .await
        .unwrap();
    store
        .set_issue_status(forever, StatusChange::Ignore)
        .await
        .unwrap();

    assert_eq!(store.unignore_expired(t).await.unwrap(), 0);
    assert_eq!(store.unignore_expired(t + 120.0).await.unwrap(), 1);
    let issue = store.issue(soon).await.unwrap().unwrap();
    assert_eq!(issue.status, IssueStatus::Unresolved);
    assert_eq!(issue.substatus.as_deref(), Some("escalating"));
    assert_eq!(issue.ignore_limits, None);
    let kinds: Vec<String> = store
        .issue_activity(soon)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.kind)
        .collect();
    assert_eq!(kinds, ["first_seen", "set_status", "set_escalating"]);
    assert_eq!(
        store.issue(later).await.unwrap().unwrap().status,
        IssueStatus::Ignored
    );
    assert_eq!(
        store.issue(forever).await.unwrap().unwrap().status,
        IssueStatus::Ignored
    );
    assert_eq!(store.unignore_expired(t + 120.0).await.unwrap(), 0);

    // A time already past: the next event brings it back.
    store.set_issue_status(past, until(t - 1.0)).await.unwrap();
    write(&*store, vec![event(&*store, p, base + 5, &["past"])]).await;
    let issue = store.issue(past).await.unwrap().unwrap();
    assert_eq!(issue.status, IssueStatus::Unresolved);
    assert_eq!(issue.substatus.as_deref(), Some("escalating"));
}

pub async fn event_neighbours_and_traces_across_projects(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let (web, _) = store
        .create_project("default", "default", "web", None)
        .await
        .unwrap();
    let base = ids();
    let hex = |n: u64| format!("{:032x}", base + n);
    let mut issue = None;
    for n in 1..=3 {
        let out = write(&*store, vec![event(&*store, p, base + n, &["nb"])]).await;
        issue = Some(issue_of(&out[0]));
    }
    let issue = issue.unwrap();
    let rows: Vec<i64> = store
        .issue_events(issue, None, 10)
        .await
        .unwrap()
        .iter()
        .rev()
        .map(|e| e.row_id)
        .collect();
    assert_eq!(
        store.event_neighbours(issue, rows[0]).await.unwrap(),
        (None, Some(hex(2)))
    );
    assert_eq!(
        store.event_neighbours(issue, rows[1]).await.unwrap(),
        (Some(hex(1)), Some(hex(3)))
    );
    assert_eq!(
        store.event_neighbours(issue, rows[2]).await.unwrap(),
        (Some(hex(2)), None)
    );
    // Another issue's events are no neighbours.
    write(&*store, vec![event(&*store, p, base + 4, &["other"])]).await;
    assert_eq!(
        store.event_neighbours(issue, rows[2]).await.unwrap(),
        (Some(hex(2)), None)
    );

    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let t = now();
    let mut backend = event(&*store, p, base + 10, &["trace-backend"]);
    backend.trace_id = Some(trace.into());
    backend.timestamp = t - 2.0;
    let mut frontend = event(&*store, web.id, base + 11, &["trace-web"]);
    frontend.trace_id = Some(trace.into());
    frontend.timestamp = t - 1.0;
    let mut elsewhere = event(&*store, web.id, base + 12, &["trace-web"]);
    elsewhere.trace_id = Some("0".repeat(32));
    let out = write(&*store, vec![backend, frontend, elsewhere]).await;

    let found = store.trace_events(trace, 10).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].event_id, hex(11));
    assert_eq!(found[0].project_id, web.id);
    assert_eq!(found[0].project_slug, "web");
    assert_eq!(found[0].issue_id, issue_of(&out[1]));
    assert_eq!(found[0].title, "Error trace-web");
    assert_eq!(found[0].timestamp, t - 1.0);
    assert_eq!(found[1].event_id, hex(10));
    assert_eq!(found[1].project_slug, "default");
    assert_eq!(found[1].title, "Error trace-backend");
    assert_eq!(store.trace_events(trace, 1).await.unwrap().len(), 1);
    assert_eq!(
        store
            .trace_events(&trace.to_uppercase(), 10)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(store
        .trace_events(&"f".repeat(32), 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store.trace_events("not-hex", 10).await.unwrap().is_empty());
}

pub async fn releases_summaries_and_environments(db: &Db) {
    let store = db.open().await;
    let p = store.bootstrap().await.unwrap().project.id;
    let (web, _) = store
        .create_project("default", "default", "web", None)
        .await
        .unwrap();
    let base = ids();
    let t = now();
    let mk = |project, n: u64, hash: &str, ts: f64, release: &str, env: &str| {
        let mut e = event(&*store, project, base + n, &[hash]);
        e.timestamp = ts;
        e.release = Some(release.into());
        e.environment = Some(env.into());
        e
    };
    // Issue A: an old event and a recent one in 1.0, a recent one in 2.0.
    let a_old = mk(p, 1, "A", 1000.0, "1.0", "production");
    let a_new = mk(p, 2, "A", t - 50.0, "1.0", "staging");
    // Issue B: new in 2.0.
    let b = mk(p, 3, "B", t - 40.0, "2.0", "production");
    let a_two = mk(p, 4, "A", t - 20.0, "2.0", "production");
    // Another project's 1.0.
    let c = mk(web.id, 5, "C", t - 30.0, "1.0", "production");
    let out = write(&*store, vec![a_old, a_new, b.clone(), a_two, c]).await;
    let c_issue = issue_of(&out[4]);
    // A duplicate counts nowhere.
    let again = write(&*store, vec![b]).await;
    assert_eq!(again[0], faultline_store::EventOutcome::Duplicate);
    store
        .set_issue_status(c_issue, StatusChange::Resolve)
        .await
        .unwrap();

    let releases = store.list_releases(Some(p)).await.unwrap();
    let summary: Vec<(&str, i64, i64)> = releases
        .iter()
        .map(|r| (r.version.as_str(), r.events, r.new_issues))
        .collect();
    assert_eq!(summary, [("2.0", 2, 1), ("1.0", 2, 1)]);
    assert_eq!(releases[1].first_seen, 1000.0);
    assert_eq!(releases[1].last_seen, t - 50.0);
    assert_eq!(releases[0].project_id, p);
    let all: Vec<(i64, String)> = store
        .list_releases(None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.project_id.0, r.version))
        .collect();
    assert_eq!(
        all,
        [
            (web.id.0, "1.0".to_owned()),
            (p.0, "2.0".to_owned()),
            (p.0, "1.0".to_owned())
        ]
    );

    assert_eq!(
        store.list_environments(None).await.unwrap(),
        ["production", "staging"]
    );
    assert_eq!(
        store.list_environments(Some(web.id)).await.unwrap(),
        ["production"]
    );
    assert!(store
        .list_environments(Some(faultline_store::ProjectId(9999)))
        .await
        .unwrap()
        .is_empty());

    let summaries = store.project_summaries(t - 60.0).await.unwrap();
    assert_eq!(summaries.len(), 2);
    let (d, w) = (&summaries[0], &summaries[1]);
    assert_eq!(d.project.id, p);
    assert_eq!(d.environments, ["production", "staging"]);
    assert_eq!(d.events, 3, "the recent events, not the one from 1970");
    assert_eq!(d.new_issues, 1, "B; A was first seen long ago");
    assert_eq!(d.unresolved, 2);
    assert_eq!(w.project.slug, "web");
    assert_eq!(w.environments, ["production"]);
    assert_eq!((w.events, w.new_issues, w.unresolved), (1, 1, 0));
    let everything = store.project_summaries(0.0).await.unwrap();
    assert_eq!((everything[0].events, everything[0].new_issues), (4, 2));
}

pub async fn saved_searches_belong_to_their_user(db: &Db) {
    let store = db.open().await;
    let ada = store
        .create_user("saved-ada@example.com", "$argon2id$x", "member")
        .await
        .unwrap();
    let bob = store
        .create_user("saved-bob@example.com", "$argon2id$x", "member")
        .await
        .unwrap();
    let mine = store
        .save_search(ada.id, "  My errors ", "assignee=me&level=error")
        .await
        .unwrap();
    assert_eq!(mine.name, "My errors");
    assert_eq!(mine.user_id, ada.id);
    store.save_search(ada.id, "Alpha", "tab=new").await.unwrap();
    // The same name again replaces the query and keeps the id.
    let again = store
        .save_search(ada.id, "My errors", "assignee=me&level=fatal")
        .await
        .unwrap();
    assert_eq!(again.id, mine.id);
    let list = store.list_saved_searches(ada.id).await.unwrap();
    assert_eq!(
        list.iter()
            .map(|s| (s.name.as_str(), s.query.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("Alpha", "tab=new"),
            ("My errors", "assignee=me&level=fatal")
        ]
    );
    assert!(store.list_saved_searches(bob.id).await.unwrap().is_empty());
    // Someone else's, or unknown: NotFound, and nothing is deleted.
    assert!(matches!(
        store.delete_saved_search(bob.id, mine.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.list_saved_searches(ada.id).await.unwrap().len(), 2);
    store.delete_saved_search(ada.id, mine.id).await.unwrap();
    assert_eq!(store.list_saved_searches(ada.id).await.unwrap().len(), 1);
    for (name, query) in [
        ("", "a=1"),
        ("   ", "a=1"),
        (&"n".repeat(101) as &str, "a=1"),
    ] {
        assert!(matches!(
            store.save_search(ada.id, name, query).await,
            Err(StoreError::Invalid(_))
        ));
    }
    assert!(matches!(
        store.save_search(ada.id, "long", &"q".repeat(2001)).await,
        Err(StoreError::Invalid(_))
    ));
}
