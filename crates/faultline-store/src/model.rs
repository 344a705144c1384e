//! Domain records the store reads and writes.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// An organization's id.
    OrgId,
    /// A team's id.
    TeamId,
    /// A project's id; also the number in its DSN.
    ProjectId,
    /// A DSN key's id.
    KeyId,
    /// An issue's id.
    IssueId,
    /// A user's id.
    UserId,
    /// An API token's id.
    TokenId,
);

/// An organization.
#[derive(Debug, Clone, Serialize)]
pub struct Organization {
    /// Id.
    pub id: OrgId,
    /// URL slug, `default` for the first one.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Creation time, Unix seconds.
    pub created_at: f64,
}

/// A team inside an organization.
#[derive(Debug, Clone, Serialize)]
pub struct Team {
    /// Id.
    pub id: TeamId,
    /// Owning organization.
    pub org_id: OrgId,
    /// URL slug.
    pub slug: String,
    /// Display name.
    pub name: String,
}

/// A project (a service, in the seeds' words).
#[derive(Debug, Clone, Serialize)]
pub struct Project {
    /// Id; also the number in the DSN.
    pub id: ProjectId,
    /// Owning organization.
    pub org_id: OrgId,
    /// Slug of the owning organization.
    pub org_slug: String,
    /// Owning team, if any.
    pub team_id: Option<TeamId>,
    /// URL slug; the name the project was created with.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Platform hint (`python`, `node`, …).
    pub platform: Option<String>,
    /// Creation time, Unix seconds.
    pub created_at: f64,
    /// Whether server-side PII scrubbing runs (on by default).
    pub scrub_enabled: bool,
    /// Extra key names to scrub besides the built-in ones.
    pub scrub_extra_keys: Vec<String>,
}

/// A DSN key: authorizes ingest into one project.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectKey {
    /// Id.
    pub id: KeyId,
    /// The project it sends to.
    pub project_id: ProjectId,
    /// The public key of the DSN (32 lowercase hex).
    pub public_key: String,
    /// A human label.
    pub label: String,
    /// At most this many events per `rate_limit_window` seconds, when set.
    pub rate_limit_count: Option<u32>,
    /// The rate limit's window in seconds.
    pub rate_limit_window: Option<u32>,
    /// Revoked keys are kept but refused.
    pub active: bool,
    /// Creation time, Unix seconds.
    pub created_at: f64,
}

impl ProjectKey {
    /// The DSN for this key, served from `base_url` (`http://host:port`).
    pub fn dsn(&self, base_url: &str) -> String {
        let (scheme, host) = base_url.split_once("://").unwrap_or(("http", base_url));
        format!(
            "{scheme}://{}@{}/{}",
            self.public_key,
            host.trim_end_matches('/'),
            self.project_id
        )
    }
}

/// An API token (the secret itself is never stored, only its hash).
#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    /// Id.
    pub id: TokenId,
    /// A human name.
    pub name: String,
    /// Granted scopes, e.g. `event:read`.
    pub scopes: Vec<String>,
    /// Creation time, Unix seconds.
    pub created_at: f64,
}

impl ApiToken {
    /// Whether the token grants `scope` (`x:admin` implies `x:write` implies `x:read`).
    pub fn allows(&self, scope: &str) -> bool {
        let (area, level) = scope.split_once(':').unwrap_or((scope, "read"));
        let rank = |l: &str| match l {
            "read" => 0,
            "write" => 1,
            "admin" => 2,
            _ => 3,
        };
        self.scopes.iter().any(|s| {
            let (a, l) = s.split_once(':').unwrap_or((s, "read"));
            a == area && rank(l) >= rank(level) && rank(l) < 3
        })
    }
}

/// The scopes a token gets when none are asked for: read and write on everything.
pub const ALL_SCOPES: &[&str] = &[
    "org:read",
    "org:write",
    "org:admin",
    "project:read",
    "project:write",
    "project:admin",
    "team:read",
    "team:write",
    "member:read",
    "event:read",
    "event:write",
    "event:admin",
    "project:releases",
];

/// A user who can sign in.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Email, the sign-in name.
    pub email: String,
    /// `admin` or `member`.
    pub role: String,
}

