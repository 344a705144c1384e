//! Grouping tests on the golden corpus in `tests/golden/` (see its README): real SDK payloads
//! (sentry-python 2.75, @sentry/node 10.x; machine paths scrubbed to /app) and realistic
//! hand-written ones (browser, Java/Spring, Go), each with `<name>.expected.json`.
//!
//! * `corpus` — every payload against its expectation;
//!   `UPDATE_GOLDEN=1 cargo test -p faultline-grouping --test grouping` rewrites them (review
//!   every change by hand).
//! * `relations` — the properties that matter, stated explicitly: same bug with other ids → same
//!   hash, other exception type at the same line → other hash, messages differing in numbers →
//!   same hash, custom fingerprints ignore the stack, hybrid differs from default, library frames
//!   and line numbers do not move the app hash.
//! * `platforms` — per-platform normalizations and tolerance of odd shapes.

mod corpus;
mod platforms;
mod relations;

use std::fs;
use std::path::{Path, PathBuf};

use faultline_grouping::{group_event, Grouping, GroupingConfig};
use serde_json::Value;

pub(crate) fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

pub(crate) fn load(name: &str) -> Value {
    let path = golden_dir().join(format!("{name}.json"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

pub(crate) fn group(event: &Value) -> Grouping {
    group_event(event, &GroupingConfig::default())
}

pub(crate) fn primary(event: &Value) -> String {
    group(event).hashes[0].clone()
}

/// Every `*.json` payload (not `*.expected.json`) in the golden directory, by name.
pub(crate) fn golden_names() -> Vec<String> {
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

pub(crate) fn frames_mut(event: &mut Value, exception: usize) -> &mut Vec<Value> {
    let values = if event["exception"].is_array() {
        &mut event["exception"]
    } else {
        &mut event["exception"]["values"]
    };
    values[exception]["stacktrace"]["frames"]
        .as_array_mut()
        .expect("frames")
}
