//! The grouping properties that matter, each stated as its own test on real payloads.

use faultline_grouping::{issue_metadata, parameterize_message};
use serde_json::{json, Value};

use crate::{frames_mut, group, load, primary};

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
