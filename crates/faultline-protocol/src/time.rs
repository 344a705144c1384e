//! Timestamps as SDKs send them: float/int Unix seconds or RFC 3339 strings.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde_json::Value;

/// Parses a timestamp from JSON: a number of Unix seconds, a numeric string, or an RFC 3339
/// string (with `Z`, an offset such as `+02:00` or `+0200`, or naive and then taken as UTC;
/// `T` or a space between date and time). Returns `None` for anything else, NaN or infinity.
pub fn parse_timestamp(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64().filter(|f| f.is_finite()),
        Value::String(s) => parse_timestamp_str(s),
        _ => None,
    }
}

/// Parses a timestamp string; see [`parse_timestamp`].
pub fn parse_timestamp_str(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(f) = s.parse::<f64>() {
        return f.is_finite().then_some(f);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(unix_secs(dt.timestamp(), dt.timestamp_subsec_nanos()));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(dt) = DateTime::parse_from_str(s, format) {
            return Some(unix_secs(dt.timestamp(), dt.timestamp_subsec_nanos()));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, format) {
            let dt = naive.and_utc();
            return Some(unix_secs(dt.timestamp(), dt.timestamp_subsec_nanos()));
        }
    }
    None
}

fn unix_secs(secs: i64, nanos: u32) -> f64 {
    secs as f64 + f64::from(nanos) / 1e9
}

/// Formats Unix seconds as RFC 3339 UTC with microseconds (`2026-11-21T04:47:08.421761Z`),
/// the form sentry-python sends. Returns `None` when the value is out of chrono's range.
pub fn format_rfc3339(secs: f64) -> Option<String> {
    if !secs.is_finite() {
        return None;
    }
    let whole = secs.floor();
    let mut micros = ((secs - whole) * 1e6).round() as i64;
    let mut whole = whole as i64;
    if micros >= 1_000_000 {
        whole = whole.saturating_add(1);
        micros -= 1_000_000;
    }
    let nanos = u32::try_from(micros * 1000).ok()?;
    let dt: DateTime<Utc> = DateTime::from_timestamp(whole, nanos)?;
    Some(dt.to_rfc3339_opts(SecondsFormat::Micros, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-5)
    }

    #[test]
    fn parses_numbers_and_strings() {
        assert!(close(
            parse_timestamp(&json!(1_700_000_000)),
            1_700_000_000.0
        ));
        assert!(close(
            parse_timestamp(&json!(1_700_000_000.25)),
            1_700_000_000.25
        ));
        assert!(close(
            parse_timestamp(&json!("1700000000.5")),
            1_700_000_000.5
        ));
        assert!(close(
            parse_timestamp(&json!("2023-11-14T22:13:20Z")),
            1_700_000_000.0
        ));
        assert!(close(
            parse_timestamp(&json!("2023-11-14T22:13:20.123456Z")),
            1_700_000_000.123456
        ));
        assert!(close(
            parse_timestamp(&json!("2023-11-14T23:13:20+01:00")),
            1_700_000_000.0
        ));
        assert!(close(
            parse_timestamp(&json!("2023-11-14T23:13:20.5+0100")),
            1_700_000_000.5
        ));
        assert!(close(
            parse_timestamp(&json!("2023-11-14T22:13:20")),
            1_700_000_000.0
        ));
        assert!(close(
            parse_timestamp(&json!("2023-11-14 22:13:20.250")),
            1_700_000_000.25
        ));
        assert!(close(
            parse_timestamp(&json!("2023-11-14T22:13:20.123456789Z")),
            1_700_000_000.123_457
        ));
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_timestamp(&json!(null)), None);
        assert_eq!(parse_timestamp(&json!("yesterday")), None);
        assert_eq!(parse_timestamp(&json!("")), None);
        assert_eq!(parse_timestamp(&json!("NaN")), None);
        assert_eq!(parse_timestamp(&json!("inf")), None);
        assert_eq!(parse_timestamp(&json!([1])), None);
    }

    #[test]
    fn formats_round_trip() {
        let s = format_rfc3339(1_700_000_000.421_761).unwrap_or_default();
        assert_eq!(s, "2023-11-14T22:13:20.421761Z");
        assert!(close(parse_timestamp_str(&s), 1_700_000_000.421_761));
        assert_eq!(format_rfc3339(f64::NAN), None);
        assert_eq!(format_rfc3339(1e300), None);
        assert_eq!(
            format_rfc3339(0.9999999).as_deref(),
            Some("1970-01-01T00:00:01.000000Z")
        );
    }
}