/// An issue's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueStatus {
    /// Open.
    Unresolved,
    /// Fixed; a new event reopens it as regressed.
    Resolved,
    /// Muted: events are counted but the issue stays hidden.
    Ignored,
}

impl IssueStatus {
    /// The name used in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueStatus::Unresolved => "unresolved",
            IssueStatus::Resolved => "resolved",
            IssueStatus::Ignored => "ignored",
        }
    }

    /// Parses the name used in the database and the API.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "unresolved" => Some(IssueStatus::Unresolved),
            "resolved" => Some(IssueStatus::Resolved),
            "ignored" | "muted" => Some(IssueStatus::Ignored),
            _ => None,
        }
    }
}

/// One issue: events that share a fingerprint in one project.
#[derive(Debug, Clone, Serialize)]
pub struct Issue {
    /// Id.
    pub id: IssueId,
    /// Owning project.
    pub project_id: ProjectId,
    /// Grouping algorithm that created it.
    pub grouping_version: String,
    /// Which grouping variant made the primary hash (`app`, `system`, …).
    pub grouping_variant: String,
    /// The grouping component tree (JSON) that made the primary hash.
    pub grouping_components: String,
    /// The primary fingerprint hash.
    pub primary_hash: String,
    /// Title (`Type: value` or the message).
    pub title: String,
    /// Where it happened: the last in-app frame.
    pub culprit: String,
    /// `uncaught`, `caught`, `logged` or `message`.
    pub kind: String,
    /// Level of the latest event.
    pub level: String,
    /// Platform of the first event.
    pub platform: String,
    /// Extra metadata (JSON object: `type`, `value`, `function`, `filename`).
    pub metadata: String,
    /// Status.
    pub status: IssueStatus,
    /// `new`, `regressed`, `ongoing`, … .
    pub substatus: Option<String>,
    /// Set when resolved "in next release": the latest release at resolve time.
    pub resolved_in_release: Option<String>,
    /// True when resolved in next release.
    pub resolved_in_next_release: bool,
    /// When it was last resolved, Unix seconds.
    pub resolved_at: Option<f64>,
    /// First event's time, Unix seconds.
    pub first_seen: f64,
    /// Latest event's time, Unix seconds.
    pub last_seen: f64,
    /// Number of events.
    pub times_seen: i64,
    /// Number of distinct users.
    pub users_seen: i64,
    /// Release of the first event.
    pub first_release: Option<String>,
    /// Release of the latest event.
    pub last_release: Option<String>,
    /// Who it is assigned to.
    pub assignee: Option<Assignee>,
    /// While ignored until a condition: what is left of it — the time, and how many more
    /// events and distinct users bring it back from now. `None` otherwise.
    pub ignore_limits: Option<crate::query::IgnoreLimits>,
}

/// Who an issue is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Assignee {
    /// A user.
    User(UserId),
    /// A team.
    Team(TeamId),
}

/// A signed-in browser session.
#[derive(Debug, Clone)]
pub struct UserSession {
    /// Who.
    pub user: User,
    /// The token every form must echo.
    pub csrf: String,
    /// When it ends, Unix seconds.
    pub expires_at: f64,
}

/// A saved view of the issue list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedSearch {
    /// Id.
    pub id: i64,
    /// Owner.
    pub user_id: UserId,
    /// Name shown in the list.
    pub name: String,
    /// The issue list's URL query (`tab=…&query=…`).
    pub query: String,
    /// When saved, Unix seconds.
    pub created_at: f64,
}

/// A team with its members.
#[derive(Debug, Clone, Serialize)]
pub struct TeamMembers {
    /// The team.
    pub team: Team,
    /// Its members, by email.
    pub members: Vec<User>,
}

/// One entry of an issue's activity log.
#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    /// Row id.
    pub id: i64,
    /// Issue.
    pub issue_id: IssueId,
    /// `first_seen`, `set_status`, `set_regression`, `set_escalating`, `assigned`, `unassigned`,
    /// `note`.
    pub kind: String,
    /// Details (JSON object; a note has `text`, an assignment `assignee` as
    /// `{"type":"user"|"team","id":N,"name":…}`, a status change `status`, …).
    pub data: String,
    /// Who did it (none for the system).
    pub user: Option<User>,
    /// When, Unix seconds.
    pub created_at: f64,
}

