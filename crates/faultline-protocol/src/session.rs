//! Release health and client reports: `session`, `sessions` and `client_report` items
//! (PROTOCOL.md §2.4).
//!
//! A `session` item is one update of one session; a `sessions` item is pre-aggregated counts.
//! Both become [`SessionCounts`] rows that callers add up per (release, environment, minute).
//! Single updates are counted without state, by these rules:
//!
//! * `total` is 1 when `init` is true (the session's first update), else 0;
//! * the final status lands in one bucket: `crashed`, `abnormal`, `errored`, or `exited` —
//!   an `exited` session with `errors > 0` counts as `errored`;
//! * `ok` updates contribute nothing but `total`.
//!
//! SDKs send the terminal status once per session, so counts are exact for them. (The browser
//! SDK never ends its sessions; its errored-but-ok sessions are not counted as errored.)

use serde_json::{Map, Value};

use crate::time::parse_timestamp;

/// Session counts for one release, environment and start time.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionCounts {
    /// `attrs.release` (`""` when missing).
    pub release: String,
    /// `attrs.environment` (`""` when missing).
    pub environment: String,
    /// When the session(s) started, Unix seconds.
    pub started: f64,
    /// Sessions started.
    pub total: u64,
    /// Sessions that ended with handled errors.
    pub errored: u64,
    /// Sessions that crashed (unhandled error).
    pub crashed: u64,
    /// Sessions that ended abnormally (killed, hung).
    pub abnormal: u64,
    /// Sessions that ended cleanly.
    pub exited: u64,
}

/// One line of a client report: events the SDK dropped and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscardedCount {
    /// `ratelimit_backoff`, `queue_overflow`, `network_error`, `sample_rate`, …
    pub reason: String,
    /// Data category: `error`, `transaction`, `session`, `attachment`, …
    pub category: String,
    /// How many.
    pub quantity: u64,
}

/// Why a session or client-report payload was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// Not JSON.
    #[error("payload is not valid JSON: {0}")]
    InvalidJson(String),
    /// JSON but not an object.
    #[error("payload is not a JSON object")]
    NotAnObject,
    /// A session update without a usable `started` (or `timestamp`).
    #[error("session has no valid 'started' time")]
    MissingStarted,
    /// `aggregates` is not a list.
    #[error("session aggregates must be a list")]
    InvalidAggregates,
}

/// Parses a `session` or `sessions` item payload (told apart by the `aggregates` key).
/// Rows that count nothing are left out. Aggregate entries without a valid `started` are
/// skipped.
pub fn parse_session_item(payload: &[u8]) -> Result<Vec<SessionCounts>, SessionError> {
    let map = parse_object(payload)?;
    let attrs = map.get("attrs");
    let attr = |key: &str| {
        attrs
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let (release, environment) = (attr("release"), attr("environment"));
    let Some(aggregates) = map.get("aggregates") else {
        return single_update(&map, release, environment).map(|c| c.into_iter().collect());
    };
    let Value::Array(aggregates) = aggregates else {
        return Err(SessionError::InvalidAggregates);
    };
    let rows = aggregates
        .iter()
        .filter_map(|entry| {
            let started = entry.get("started").and_then(parse_timestamp)?;
            let count = |key: &str| entry.get(key).map_or(0, count_value);
            let (exited, errored, abnormal, crashed) = (
                count("exited"),
                count("errored"),
                count("abnormal"),
                count("crashed"),
            );
            let total = exited
                .saturating_add(errored)
                .saturating_add(abnormal)
                .saturating_add(crashed);
            Some(SessionCounts {
                release: release.clone(),
                environment: environment.clone(),
                started,
                total,
                errored,
                crashed,
                abnormal,
                exited,
            })
        })
        .filter(|row| row.total > 0)
        .collect();
    Ok(rows)
}

fn single_update(
    map: &Map<String, Value>,
    release: String,
    environment: String,
) -> Result<Option<SessionCounts>, SessionError> {
    let started = map
        .get("started")
        .and_then(parse_timestamp)
        .or_else(|| map.get("timestamp").and_then(parse_timestamp))
        .ok_or(SessionError::MissingStarted)?;
    let init = map.get("init").and_then(Value::as_bool).unwrap_or(false);
    let errors = map.get("errors").map_or(0, count_value);
    let status = map.get("status").and_then(Value::as_str).unwrap_or("ok");
    let mut row = SessionCounts {
        release,
        environment,
        started,
        total: u64::from(init),
        errored: 0,
        crashed: 0,
        abnormal: 0,
        exited: 0,
    };
    match status {
        "crashed" => row.crashed = 1,
        "abnormal" => row.abnormal = 1,
        "errored" => row.errored = 1,
        "exited" if errors > 0 => row.errored = 1,
        "exited" => row.exited = 1,
        _ => {}
    }
    let counts_something = row.total + row.errored + row.crashed + row.abnormal + row.exited > 0;
    Ok(counts_something.then_some(row))
}

/// Parses a `client_report` item: its `discarded_events`. Entries with a zero or invalid
/// quantity are skipped; a missing reason or category becomes `""`.
pub fn parse_client_report(payload: &[u8]) -> Result<Vec<DiscardedCount>, SessionError> {
    let map = parse_object(payload)?;
    let Some(Value::Array(discarded)) = map.get("discarded_events") else {
        return Ok(Vec::new());
    };
    let text = |entry: &Value, key: &str| {
        let mut s = entry
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if let Some((cut, _)) = s.char_indices().nth(64) {
            s.truncate(cut);
        }
        s
    };
    Ok(discarded
        .iter()
        .filter_map(|entry| {
            let quantity = entry.get("quantity").map_or(0, count_value);
            (quantity > 0).then(|| DiscardedCount {
                reason: text(entry, "reason"),
                category: text(entry, "category"),
                quantity,
            })
        })
        .collect())
}

fn parse_object(payload: &[u8]) -> Result<Map<String, Value>, SessionError> {
    match serde_json::from_slice(payload) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(SessionError::NotAnObject),
        Err(e) => Err(SessionError::InvalidJson(e.to_string())),
    }
}

