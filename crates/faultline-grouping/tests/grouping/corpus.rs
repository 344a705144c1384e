//! Every golden payload against its `<name>.expected.json`.

use std::fs;

use faultline_grouping::{issue_metadata, GROUPING_VERSION};
use serde_json::{json, Value};

use crate::{golden_dir, golden_names, group, load};

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
