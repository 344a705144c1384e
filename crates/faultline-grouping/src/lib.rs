//! Groups Sentry events into issues, the way Sentry's "newstyle" grouping does.
//!
//! An event (the canonical JSON of `docs/normalized-event.md`, or a raw SDK payload — shapes are
//! read tolerantly) goes in; [`group_event`] returns a [`Grouping`]: one or more md5 hashes, best
//! first, the variant that produced the primary hash, and the component tree behind it
//! ([`Components`], serialized to JSON on demand) for a "why was this grouped here" view.
//! [`issue_metadata`] gives the title, culprit and [`IssueKind`] the UI shows,
//! [`group_and_describe`] both at once for ingestion, and [`parameterize_message`] the message
//! normalization used for grouping.
//!
//! How an event is grouped (PROTOCOL.md §4):
//! * A custom `fingerprint` (no `{{ default }}`) is hashed on its own; variables such as
//!   `{{ type }}`, `{{ transaction }}` or `{{ tags.region }}` are resolved first.
//! * Otherwise the first strategy with data wins: chained exceptions (type + frames, or type +
//!   parameterized value when no frame contributes), then the single crashed/current thread, then
//!   the top-level stacktrace, then the parameterized message.
//! * Stack strategies give an `app` variant (in-app frames only) and a `system` variant (all
//!   frames); built-in rules mark library frames out of app (see `inapp.rs` for the precedence).
//! * A fingerprint that holds `{{ default }}` next to other values salts every variant.
//! * With nothing to group by, a fallback hash of the level is used: `hashes` is never empty.
//!
//! The crate is pure: no I/O, clock or randomness; the same event always gives the same hashes.
//!
//! ```
//! use faultline_grouping::{group_event, issue_metadata, GroupingConfig, IssueKind};
//! use serde_json::json;
//!
//! let event = |user: u32, line: u32| json!({
//!     "platform": "python",
//!     "exception": {"values": [{
//!         "type": "ValueError",
//!         "value": format!("user {user} not found"),
//!         "mechanism": {"type": "generic", "handled": true},
//!         "stacktrace": {"frames": [{
//!             "module": "shop.users", "function": "load_user", "lineno": line,
//!             "context_line": "    raise ValueError(f\"user {user_id} not found\")",
//!             "in_app": true
//!         }]}
//!     }]}
//! });
//! let config = GroupingConfig::default();
//! let a = group_event(&event(4711, 10), &config);
//! let b = group_event(&event(42, 12), &config);
//! assert_eq!(a.hashes[0], b.hashes[0]); // other id, other line: same issue
//! assert_eq!(a.variant, "app");
//! assert_eq!(a.hashes[0].len(), 32);
//!
//! let meta = issue_metadata(&event(4711, 10));
//! assert_eq!(meta.title, "ValueError: user 4711 not found");
//! assert_eq!(meta.culprit, "shop.users in load_user");
//! assert_eq!(meta.kind, IssueKind::Caught);
//! ```
#![deny(missing_docs)]

mod component;
mod event;
mod exception;
mod fingerprint;
mod frame;
mod inapp;
mod metadata;
mod normalize;
mod parameterize;
mod patterns;
mod stacktrace;
mod strategy;

use serde::Serialize;
use serde_json::Value;

pub use component::Components;
pub use metadata::{issue_metadata, IssueKind, IssueMetadata};

/// Id of the grouping algorithm, stored with every issue hash so that a later algorithm can
/// run side by side with this one.
pub const GROUPING_VERSION: &str = "newstyle:2023-01-11";

/// Project-level grouping settings.
///
/// The default applies the built-in stack-trace rules. Project fingerprint rules and stack
/// rules will be added here as further fields (the struct is `non_exhaustive`, so build it with
/// `GroupingConfig::default()` and set fields).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupingConfig {
    /// Apply the built-in stack-trace rules (library paths, framework packages, SDK and runtime
    /// internals). Default `true`.
    pub builtin_stack_rules: bool,
}

impl Default for GroupingConfig {
    fn default() -> Self {
        GroupingConfig {
            builtin_stack_rules: true,
        }
    }
}

/// The result of grouping one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grouping {
    /// The algorithm id, [`GROUPING_VERSION`].
    pub version: &'static str,
    /// 32-hex md5 hashes, best first (app variant, then system); never empty, no duplicates.
    pub hashes: Vec<String>,
    /// The variant of the primary hash: `app`, `system`, `default` (message), `fallback`,
    /// `custom-fingerprint`, or `hybrid-fingerprint+<variant>`.
    pub variant: String,
    /// The component tree behind the primary hash; its JSON (`to_string()`, serde) is
    /// `{"id", "contributes", "hint", "values": [child components or leaf strings]}`.
    pub components: Components,
}

/// Groups an event. Deterministic and total: any JSON value gives a grouping.
pub fn group_event(event: &Value, config: &GroupingConfig) -> Grouping {
    strategy::group(event, config)
}

/// [`group_event`] and [`issue_metadata`] in one call, for ingestion: the event's exceptions
/// and frames are read once for both.
pub fn group_and_describe(event: &Value, config: &GroupingConfig) -> (Grouping, IssueMetadata) {
    let platform = event::platform(event);
    match fingerprint::resolve(event) {
        fingerprint::Fingerprint::Custom(values) => {
            (strategy::custom(&values), issue_metadata(event))
        }
        fingerprint => {
            let chain = exception::Chain::new(event, platform, config);
            let grouping = strategy::group_with_chain(event, config, fingerprint, &chain);
            // The metadata reads frames under the default rules: share them only then.
            let shared = (*config == GroupingConfig::default()).then_some(&chain);
            let metadata = metadata::describe(event, platform, &chain.exceptions, shared);
            (grouping, metadata)
        }
    }
}

/// Normalizes a message for grouping (§4.8): keeps the first two non-blank lines (appending
/// `...` when anything was cut) and replaces e-mails, URLs, host names, IPs, trace ids, UUIDs,
/// hashes, dates, durations, hex and numbers with `<email>`, `<url>`, `<int>`, ….
///
/// ```
/// use faultline_grouping::parameterize_message;
/// assert_eq!(parameterize_message("Processed 12 items in 250ms"), "Processed <int> items in <duration>");
/// ```
pub fn parameterize_message(msg: &str) -> String {
    parameterize::normalize_message(msg)
}