/// A count: non-negative integers (floats truncated); anything else is 0.
fn count_value(value: &Value) -> u64 {
    value
        .as_u64()
        .or_else(|| {
            value
                .as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64)
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STARTED: f64 = 1_795_236_428.0; // 2026-11-21T04:47:08Z

    fn one(payload: &str) -> Option<SessionCounts> {
        let rows = parse_session_item(payload.as_bytes()).unwrap();
        assert!(rows.len() <= 1);
        rows.into_iter().next()
    }

    #[test]
    fn single_update_init_exited() {
        let row = one(r#"{"sid":"1a931835-f129-4f4d-922a-14e64c0bff4c","init":true,"started":"2026-11-21T04:47:08Z","timestamp":"2026-11-21T04:48:00Z","status":"exited","errors":0,"did":"42","attrs":{"release":"shop@1.4.2","environment":"production"}}"#).unwrap();
        assert_eq!(
            row,
            SessionCounts {
                release: "shop@1.4.2".into(),
                environment: "production".into(),
                started: STARTED,
                total: 1,
                errored: 0,
                crashed: 0,
                abnormal: 0,
                exited: 1,
            }
        );
    }

    #[test]
    fn single_update_statuses() {
        let update = |init: bool, status: &str, errors: u32| {
            one(&format!(
                r#"{{"init":{init},"started":{STARTED},"status":"{status}","errors":{errors},"attrs":{{"release":"r"}}}}"#
            ))
        };
        let buckets = |row: Option<SessionCounts>| {
            row.map(|r| (r.total, r.errored, r.crashed, r.abnormal, r.exited))
        };
        assert_eq!(buckets(update(true, "ok", 0)), Some((1, 0, 0, 0, 0)));
        assert_eq!(
            buckets(update(false, "ok", 3)),
            None,
            "ok updates only count the start"
        );
        assert_eq!(buckets(update(false, "exited", 2)), Some((0, 1, 0, 0, 0)));
        assert_eq!(buckets(update(true, "exited", 2)), Some((1, 1, 0, 0, 0)));
        assert_eq!(buckets(update(false, "crashed", 1)), Some((0, 0, 1, 0, 0)));
        assert_eq!(buckets(update(false, "abnormal", 0)), Some((0, 0, 0, 1, 0)));
        assert_eq!(buckets(update(false, "errored", 1)), Some((0, 1, 0, 0, 0)));
        assert_eq!(buckets(update(false, "exited", 0)), Some((0, 0, 0, 0, 1)));
        assert_eq!(buckets(update(false, "weird", 0)), None);
    }

    #[test]
    fn single_update_without_attrs_or_started() {
        let row = one(r#"{"init":true,"timestamp":1795236428}"#).unwrap();
        assert_eq!(
            (row.release.as_str(), row.environment.as_str(), row.started),
            ("", "", STARTED)
        );
        assert_eq!(
            parse_session_item(br#"{"init":true}"#),
            Err(SessionError::MissingStarted)
        );
    }

    #[test]
    fn aggregates() {
        let rows = parse_session_item(
            br#"{"attrs":{"release":"app@2","environment":"staging"},"aggregates":[
                {"started":"2026-11-21T04:47:08Z","did":"u1","exited":10,"errored":2,"crashed":1},
                {"started":"2026-11-21T04:48:08Z","abnormal":1.0,"exited":-4},
                {"started":"bad","exited":3},
                {"started":"2026-11-21T04:49:08Z"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[0].total,
                rows[0].exited,
                rows[0].errored,
                rows[0].crashed,
                rows[0].abnormal
            ),
            (13, 10, 2, 1, 0)
        );
        assert_eq!(rows[0].started, STARTED);
        assert_eq!(rows[0].release, "app@2");
        assert_eq!(rows[0].environment, "staging");
        assert_eq!((rows[1].total, rows[1].abnormal, rows[1].exited), (1, 1, 0));
        assert_eq!(rows[1].started, STARTED + 60.0);
        assert_eq!(
            parse_session_item(br#"{"aggregates":{}}"#),
            Err(SessionError::InvalidAggregates)
        );
    }

    #[test]
    fn invalid_payloads() {
        assert!(matches!(
            parse_session_item(b"nope"),
            Err(SessionError::InvalidJson(_))
        ));
        assert_eq!(parse_session_item(b"[]"), Err(SessionError::NotAnObject));
        assert!(matches!(
            parse_client_report(b"{"),
            Err(SessionError::InvalidJson(_))
        ));
    }

    #[test]
    fn client_reports() {
        let counts = parse_client_report(
            br#"{"timestamp":"2026-11-21T04:47:08Z","discarded_events":[
                {"reason":"ratelimit_backoff","category":"error","quantity":3},
                {"reason":"sample_rate","category":"transaction","quantity":0},
                {"reason":"queue_overflow","quantity":2.0},
                "junk"
            ]}"#,
        )
        .unwrap();
        assert_eq!(
            counts,
            vec![
                DiscardedCount {
                    reason: "ratelimit_backoff".into(),
                    category: "error".into(),
                    quantity: 3
                },
                DiscardedCount {
                    reason: "queue_overflow".into(),
                    category: "".into(),
                    quantity: 2
                },
            ]
        );
        assert_eq!(parse_client_report(br#"{"timestamp":1}"#), Ok(vec![]));
    }
}
