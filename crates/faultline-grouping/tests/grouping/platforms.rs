//! Platform-specific normalizations (chains, Java codegen, browser URLs), issue kinds, and
//! tolerance of odd or hostile event shapes.

use faultline_grouping::{issue_metadata, IssueKind};
use serde_json::{json, Value};

use crate::{golden_names, group, load, primary};

// ---- platform specifics ----------------------------------------------------------------------

#[test]
fn chained_exceptions_hash_every_exception() {
    let chained = load("python-chained");
    let g = group(&chained);
    assert_eq!(g.components["id"], json!("chained-exception"));
    let text = g.components.to_string();
    assert!(text.contains("\"ValueError\"") && text.contains("\"RuntimeError\""));
    assert_ne!(g.hashes[0], primary(&load("python-valueerror-a")));
    assert_eq!(
        issue_metadata(&chained).title,
        "RuntimeError: could not load profile"
    );
}

#[test]
fn java_generated_code_is_normalized() {
    let event = load("java-spring-chained");
    let g = group(&event);
    assert_eq!(g.variant, "app");
    let text = g.components.to_string();
    assert!(
        text.contains("UserController$$SpringCGLIB$$<auto>"),
        "{text}"
    );
    assert!(
        text.contains("ignored java lambda") && text.contains("ignored lambda function"),
        "{text}"
    );
    // A new JVM run renumbers lambdas, proxies and accessors: same issue.
    let rerun: Value = serde_json::from_str(
        &event
            .to_string()
            .replace("$$Lambda/0x00007f3c1c4a2b18", "$$Lambda/0x00007f11aa00ff30")
            .replace("GeneratedMethodAccessor187", "GeneratedMethodAccessor12")
            .replace("jdk.proxy2.$Proxy142", "jdk.proxy3.$Proxy97"),
    )
    .expect("json");
    assert_eq!(group(&rerun).hashes, g.hashes);
    let meta = issue_metadata(&event);
    assert_eq!(
        meta.culprit,
        "com.example.shop.users.UserService in lambda$register$0"
    );
    assert_eq!(meta.kind, IssueKind::Uncaught);
}

#[test]
fn browser_urls_and_cdn_frames() {
    let event = load("browser-chrome-a");
    let g = group(&event);
    let text = g.components.to_string();
    assert!(
        !text.contains("\"main.8d2e1f3c.js\"")
            || text.contains("ignored because frame points to a URL")
    );
    // A new build renames the bundle: URL filenames do not contribute, so same issue.
    let rebuilt: Value = serde_json::from_str(
        &event
            .to_string()
            .replace("main.8d2e1f3c.js", "main.0b7e55aa.js"),
    )
    .expect("json");
    assert_eq!(group(&rebuilt).hashes[0], g.hashes[0]);
    // CDN library frames are not app code even though the browser SDK flagged them in_app.
    let cdn_changed: Value =
        serde_json::from_str(&event.to_string().replace("\"ze\"", "\"Qe\"")).expect("json");
    assert_eq!(group(&cdn_changed).hashes[0], g.hashes[0]);
}

#[test]
fn issue_kinds_of_real_payloads() {
    let kind = |n: &str| issue_metadata(&load(n)).kind;
    assert_eq!(kind("python-uncaught"), IssueKind::Uncaught);
    assert_eq!(kind("python-valueerror-a"), IssueKind::Caught);
    assert_eq!(kind("python-logging-a"), IssueKind::Logged);
    assert_eq!(kind("python-message"), IssueKind::Message);
    assert_eq!(kind("node-message"), IssueKind::Message);
    assert_eq!(kind("browser-chrome-a"), IssueKind::Uncaught);
    let m = issue_metadata(&load("python-valueerror-a"));
    assert_eq!(m.exception_type.as_deref(), Some("ValueError"));
    assert_eq!(m.handled, Some(true));
    assert_eq!(m.function.as_deref(), Some("load_user"));
    assert_eq!(m.filename.as_deref(), Some("app.py"));
}

// ---- tolerance -------------------------------------------------------------------------------

#[test]
fn exception_shapes_group_identically() {
    let event = load("python-valueerror-a");
    let values = event["exception"]["values"].clone();
    let mut bare = event.clone();
    bare["exception"] = values.clone();
    let mut single = event.clone();
    single["exception"] = values[0].clone();
    let h = group(&event).hashes;
    assert_eq!(group(&bare).hashes, h);
    assert_eq!(group(&single).hashes, h);
}

#[test]
fn empty_and_hostile_events_never_panic() {
    let fallback = group(&json!({}));
    assert_eq!(fallback.variant, "fallback");
    assert_eq!(fallback.hashes.len(), 1);
    for weird in [
        json!(null),
        json!([]),
        json!("x"),
        json!(42),
        json!({"exception": null, "threads": 5, "stacktrace": [], "message": {}, "fingerprint": {}}),
        json!({"exception": {"values": [null, 1, "x", {"stacktrace": {"frames": [null, 3, {}, {"function": 5}]}}]}}),
        json!({"exception": [{"type": "E", "stacktrace": {"frames": {"not": "a list"}}}]}),
        json!({"threads": {"values": [{"crashed": true, "stacktrace": {"frames": [{"function": "f", "in_app": "yes"}]}}]}}),
        json!({"logentry": {"message": 3, "formatted": ["x"]}, "tags": "nope", "fingerprint": [null, {}, []]}),
        json!({"exception": [{"type": "E", "mechanism": {"exception_id": 0, "parent_id": 0, "is_exception_group": true}},
                             {"type": "F", "mechanism": {"exception_id": 1, "parent_id": 1, "is_exception_group": true}}]}),
    ] {
        let g = group(&weird);
        assert!(!g.hashes.is_empty(), "{weird}");
        let _ = issue_metadata(&weird);
    }
    // Every golden payload with each top-level field in turn replaced by junk.
    for name in golden_names() {
        let event = load(&name);
        let Some(obj) = event.as_object() else {
            continue;
        };
        for key in obj.keys() {
            for junk in [
                json!(null),
                json!(7),
                json!("s"),
                json!([null]),
                json!({"values": "x"}),
            ] {
                let mut broken = event.clone();
                broken[key.as_str()] = junk;
                assert!(!group(&broken).hashes.is_empty());
                let _ = issue_metadata(&broken);
            }
        }
    }
}