/// An event found by trace id.
#[derive(Debug, Clone, Serialize)]
pub struct TraceEvent {
    /// Project.
    pub project_id: ProjectId,
    /// Project slug.
    pub project_slug: String,
    /// Issue.
    pub issue_id: IssueId,
    /// The issue's title.
    pub title: String,
    /// Event id.
    pub event_id: String,
    /// Event time, Unix seconds.
    pub timestamp: f64,
}

/// A release with its counts.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseSummary {
    /// Project.
    pub project_id: ProjectId,
    /// Version string.
    pub version: String,
    /// First event, Unix seconds.
    pub first_seen: f64,
    /// Latest event, Unix seconds.
    pub last_seen: f64,
    /// Events stored with this release.
    pub events: i64,
    /// Issues first seen in this release.
    pub new_issues: i64,
}

/// A project with what arrived recently.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectSummary {
    /// The project.
    pub project: Project,
    /// Environments seen, sorted.
    pub environments: Vec<String>,
    /// Events since the asked time.
    pub events: i64,
    /// Issues first seen since the asked time.
    pub new_issues: i64,
    /// Unresolved issues.
    pub unresolved: i64,
}

/// A stored event, payload decompressed.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Row id (cursor for pagination).
    pub row_id: i64,
    /// Project.
    pub project_id: ProjectId,
    /// Issue it belongs to.
    pub issue_id: IssueId,
    /// Event id, 32 lowercase hex.
    pub event_id: String,
    /// Event time, Unix seconds.
    pub timestamp: f64,
    /// Receive time, Unix seconds.
    pub received: f64,
    /// The normalized event JSON.
    pub payload: Vec<u8>,
}

/// One value of a tag on an issue, with its count.
#[derive(Debug, Clone, Serialize)]
pub struct TagValueCount {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: String,
    /// Events with this value.
    pub count: i64,
    /// First seen, Unix seconds.
    pub first_seen: f64,
    /// Last seen, Unix seconds.
    pub last_seen: f64,
}

/// A reporting SDK instance.
#[derive(Debug, Clone, Serialize)]
pub struct Agent {
    /// Project.
    pub project_id: ProjectId,
    /// Environment (`""` when none).
    pub environment: String,
    /// Host name (`""` when none).
    pub server_name: String,
    /// SDK name.
    pub sdk_name: String,
    /// SDK version.
    pub sdk_version: String,
    /// Release (`""` when none).
    pub release: String,
    /// First seen, Unix seconds.
    pub first_seen: f64,
    /// Last seen, Unix seconds.
    pub last_seen: f64,
}

/// Hourly release-health aggregate.
#[derive(Debug, Clone, Serialize)]
pub struct SessionHour {
    /// Project.
    pub project_id: ProjectId,
    /// Release.
    pub release: String,
    /// Environment.
    pub environment: String,
    /// Start of the hour, Unix seconds.
    pub hour: i64,
    /// Sessions started.
    pub total: i64,
    /// Sessions that saw an error.
    pub errored: i64,
    /// Sessions that crashed.
    pub crashed: i64,
    /// Sessions that ended abnormally.
    pub abnormal: i64,
    /// Sessions that ended cleanly.
    pub exited: i64,
}

/// Hourly client-report aggregate: what SDKs dropped and why.
#[derive(Debug, Clone, Serialize)]
pub struct DiscardHour {
    /// Project.
    pub project_id: ProjectId,
    /// Start of the hour, Unix seconds.
    pub hour: i64,
    /// Why (`queue_overflow`, `sample_rate`, …).
    pub reason: String,
    /// Data category.
    pub category: String,
    /// How many.
    pub quantity: i64,
}

/// An attachment stored with an event.
#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    /// Row id.
    pub id: i64,
    /// File name.
    pub filename: String,
    /// Content type, if the SDK gave one.
    pub content_type: Option<String>,
    /// `event.attachment`, `event.minidump`, … .
    pub attachment_type: String,
    /// Size in bytes.
    pub size: i64,
    /// The bytes.
    #[serde(skip)]
    pub data: Vec<u8>,
}
