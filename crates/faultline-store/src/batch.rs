//! What the digest service hands the store: one batch, one transaction.

use std::sync::Arc;

use crate::model::{IssueId, ProjectId};

/// Text that is worked out only if it is needed: most events join an existing issue, and
/// writing out what only a new issue keeps would be wasted on them.
#[derive(Clone)]
pub struct LazyText(Arc<dyn Fn() -> String + Send + Sync>);

impl LazyText {
    /// Text from `f`, called once for every time the text is needed.
    pub fn new(f: impl Fn() -> String + Send + Sync + 'static) -> Self {
        LazyText(Arc::new(f))
    }

    /// Text that is already known.
    pub fn ready(text: impl Into<String>) -> Self {
        let text: String = text.into();
        LazyText(Arc::new(move || text.clone()))
    }

    /// The text.
    pub fn text(&self) -> String {
        (self.0)()
    }
}

impl std::fmt::Debug for LazyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LazyText(…)")
    }
}

/// A processed event, ready to store.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Project.
    pub project_id: ProjectId,
    /// Event id, 32 lowercase hex.
    pub event_id: String,
    /// Fingerprint hashes, best first; the first one already linked to an issue wins.
    pub hashes: Vec<String>,
    /// Grouping algorithm id.
    pub grouping_version: String,
    /// Grouping variant of the primary hash.
    pub grouping_variant: String,
    /// Grouping component tree (JSON), kept with a new issue; only worked out for the event
    /// that creates one.
    pub grouping_components: LazyText,
    /// Issue title.
    pub title: String,
    /// Issue culprit.
    pub culprit: String,
    /// `uncaught`, `caught`, `logged` or `message`.
    pub kind: String,
    /// Level.
    pub level: String,
    /// Platform.
    pub platform: String,
    /// Metadata JSON object for the issue.
    pub metadata: String,
    /// Event time, Unix seconds.
    pub timestamp: f64,
    /// Receive time, Unix seconds.
    pub received: f64,
    /// Release, if any.
    pub release: Option<String>,
    /// Environment, if any.
    pub environment: Option<String>,
    /// Stable identity of the affected user, if any.
    pub user_key: Option<String>,
    /// Trace id (`contexts.trace.trace_id`, 32 lowercase hex), if any.
    pub trace_id: Option<String>,
    /// Tags (the event's own and derived ones).
    pub tags: Vec<(String, String)>,
    /// Compressed payload (see [`crate::codec`]).
    pub payload: Vec<u8>,
    /// The dictionary the payload was compressed with, if any.
    pub payload_dict: Option<i64>,
    /// Attachments that came with the event.
    pub attachments: Vec<NewAttachment>,
}

/// An attachment stored with its event.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    /// File name.
    pub filename: String,
    /// Content type, if given.
    pub content_type: Option<String>,
    /// `event.attachment`, `event.minidump`, … .
    pub attachment_type: String,
    /// The bytes.
    pub data: Vec<u8>,
}

/// The SDK instance behind an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AgentSeen {
    /// Project.
    pub project_id: ProjectId,
    /// Environment or `""`.
    pub environment: String,
    /// Host or `""`.
    pub server_name: String,
    /// SDK name or `""`.
    pub sdk_name: String,
    /// SDK version or `""`.
    pub sdk_version: String,
    /// Release or `""`.
    pub release: String,
}

/// Session counts for one hour of one release and environment.
#[derive(Debug, Clone)]
pub struct SessionUpdate {
    /// Project.
    pub project_id: ProjectId,
    /// Release.
    pub release: String,
    /// Environment.
    pub environment: String,
    /// Any time inside the hour, Unix seconds.
    pub started: f64,
    /// Sessions started.
    pub total: u64,
    /// Errored.
    pub errored: u64,
    /// Crashed.
    pub crashed: u64,
    /// Abnormal.
    pub abnormal: u64,
    /// Exited.
    pub exited: u64,
}

/// What an SDK reported it dropped.
#[derive(Debug, Clone)]
pub struct DiscardUpdate {
    /// Project.
    pub project_id: ProjectId,
    /// Report time, Unix seconds.
    pub timestamp: f64,
    /// Reason.
    pub reason: String,
    /// Category.
    pub category: String,
    /// Quantity.
    pub quantity: u64,
}

/// Everything one group commit writes.
#[derive(Debug, Default, Clone)]
pub struct WriteBatch {
    /// Events.
    pub events: Vec<NewEvent>,
    /// SDK instances seen, with the time they were seen.
    pub agents: Vec<(AgentSeen, f64)>,
    /// Sessions.
    pub sessions: Vec<SessionUpdate>,
    /// Client reports.
    pub discards: Vec<DiscardUpdate>,
}

impl WriteBatch {
    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.agents.is_empty()
            && self.sessions.is_empty()
            && self.discards.is_empty()
    }

    /// Appends another batch.
    pub fn extend(&mut self, other: WriteBatch) {
        self.events.extend(other.events);
        self.agents.extend(other.agents);
        self.sessions.extend(other.sessions);
        self.discards.extend(other.discards);
    }
}

/// What happened to one event of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    /// Stored; `new_issue` when it created its issue, `regressed` when it reopened it.
    Stored {
        /// The issue.
        issue_id: IssueId,
        /// It created the issue.
        new_issue: bool,
        /// It reopened a resolved issue.
        regressed: bool,
    },
    /// An event with this id was already stored in this project.
    Duplicate,
}

/// The outcome of one batch, in the order of `WriteBatch::events`.
#[derive(Debug, Clone, Default)]
pub struct BatchOutcome {
    /// One outcome per event.
    pub events: Vec<EventOutcome>,
}
