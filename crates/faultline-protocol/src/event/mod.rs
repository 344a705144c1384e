//! Event normalization: whatever an SDK sent, folded into the one canonical shape described in
//! `docs/normalized-event.md`, plus the handful of fields the rest of Faultline indexes.
//!
//! Steps, in order: parse; scrub ([`crate::scrub`]) before anything else reads the data;
//! resolve legacy `sentry.interfaces.*` aliases; pick the event id; correct clock drift and
//! clamp the timestamp; fold lenient shapes (exceptions, threads, breadcrumbs, message, tags,
//! user, request, …); apply size limits; infer `type`; derive tags and the user key.

mod derive;
mod fields;
mod interfaces;
mod level;
pub mod limits;
mod stack;

use serde_json::{Map, Value};

pub use self::level::{Level, UnknownLevel};
pub use self::limits::MAX_EVENT_SIZE;
use crate::id::normalize_event_id;
use crate::scrub::{scrub_event, ScrubConfig};
use crate::time::{format_rfc3339, parse_timestamp};

/// Timestamps older than this before receipt are replaced by the receive time (30 days).
pub const MAX_SECS_IN_PAST: f64 = 30.0 * 24.0 * 3600.0;
/// Timestamps further than this after receipt are replaced by the receive time.
pub const MAX_SECS_IN_FUTURE: f64 = 60.0;
/// `sent_at` must differ from the receive time by at least this much to count as clock drift.
pub const MIN_CLOCK_DRIFT: f64 = 55.0 * 60.0;

/// Valid platforms (Relay's list); anything else becomes `other`.
pub const VALID_PLATFORMS: &[&str] = &[
    "as3",
    "c",
    "cfml",
    "cocoa",
    "csharp",
    "elixir",
    "go",
    "groovy",
    "haskell",
    "java",
    "javascript",
    "native",
    "node",
    "objc",
    "other",
    "perl",
    "php",
    "python",
    "ruby",
];

/// What every legacy alias starts with.
const LEGACY_PREFIX: &str = "sentry.interfaces.";

const LEGACY_ALIASES: &[(&str, &str)] = &[
    ("sentry.interfaces.Exception", "exception"),
    ("sentry.interfaces.Message", "logentry"),
    ("sentry.interfaces.Stacktrace", "stacktrace"),
    ("sentry.interfaces.Http", "request"),
    ("sentry.interfaces.User", "user"),
    ("sentry.interfaces.Breadcrumbs", "breadcrumbs"),
    ("sentry.interfaces.Contexts", "contexts"),
    ("sentry.interfaces.Template", "template"),
    ("sentry.interfaces.Threads", "threads"),
    ("sentry.interfaces.DebugMeta", "debug_meta"),
];

/// What the caller knows that the payload does not. Pure code reads no clock: the receive
/// time and a fallback id come from here.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizeOptions {
    /// When the server received the event, Unix seconds.
    pub received_at: f64,
    /// The envelope's `sent_at`, for clock-drift correction.
    pub sent_at: Option<f64>,
    /// The envelope header's event id; wins over the payload's.
    pub event_id: Option<String>,
    /// Used when neither the envelope nor the payload has a valid id (caller-generated).
    pub fallback_event_id: String,
    /// The client's address, substituted for `{{auto}}`.
    pub client_ip: Option<String>,
    /// Scrubbing rules.
    pub scrub: ScrubConfig,
}

impl NormalizeOptions {
    /// Options with only the required fields; scrubbing on by default.
    pub fn new(received_at: f64, fallback_event_id: impl Into<String>) -> Self {
        NormalizeOptions {
            received_at,
            sent_at: None,
            event_id: None,
            fallback_event_id: fallback_event_id.into(),
            client_ip: None,
            scrub: ScrubConfig::default(),
        }
    }
}

/// An event in canonical form plus the fields Faultline indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizedEvent {
    /// 32 lowercase hex.
    pub event_id: String,
    /// Unix seconds, corrected and clamped.
    pub timestamp: f64,
    /// The event's level.
    pub level: Level,
    /// A platform from [`VALID_PLATFORMS`].
    pub platform: String,
    /// `release`, when sent.
    pub release: Option<String>,
    /// `environment`, when sent.
    pub environment: Option<String>,
    /// `server_name`, when sent.
    pub server_name: Option<String>,
    /// `transaction`, when sent.
    pub transaction: Option<String>,
    /// The event's tags and the derived ones, as in `data.tags`.
    pub tags: Vec<(String, String)>,
    /// Identity for counting distinct users: `id:…`, `email:…`, `username:…` or `ip:…`.
    pub user_key: Option<String>,
    /// `sdk.name`.
    pub sdk_name: Option<String>,
    /// `sdk.version`.
    pub sdk_version: Option<String>,
    /// `contexts.trace.trace_id` as 32 lowercase hex.
    pub trace_id: Option<String>,
    /// The canonical event object (`docs/normalized-event.md`).
    pub data: Value,
}

