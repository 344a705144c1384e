//! Golden corpus: real SDK payloads (sentry-python 2.75, @sentry/node 10.x, machine paths
//! scrubbed to /app) and realistic hand-written ones (browser, Java/Spring, Go) under
//! `tests/golden/<name>.json`, each with `<name>.expected.json` (hash, hashes, variant, title,
//! culprit, kind). `UPDATE_GOLDEN=1 cargo test -p faultline-grouping --test golden` rewrites the
//! expectations; review every change by hand. The relations that matter are explicit tests below.

use std::fs;
use std::path::{Path, PathBuf};

use faultline_grouping::{
    group_event, issue_metadata, parameterize_message, Grouping, GroupingConfig, IssueKind,
    GROUPING_VERSION,
};
use serde_json::{json, Value};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

fn load(name: &str) -> Value {
    let path = golden_dir().join(format!("{name}.json"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

fn group(event: &Value) -> Grouping {
    group_event(event, &GroupingConfig::default())
}

fn primary(event: &Value) -> String {
    group(event).hashes[0].clone()
}

fn summary(event: &Value) -> Value {
    let g = group(event);
    let m = issue_metadata(event);
    json!({
        "hash": g.hashes[0],
        "hashes": g.hashes,
        "variant": g.variant,
        "title": m.title,
        "culprit": m.culprit,
        "kind": m.kind.as_str(),
    })
}

/// Every `*.json` payload (not `*.expected.json`) in the golden directory, by name.
fn golden_names() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(golden_dir())
        .expect("golden dir")
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|f| f.ends_with(".json") && !f.ends_with(".expected.json"))
        .map(|f| f.trim_end_matches(".json").to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn golden_files_match_expectations() {
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let names = golden_names();
    assert!(names.len() >= 20, "golden corpus shrank: {names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let got = summary(&load(name));
        let path = golden_dir().join(format!("{name}.expected.json"));
        if update {
            let text = serde_json::to_string_pretty(&got).expect("serialize") + "\n";
            fs::write(&path, text).expect("write expectation");
            continue;
        }
        let expected: Value = fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        if expected != got {
            failures.push(format!("{name}:\n  expected {expected}\n  got      {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "golden mismatches (UPDATE_GOLDEN=1 to rewrite, then review):\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_golden_event_groups_with_a_hash() {
    for name in golden_names() {
        let g = group(&load(&name));
        assert_eq!(g.version, GROUPING_VERSION);
        assert!(!g.hashes.is_empty(), "{name}");
        assert!(
            g.hashes
                .iter()
                .all(|h| h.len() == 32 && h.chars().all(|c| c.is_ascii_hexdigit())),
            "{name}"
        );
        assert_eq!(g.components["contributes"], json!(true), "{name}");
    }
}

// ---- same bug, different ids → same issue --------------------------------------------------

#[test]
fn same_bug_with_different_ids_in_the_message_groups_together() {
    for (a, b) in [
        ("python-valueerror-a", "python-valueerror-b"),
        ("node-error-a", "node-error-b"),
        ("browser-chrome-a", "browser-chrome-b"),
    ] {
        let (ea, eb) = (load(a), load(b));
        assert_ne!(
            issue_metadata(&ea).title,
            issue_metadata(&eb).title,
            "{a}: payloads should differ"
        );
        assert_eq!(group(&ea).hashes, group(&eb).hashes, "{a} vs {b}");
    }
}

#[test]
fn exception_value_with_different_ids_groups_together_without_frames() {
    let mut a = load("python-valueerror-a");
    let mut b = load("python-valueerror-b");
    for e in [&mut a, &mut b] {
        e["exception"]["values"][0]["stacktrace"] = Value::Null;
    }
    let (ga, gb) = (group(&a), group(&b));
    assert_eq!(ga.hashes, gb.hashes);
    assert!(ga
        .components
        .to_string()
        .contains("User <int> not found (request <uuid>)"));
}

// ---- different exception types at the same line → different issues -------------------------

#[test]
fn different_exception_types_at_the_same_line_are_different_issues() {
    for (a, b) in [
        ("python-keyerror", "python-typeerror"),
        ("node-typeerror", "node-rangeerror"),
    ] {
        let (ea, eb) = (load(a), load(b));
        let line = |e: &Value| {
            e["exception"]["values"][0]["stacktrace"]["frames"]
                .as_array()
                .and_then(|f| f.last())
                .map(|f| f["lineno"].clone())
        };
        assert_eq!(
            line(&ea),
            line(&eb),
            "{a}/{b} must be raised from the same line"
        );
        let (ga, gb) = (group(&ea), group(&eb));
        assert!(
            ga.hashes.iter().all(|h| !gb.hashes.contains(h)),
            "{a} vs {b}"
        );
    }
}

// ---- messages ----------------------------------------------------------------------------

#[test]
fn messages_differing_only_in_numbers_group_together() {
    let (a, b) = (load("python-logging-a"), load("python-logging-b"));
    assert_eq!(primary(&a), primary(&b));
    assert_eq!(group(&a).variant, "default");
    // The formatted message alone (no template) normalizes the same way.
    let fa = json!({"logentry": {"formatted": "Processed 12 items"}});
    let fb = json!({"logentry": {"formatted": "Processed 97 items"}});
    assert_eq!(primary(&fa), primary(&fb));
    assert_ne!(
        primary(&fa),
        primary(&json!({"logentry": {"formatted": "Skipped 12 items"}}))
    );
    assert_eq!(
        parameterize_message("Retrying job 4412 after 250ms"),
        "Retrying job <int> after <duration>"
    );
    let mut node_b = load("node-message");
    node_b["message"] = json!("Retrying job 9 after 1500ms");
    assert_eq!(primary(&load("node-message")), primary(&node_b));
}

// ---- fingerprints --------------------------------------------------------------------------

#[test]
fn custom_fingerprint_hash_ignores_the_stack() {
    let event = load("python-fingerprint-custom");
    let g = group(&event);
    assert_eq!(g.variant, "custom-fingerprint");
    let mut other = event.clone();
    other["exception"]["values"][0]["type"] = json!("SomethingElse");
    other["exception"]["values"][0]["stacktrace"]["frames"] =
        json!([{"module": "x", "function": "y", "in_app": true}]);
    assert_eq!(group(&other).hashes, g.hashes);
    let message_only = json!({"message": "unrelated", "fingerprint": ["database-unavailable"]});
    assert_eq!(group(&message_only).hashes, g.hashes);
    // Not the default grouping of the same event.
    let mut default = event.clone();
    default["fingerprint"] = Value::Null;
    assert_ne!(primary(&default), g.hashes[0]);
}

#[test]
fn hybrid_fingerprint_differs_from_default_and_from_custom() {
    let hybrid = load("python-fingerprint-hybrid");
    let g = group(&hybrid);
    assert_eq!(g.variant, "hybrid-fingerprint+app");
    let mut default = hybrid.clone();
    default["fingerprint"] = Value::Null;
    let d = group(&default);
    assert!(g.hashes.iter().all(|h| !d.hashes.contains(h)));
    let mut custom = hybrid.clone();
    custom["fingerprint"] = json!(["tenant-a"]);
    assert_ne!(primary(&custom), g.hashes[0]);
    // Another tenant is another issue; the same tenant with another user id is the same one.
    let mut other_tenant = hybrid.clone();
    other_tenant["fingerprint"] = json!(["{{default}}", "tenant-b"]);
    assert_ne!(primary(&other_tenant), g.hashes[0]);
    let mut only_default = hybrid.clone();
    only_default["fingerprint"] = json!(["{{ default }}"]);
    assert_eq!(group(&only_default).hashes, d.hashes);
}

// ---- in-app / library frames ---------------------------------------------------------------

fn frames_mut(event: &mut Value, exception: usize) -> &mut Vec<Value> {
    let values = if event["exception"].is_array() {
        &mut event["exception"]
    } else {
        &mut event["exception"]["values"]
    };
    values[exception]["stacktrace"]["frames"]
        .as_array_mut()
        .expect("frames")
}

#[test]
fn library_frames_do_not_change_the_app_hash() {
    // Python: a call through site-packages (the SDK marks those in_app: false, or leaves them unset).
    let base = load("python-valueerror-a");
    let mut with_lib = base.clone();
    frames_mut(&mut with_lib, 0).insert(0, json!({
        "abs_path": "/usr/lib/python3.11/site-packages/celery/app/task.py", "filename": "celery/app/task.py",
        "module": "celery.app.task", "function": "__call__", "lineno": 411, "context_line": "        return self.run(*args, **kwargs)"}));
    let mut lib_upgraded = with_lib.clone();
    frames_mut(&mut lib_upgraded, 0)[0]["context_line"] =
        json!("        return self.run(*args, **kwargs)  # v6");
    frames_mut(&mut lib_upgraded, 0)[0]["function"] = json!("__call_wrapped__");
    let (g0, g1, g2) = (group(&base), group(&with_lib), group(&lib_upgraded));
    assert_eq!(g0.hashes[0], g1.hashes[0]);
    assert_eq!(g1.hashes[0], g2.hashes[0]);
    assert_eq!(g1.variant, "app");
    assert_ne!(
        g1.hashes.get(1),
        g2.hashes.get(1),
        "the system hash does see library code"
    );

    // Node: frames under node_modules.
    let base = load("node-error-a");
    let mut with_lib = base.clone();
    let frames = frames_mut(&mut with_lib, 0);
    let at = frames.len() - 1;
    frames.insert(at, json!({"filename": "/app/node_modules/express/lib/router/layer.js", "module": "express.lib.router:layer",
        "function": "Layer.handle [as handle_request]", "lineno": 95, "colno": 5, "in_app": false,
        "context_line": "    fn(req, res, next);"}));
    assert_eq!(primary(&base), primary(&with_lib));

    // Go: the SDK flags go/pkg/mod frames in_app; a router upgrade must not split the issue.
    let (a, b) = (
        group(&load("go-wrapped-pq-a")),
        group(&load("go-wrapped-pq-b")),
    );
    assert_eq!(a.variant, "app");
    assert_eq!(a.hashes[0], b.hashes[0]);
    assert_ne!(a.hashes.get(1), b.hashes.get(1));
}

#[test]
fn line_number_changes_alone_do_not_change_the_hash() {
    for name in [
        "python-valueerror-a",
        "node-error-a",
        "java-spring-chained",
        "go-wrapped-pq-a",
        "browser-chrome-a",
    ] {
        let base = load(name);
        let mut moved = base.clone();
        let count = if moved["exception"].is_array() {
            moved["exception"].as_array().map_or(0, Vec::len)
        } else {
            moved["exception"]["values"].as_array().map_or(0, Vec::len)
        };
        for i in 0..count {
            let values = if moved["exception"].is_array() {
                &mut moved["exception"]
            } else {
                &mut moved["exception"]["values"]
            };
            if let Some(frames) = values[i]["stacktrace"]["frames"].as_array_mut() {
                for f in frames {
                    if let Some(n) = f["lineno"].as_i64() {
                        f["lineno"] = json!(n + 17);
                    }
                    if let Some(n) = f["colno"].as_i64() {
                        f["colno"] = json!(n + 3);
                    }
                }
            }
        }
        assert_eq!(group(&base).hashes, group(&moved).hashes, "{name}");
    }
}

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
