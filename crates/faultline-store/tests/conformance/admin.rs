//! Organizations, projects, keys, tokens and users.

use faultline_store::{StoreError, ALL_SCOPES};

use crate::Db;

pub async fn bootstrap_is_idempotent(db: &Db) {
    let store = db.open().await;
    let first = store.bootstrap().await.unwrap();
    assert!(first.created);
    assert_eq!(first.org.slug, "default");
    assert_eq!(first.project.slug, "default");
    assert_eq!(first.key.project_id, first.project.id);
    assert!(first.key.active);
    let again = db.open().await.bootstrap().await.unwrap();
    assert!(!again.created);
    assert_eq!(again.project.id, first.project.id);
    assert_eq!(again.key.public_key, first.key.public_key);
    assert_eq!(store.list_projects().await.unwrap().len(), 1);
}

pub async fn projects_create_list_find_and_scrub(db: &Db) {
    let store = db.open().await;
    let boot = store.bootstrap().await.unwrap();
    let (p, key) = store
        .create_project("default", "default", "checkout", Some("python"))
        .await
        .unwrap();
    assert_eq!(p.slug, "checkout");
    assert_eq!(p.org_slug, "default");
    assert_eq!(p.platform.as_deref(), Some("python"));
    assert!(p.scrub_enabled);
    assert_eq!(key.project_id, p.id);
    assert_eq!(key.public_key.len(), 32);
    assert!(matches!(
        store
            .create_project("default", "default", "checkout", None)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .create_project("default", "default", "bad name!", None)
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.create_project("nope", "default", "x", None).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.create_project("default", "nope", "x", None).await,
        Err(StoreError::NotFound(_))
    ));
    let all = store.list_projects().await.unwrap();
    assert_eq!(
        all.iter().map(|p| p.slug.as_str()).collect::<Vec<_>>(),
        ["default", "checkout"]
    );
    assert_eq!(store.project(p.id).await.unwrap().unwrap().slug, "checkout");
    assert!(store
        .project(faultline_store::ProjectId(9999))
        .await
        .unwrap()
        .is_none());
    let found = store.project_by_slug("default", "checkout").await.unwrap();
    assert_eq!(found.map(|f| f.id), Some(p.id));
    assert!(store
        .project_by_slug("other", "checkout")
        .await
        .unwrap()
        .is_none());
    store
        .set_project_scrubbing(p.id, false, &["ssn".into(), "iban".into()])
        .await
        .unwrap();
    let p2 = store.project(p.id).await.unwrap().unwrap();
    assert!(!p2.scrub_enabled);
    assert_eq!(p2.scrub_extra_keys, ["ssn", "iban"]);
    assert!(matches!(
        store
            .set_project_scrubbing(faultline_store::ProjectId(9999), true, &[])
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store
            .project(boot.project.id)
            .await
            .unwrap()
            .unwrap()
            .scrub_enabled
    );
}

pub async fn keys_create_list_limit_and_revoke(db: &Db) {
    let store = db.open().await;
    let boot = store.bootstrap().await.unwrap();
    let k = store.create_key(boot.project.id, "second").await.unwrap();
    assert_eq!(k.label, "second");
    assert_eq!(k.rate_limit_count, None);
    let keys = store.list_keys(boot.project.id).await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].public_key, boot.key.public_key);
    store
        .set_key_rate_limit(k.id, Some((100, 60)))
        .await
        .unwrap();
    let found = store.key_by_public(&k.public_key).await.unwrap().unwrap();
    assert_eq!(
        (found.rate_limit_count, found.rate_limit_window),
        (Some(100), Some(60))
    );
    store.set_key_rate_limit(k.id, None).await.unwrap();
    store.revoke_key(k.id).await.unwrap();
    let found = store.key_by_public(&k.public_key).await.unwrap().unwrap();
    assert_eq!(found.rate_limit_count, None);
    assert!(!found.active);
    assert!(store
        .key_by_public("0".repeat(32).as_str())
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        store
            .create_key(faultline_store::ProjectId(9999), "x")
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        k.dsn("http://127.0.0.1:8000"),
        format!("http://{}@127.0.0.1:8000/{}", k.public_key, boot.project.id)
    );
}

pub async fn tokens_and_users(db: &Db) {
    let store = db.open().await;
    store.bootstrap().await.unwrap();
    let scopes: Vec<String> = vec!["event:read".into(), "project:write".into()];
    let (token, secret) = store.create_token("ci", &scopes).await.unwrap();
    assert!(secret.starts_with("flt_"));
    let found = store.token_by_secret(&secret).await.unwrap().unwrap();
    assert_eq!(found.id, token.id);
    assert_eq!(found.scopes, scopes);
    assert!(found.allows("project:read") && !found.allows("event:write"));
    assert!(store.token_by_secret("flt_nope").await.unwrap().is_none());
    assert!(matches!(
        store.create_token("x", &["nope:read".into()]).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.create_token(" ", &[]).await,
        Err(StoreError::Invalid(_))
    ));
    let all: Vec<String> = ALL_SCOPES.iter().map(|s| s.to_string()).collect();
    let (_, s2) = store.create_token("all", &all).await.unwrap();
    assert_ne!(s2, secret);

    assert_eq!(store.count_users().await.unwrap(), 0);
    let u = store
        .create_user("admin@localhost", "$argon2id$…", "admin")
        .await
        .unwrap();
    assert_eq!(
        (u.email.as_str(), u.role.as_str()),
        ("admin@localhost", "admin")
    );
    assert_eq!(store.count_users().await.unwrap(), 1);
    assert!(matches!(
        store.create_user("admin@localhost", "h", "member").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.create_user("not-an-email", "h", "member").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.create_user("a@b", "h", "root").await,
        Err(StoreError::Invalid(_))
    ));
}