impl NormalizedEvent {
    /// The value of a tag.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Why an event payload was rejected. Everything else is normalized leniently.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Over [`MAX_EVENT_SIZE`].
    #[error("event is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Payload size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not JSON.
    #[error("event is not valid JSON: {message}")]
    InvalidJson {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The parser's message (including the position).
        message: String,
    },
    /// JSON, but not an object.
    #[error("event payload is not a JSON object")]
    NotAnObject,
}

/// Parses, scrubs and normalizes an event payload (an `event` or `transaction` item, or a
/// `/store/` body).
///
/// ```
/// use faultline_protocol::event::{normalize_event, Level, NormalizeOptions};
/// let opts = NormalizeOptions::new(1_700_000_000.0, "0123456789abcdef0123456789abcdef");
/// let event = normalize_event(br#"{"message":"boom","level":"warn","tags":{"a":1}}"#, &opts).unwrap();
/// assert_eq!(event.level, Level::Warning);
/// assert_eq!(event.data["logentry"]["formatted"], "boom");
/// assert_eq!(event.tag("a"), Some("1"));
/// ```
pub fn normalize_event(
    payload: &[u8],
    opts: &NormalizeOptions,
) -> Result<NormalizedEvent, EventError> {
    if payload.len() > MAX_EVENT_SIZE {
        return Err(EventError::TooLarge {
            size: payload.len(),
            limit: MAX_EVENT_SIZE,
        });
    }
    let value = crate::json::from_slice(payload).map_err(|e| EventError::InvalidJson {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    normalize_value(value, opts)
}

/// Like [`normalize_event`] for an already-parsed value (no size check).
pub fn normalize_value(
    mut value: Value,
    opts: &NormalizeOptions,
) -> Result<NormalizedEvent, EventError> {
    if !value.is_object() {
        return Err(EventError::NotAnObject);
    }
    scrub_event(&mut value, &opts.scrub);
    match value {
        Value::Object(map) => Ok(normalize_map(map, opts)),
        _ => Err(EventError::NotAnObject),
    }
}

fn normalize_map(mut ev: Map<String, Value>, opts: &NormalizeOptions) -> NormalizedEvent {
    use self::fields::{normalize_field, string_field};

    if ev.keys().any(|key| key.starts_with(LEGACY_PREFIX)) {
        for (alias, name) in LEGACY_ALIASES {
            if let Some(value) = ev.remove(*alias) {
                ev.entry(*name).or_insert(value);
            }
        }
    }

    let event_id = opts
        .event_id
        .as_deref()
        .and_then(normalize_event_id)
        .or_else(|| {
            ev.get("event_id")
                .and_then(Value::as_str)
                .and_then(normalize_event_id)
        })
        .or_else(|| normalize_event_id(&opts.fallback_event_id))
        .unwrap_or_else(|| opts.fallback_event_id.clone());
    set_field(&mut ev, "event_id", Value::String(event_id.clone()));

    let is_transaction = ev.get("type").and_then(Value::as_str) == Some("transaction");
    let (timestamp, drift) = normalize_timestamps(&mut ev, opts);

    let default_level = if is_transaction {
        Level::Info
    } else {
        Level::Error
    };
    let level = ev
        .get("level")
        .and_then(Level::from_json)
        .unwrap_or(default_level);
    set_field(&mut ev, "level", Value::String(level.as_str().into()));

    let platform = ev
        .get("platform")
        .and_then(Value::as_str)
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| VALID_PLATFORMS.contains(&p.as_str()))
        .unwrap_or_else(|| "other".into());
    set_field(&mut ev, "platform", Value::String(platform.clone()));

    let logentry = interfaces::normalize_logentry(ev.remove("logentry"), ev.remove("message"));
    set(&mut ev, "logentry", logentry);
    normalize_field(&mut ev, "exception", stack::normalize_exceptions);
    normalize_field(&mut ev, "threads", stack::normalize_threads);
    normalize_field(&mut ev, "stacktrace", stack::normalize_stacktrace);
    normalize_field(&mut ev, "breadcrumbs", |b| {
        stack::normalize_breadcrumbs(b, drift)
    });
    normalize_field(&mut ev, "fingerprint", interfaces::normalize_fingerprint);
    let client_ip = opts.client_ip.as_deref();
    normalize_field(&mut ev, "user", |u| {
        interfaces::normalize_user(u, client_ip)
    });
    normalize_field(&mut ev, "request", |r| {
        interfaces::normalize_request(r, client_ip)
    });
    normalize_field(&mut ev, "contexts", interfaces::normalize_contexts);
    normalize_field(&mut ev, "extra", interfaces::normalize_extra);
    normalize_field(&mut ev, "modules", interfaces::normalize_modules);
    normalize_field(&mut ev, "sdk", interfaces::normalize_sdk);

    let release = string_field(&mut ev, "release", limits::RELEASE);
    string_field(&mut ev, "dist", limits::DIST);
    let environment = string_field(&mut ev, "environment", limits::ENVIRONMENT);
    let server_name = string_field(&mut ev, "server_name", limits::SERVER_NAME);
    let transaction = string_field(&mut ev, "transaction", limits::TRANSACTION);
    string_field(&mut ev, "logger", limits::LOGGER);
    string_field(&mut ev, "culprit", limits::CULPRIT);

    if !is_transaction {
        let has_exception = ev.contains_key("exception");
        let kind = if has_exception { "error" } else { "default" };
        set_field(&mut ev, "type", Value::String(kind.into()));
    }

    let user_key = derive::user_key(&ev);
    // Taken, not removed: the key is reused for the normalized tags below.
    let own_tags = interfaces::collect_tags(ev.get_mut("tags").map(std::mem::take));
    let tags = derive::merge_tags(own_tags, &ev, level, user_key.as_deref());
    let tag_pairs = tags
        .iter()
        .map(|(k, v)| Value::Array(vec![Value::String(k.clone()), Value::String(v.clone())]))
        .collect();
    set_field(&mut ev, "tags", Value::Array(tag_pairs));

    let sdk_str = |key: &str| {
        ev.get("sdk")
            .and_then(|s| s.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (sdk_name, sdk_version) = (sdk_str("name"), sdk_str("version"));
    let trace_id = derive::trace_id(&ev);

    NormalizedEvent {
        event_id,
        timestamp,
        level,
        platform,
        release,
        environment,
        server_name,
        transaction,
        tags,
        user_key,
        sdk_name,
        sdk_version,
        trace_id,
        data: Value::Object(ev),
    }
}

/// Corrects clock drift, clamps, and writes `timestamp`, `start_timestamp` and `received`.
/// Returns the timestamp and the drift applied to every SDK time (0 when none).
fn normalize_timestamps(ev: &mut Map<String, Value>, opts: &NormalizeOptions) -> (f64, f64) {
    let received = opts.received_at;
    let mut errors: Vec<Value> = match ev.remove("errors") {
        Some(Value::Array(errors)) => errors,
        _ => Vec::new(),
    };
    let drift = opts
        .sent_at
        .map(|sent_at| received - sent_at)
        .filter(|d| d.is_finite() && d.abs() >= MIN_CLOCK_DRIFT)
        .unwrap_or(0.0);
    let sdk_time = ev.get("timestamp").and_then(parse_timestamp);
    if drift != 0.0 {
        errors.push(time_error(
            "clock_drift",
            opts.sent_at.unwrap_or(received),
            received,
        ));
    }
    let mut timestamp = sdk_time
        .map(|t| t + drift)
        .filter(|t| t.is_finite())
        .unwrap_or(received);
    if timestamp < received - MAX_SECS_IN_PAST || timestamp > received + MAX_SECS_IN_FUTURE {
        let kind = if timestamp < received {
            "past_timestamp"
        } else {
            "future_timestamp"
        };
        errors.push(time_error(kind, timestamp, received));
        timestamp = received;
    }
    set_field(ev, "timestamp", Value::from(timestamp));
    if let Some(start) = ev.get("start_timestamp").map(parse_timestamp) {
        match start.map(|t| t + drift).filter(|t| t.is_finite()) {
            Some(start) => set_field(ev, "start_timestamp", Value::from(start)),
            None => {
                ev.remove("start_timestamp");
            }
        }
    }
    set_field(ev, "received", Value::from(received));
    if !errors.is_empty() {
        ev.insert("errors".into(), Value::Array(errors));
    }
    (timestamp, drift)
}

fn time_error(kind: &str, sdk_time: f64, server_time: f64) -> Value {
    let mut error = Map::new();
    error.insert("type".into(), Value::String(kind.into()));
    error.insert("name".into(), Value::String("timestamp".into()));
    let format = |t: f64| format_rfc3339(t).map_or(Value::from(t), Value::String);
    error.insert("sdk_time".into(), format(sdk_time));
    error.insert("server_time".into(), format(server_time));
    Value::Object(error)
}

fn set(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        set_field(map, key, value);
    }
}

/// Sets a field, keeping the key already there rather than allocating a new one.
fn set_field(map: &mut Map<String, Value>, key: &str, value: Value) {
    match map.get_mut(key) {
        Some(slot) => *slot = value,
        None => {
            map.insert(key.to_owned(), value);
        }
    }
}

#[cfg(test)]
mod tests;
