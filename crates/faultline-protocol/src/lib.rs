//! `faultline-protocol`: the Sentry wire protocol as pure functions over bytes and JSON.
//!
//! Everything an ingest endpoint needs between the HTTP request and the digest queue, with no
//! I/O, clock or randomness (callers pass the receive time and a fallback event id):
//!
//! * [`auth`]: the public key from `X-Sentry-Auth`, `Authorization` or `?sentry_key=`
//!   ([`Auth`]);
//! * [`dsn`]: DSNs and the endpoint URLs derived from them ([`Dsn`]);
//! * [`decode`]: `Content-Encoding` (gzip, deflate, br, zstd) and legacy `/store/` bodies,
//!   streamed under a hard size cap;
//! * [`envelope`]: byte-exact envelope framing ([`Envelope`], [`Item`]);
//! * [`event`]: lenient event parsing and normalization into the canonical shape of
//!   `docs/normalized-event.md` ([`normalize_event`], [`NormalizedEvent`]);
//! * [`json`]: JSON text to `serde_json::Value` and back (serde_json's bytes, written with
//!   fewer instructions);
//! * [`scrub`]: secrets and card numbers replaced by `[Filtered]` ([`ScrubConfig`]);
//! * [`session`]: release-health sessions and client reports.
//!
//! Untrusted input never panics: every failure is a typed error.
//!
//! # Example
//!
//! ```
//! use faultline_protocol::{normalize_event, Envelope, Level, NormalizeOptions};
//!
//! // What a browser SDK sends: no `length` on the event item.
//! let body = b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"sent_at\":\"2023-11-14T22:13:19Z\"}\n\
//! {\"type\":\"event\"}\n\
//! {\"exception\":[{\"type\":\"TypeError\",\"value\":\"x is undefined\"}],\"platform\":\"javascript\",\
//! \"tags\":{\"route\":\"/cart\"},\"user\":{\"id\":42}}\n";
//!
//! let envelope = Envelope::parse(body)?;
//! let item = envelope.event_item().expect("an event item");
//!
//! let mut opts = NormalizeOptions::new(1_700_000_000.0, "0123456789abcdef0123456789abcdef");
//! opts.sent_at = envelope.headers.sent_at;
//! opts.event_id = envelope.headers.event_id.clone();
//! let event = normalize_event(item.payload, &opts)?;
//!
//! assert_eq!(event.event_id, "9ec79c33ec9942ab8353589fcb2e04dc");
//! assert_eq!(event.level, Level::Error);
//! assert_eq!(event.platform, "javascript");
//! assert_eq!(event.user_key.as_deref(), Some("id:42"));
//! assert_eq!(event.tag("route"), Some("/cart"));
//! assert_eq!(event.data["type"], "error");
//! assert_eq!(event.data["exception"]["values"][0]["type"], "TypeError");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod auth;
pub mod decode;
pub mod dsn;
pub mod envelope;
pub mod event;
mod id;
mod json;
pub mod scrub;
pub mod session;
mod time;

pub use auth::{auth_from_query, parse_auth_header, parse_authorization_header, Auth, AuthError};
pub use decode::{decode_body, decode_store_body, DecodeError};
pub use dsn::{Dsn, DsnError};
pub use envelope::{Envelope, EnvelopeError, EnvelopeHeaders, Item};
pub use event::{
    normalize_event, normalize_value, EventError, Level, NormalizeOptions, NormalizedEvent,
    MAX_EVENT_SIZE,
};
pub use id::normalize_event_id;
pub use scrub::{scrub_event, ScrubConfig};
pub use session::{
    parse_client_report, parse_session_item, DiscardedCount, SessionCounts, SessionError,
};
pub use time::{format_rfc3339, parse_timestamp, parse_timestamp_str};
