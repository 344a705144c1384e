//! Size limits applied during normalization (Sentry's documented limits, PROTOCOL.md §1.8).
//! Lengths of strings are in characters, sizes of databags in serialized bytes.

/// Largest event payload accepted, in bytes (Relay's `max_event_size`).
pub const MAX_EVENT_SIZE: usize = 1 << 20;
/// `logentry.message` / `formatted`, exception values, breadcrumb messages.
pub const MESSAGE: usize = 8192;
/// Tag keys and values.
pub const TAG: usize = 200;
/// `culprit`.
pub const CULPRIT: usize = 200;
/// `transaction`.
pub const TRANSACTION: usize = 200;
/// `release`.
pub const RELEASE: usize = 200;
/// `dist`.
pub const DIST: usize = 64;
/// `environment`.
pub const ENVIRONMENT: usize = 64;
/// `logger`.
pub const LOGGER: usize = 64;
/// `server_name`.
pub const SERVER_NAME: usize = 256;
/// Exception `type` and `module`, thread names, mechanism types.
pub const EXCEPTION_TYPE: usize = 256;
/// Frame strings (`function`, `filename`, `module`, …) and breadcrumb `type`/`category`.
pub const FRAME_STRING: usize = 1024;
/// `context_line` and each line of `pre_context`/`post_context`.
pub const CONTEXT_LINE: usize = 1024;
/// Each string inside a frame's `vars`.
pub const VAR_STRING: usize = 2048;
/// Frames kept per stack trace (trimmed from the middle).
pub const MAX_FRAMES: usize = 250;
/// Breadcrumbs kept (the newest).
pub const MAX_BREADCRUMBS: usize = 100;
/// One `extra` value, serialized; also each string in breadcrumb `data` and `user.data`.
pub const EXTRA_VALUE: usize = 16 * 1024;
/// All of `extra`, serialized.
pub const EXTRA_TOTAL: usize = 256 * 1024;
/// One context, serialized, before its strings are cut to [`CONTEXT_STRING`].
pub const CONTEXT: usize = 8 * 1024;
/// Strings inside an oversized context.
pub const CONTEXT_STRING: usize = 1024;
/// All of `modules`, serialized.
pub const MODULES: usize = 64 * 1024;
/// `request.data` strings.
pub const REQUEST_BODY: usize = 8 * 1024;
/// Other request/user strings (`url`, header values, `email`, …).
pub const REQUEST_STRING: usize = 8 * 1024;
