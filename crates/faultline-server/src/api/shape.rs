//! Response shapes of the Sentry web API.

use faultline_store::{Issue, Project, ProjectKey, StoredEvent, TagValueCount};
use serde::Serialize;
use serde_json::{Map, Value};

use super::iso;

/// An organization, as embedded in other responses.
#[derive(Debug, Serialize)]
pub struct OrgRef {
    /// Id as a string.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
}

/// A project.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectOut {
    /// Id as a string.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Platform.
    pub platform: Option<String>,
    /// Created.
    pub date_created: String,
    /// Always true: every token sees every project.
    pub is_member: bool,
    /// Always true.
    pub has_access: bool,
    /// `active`.
    pub status: &'static str,
    /// Its organization.
    pub organization: OrgRef,
    /// Scrubbing settings.
    pub data_scrubber: bool,
    /// Extra keys scrubbed.
    pub sensitive_fields: Vec<String>,
}

impl From<&Project> for ProjectOut {
    fn from(p: &Project) -> Self {
        ProjectOut {
            id: p.id.to_string(),
            slug: p.slug.clone(),
            name: p.name.clone(),
            platform: p.platform.clone(),
            date_created: iso(p.created_at),
            is_member: true,
            has_access: true,
            status: "active",
            organization: OrgRef {
                id: p.org_id.to_string(),
                slug: p.org_slug.clone(),
                name: p.org_slug.clone(),
            },
            data_scrubber: p.scrub_enabled,
            sensitive_fields: p.scrub_extra_keys.clone(),
        }
    }
}

/// A key's DSNs.
#[derive(Debug, Serialize)]
pub struct DsnOut {
    /// The DSN to give an SDK.
    pub public: String,
    /// The legacy DSN with a secret (Faultline has none; same as public).
    pub secret: String,
    /// Security report endpoint.
    pub security: String,
    /// Minidump endpoint.
    pub minidump: String,
}

/// A key's rate limit.
#[derive(Debug, Serialize)]
pub struct RateLimitOut {
    /// Window in seconds.
    pub window: u32,
    /// Events per window.
    pub count: u32,
}

/// A DSN key.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyOut {
    /// The public key (Sentry uses it as the id).
    pub id: String,
    /// Label.
    pub name: String,
    /// Label.
    pub label: String,
    /// Public key.
    pub public: String,
    /// Unused secret.
    pub secret: String,
    /// Project id.
    pub project_id: i64,
    /// Active.
    pub is_active: bool,
    /// Rate limit.
    pub rate_limit: Option<RateLimitOut>,
    /// DSNs.
    pub dsn: DsnOut,
    /// Created.
    pub date_created: String,
}

impl KeyOut {
    /// Shapes a key served from `base_url`.
    pub fn new(k: &ProjectKey, base_url: &str) -> Self {
        let dsn = k.dsn(base_url);
        let base = base_url.trim_end_matches('/');
        KeyOut {
            id: k.public_key.clone(),
            name: k.label.clone(),
            label: k.label.clone(),
            public: k.public_key.clone(),
            secret: String::new(),
            project_id: k.project_id.0,
            is_active: k.active,
            rate_limit: k
                .rate_limit_count
                .zip(k.rate_limit_window)
                .map(|(count, window)| RateLimitOut { window, count }),
            dsn: DsnOut {
                public: dsn.clone(),
                secret: dsn,
                security: format!(
                    "{base}/api/{}/security/?sentry_key={}",
                    k.project_id, k.public_key
                ),
                minidump: format!(
                    "{base}/api/{}/minidump/?sentry_key={}",
                    k.project_id, k.public_key
                ),
            },
            date_created: iso(k.created_at),
        }
    }
}

/// A project as embedded in an issue.
#[derive(Debug, Serialize)]
pub struct ProjectRef {
    /// Id as a string.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Platform.
    pub platform: Option<String>,
}

/// An issue (Sentry calls it a group).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueOut {
    /// Id as a string.
    pub id: String,
    /// `PROJECT-ID`.
    pub short_id: String,
    /// Title.
    pub title: String,
    /// Culprit.
    pub culprit: String,
    /// Link to the issue.
    pub permalink: String,
    /// Level of the latest event.
    pub level: String,
    /// Status.
    pub status: &'static str,
    /// Substatus.
    pub substatus: Option<String>,
    /// `{}`, `{"inNextRelease": true}` or `{"inRelease": "…"}`.
    pub status_details: Map<String, Value>,
    /// Platform.
    pub platform: String,
    /// Project.
    pub project: ProjectRef,
    /// `error` or `default`.
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// Exception type, value, function, file.
    pub metadata: Value,
    /// `uncaught`, `caught`, `logged` or `message`.
    pub kind: String,
    /// True for uncaught errors.
    pub is_unhandled: bool,
    /// Events, as a string (as Sentry sends it).
    pub count: String,
    /// Distinct users.
    pub user_count: i64,
    /// First seen.
    pub first_seen: String,
    /// Last seen.
    pub last_seen: String,
    /// Release of the first event.
    pub first_release: Option<ReleaseRef>,
    /// Release of the latest event.
    pub last_release: Option<ReleaseRef>,
    /// Events per bucket, keyed by period (`24h`: hourly).
    pub stats: Map<String, Value>,
    /// Grouping algorithm and variant that made the issue.
    pub grouping: GroupingOut,
    /// Always false (no sharing yet).
    pub is_public: bool,
    /// Always false.
    pub is_bookmarked: bool,
    /// Nobody yet.
    pub assigned_to: Option<Value>,
    /// No comments yet.
    pub num_comments: i64,
}

/// Why events were grouped together.
#[derive(Debug, Serialize)]
pub struct GroupingOut {
    /// Algorithm id.
    pub version: String,
    /// Variant.
    pub variant: String,
    /// The primary hash.
    pub hash: String,
    /// The component tree.
    pub components: Value,
}

/// A release reference.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseRef {
    /// Version.
    pub version: String,
    /// Version without the package prefix.
    pub short_version: String,
}

impl ReleaseRef {
    /// From a version string.
    pub fn new(v: &str) -> Self {
        ReleaseRef {
            version: v.to_owned(),
            short_version: v.rsplit('@').next().unwrap_or(v).to_owned(),
        }
    }
}

/// Shapes an issue; `stats` are (hour, count) pairs.
pub fn issue_out(
    i: &Issue,
    project: &Project,
    base_url: &str,
    stats: Map<String, Value>,
) -> IssueOut {
    let mut details = Map::new();
    if i.status == faultline_store::IssueStatus::Resolved {
        if i.resolved_in_next_release {
            details.insert("inNextRelease".into(), Value::Bool(true));
        } else if let Some(r) = &i.resolved_in_release {
            details.insert("inRelease".into(), Value::String(r.clone()));
        }
    }
    IssueOut {
        id: i.id.to_string(),
        short_id: format!("{}-{}", project.slug.to_uppercase(), i.id),
        title: i.title.clone(),
        culprit: i.culprit.clone(),
        permalink: format!("{}/issues/{}/", base_url.trim_end_matches('/'), i.id),
        level: i.level.clone(),
        status: i.status.as_str(),
        substatus: i.substatus.clone(),
        status_details: details,
        platform: i.platform.clone(),
        project: ProjectRef {
            id: project.id.to_string(),
            slug: project.slug.clone(),
            name: project.name.clone(),
            platform: project.platform.clone(),
        },
        ty: if i.kind == "message" || (i.kind == "logged" && !i.metadata.contains("\"type\":\"")) {
            "default"
        } else {
            "error"
        },
        metadata: serde_json::from_str(&i.metadata).unwrap_or(Value::Null),
        kind: i.kind.clone(),
        is_unhandled: i.kind == "uncaught",
        count: i.times_seen.to_string(),
        user_count: i.users_seen,
        first_seen: iso(i.first_seen),
        last_seen: iso(i.last_seen),
        first_release: i.first_release.as_deref().map(ReleaseRef::new),
        last_release: i.last_release.as_deref().map(ReleaseRef::new),
        stats,
        grouping: GroupingOut {
            version: i.grouping_version.clone(),
            variant: i.grouping_variant.clone(),
            hash: i.primary_hash.clone(),
            components: serde_json::from_str(&i.grouping_components).unwrap_or(Value::Null),
        },
        is_public: false,
        is_bookmarked: false,
        assigned_to: i.assignee.map(|a| match a {
            faultline_store::Assignee::User(u) => {
                serde_json::json!({"type": "user", "id": u.0.to_string()})
            }
            faultline_store::Assignee::Team(t) => {
                serde_json::json!({"type": "team", "id": t.0.to_string()})
            }
        }),
        num_comments: 0,
    }
}

/// One tag key with its top values.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagOut {
    /// Key.
    pub key: String,
    /// Key (display name).
    pub name: String,
    /// Events carrying the key.
    pub total_values: i64,
    /// Most frequent values.
    pub top_values: Vec<TagValueOut>,
}

/// One value of a tag.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagValueOut {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
    /// Value (display name).
    pub name: String,
    /// Events.
    pub count: i64,
    /// First seen.
    pub first_seen: String,
    /// Last seen.
    pub last_seen: String,
}

/// Groups tag values by key.
pub fn tags_out(values: Vec<TagValueCount>) -> Vec<TagOut> {
    let mut out: Vec<TagOut> = Vec::new();
    for v in values {
        let value = TagValueOut {
            key: v.key.clone(),
            name: v.value.clone(),
            value: v.value,
            count: v.count,
            first_seen: iso(v.first_seen),
            last_seen: iso(v.last_seen),
        };
        match out.last_mut() {
            Some(t) if t.key == v.key => {
                t.total_values += v.count;
                if t.top_values.len() < 10 {
                    t.top_values.push(value);
                }
            }
            _ => out.push(TagOut {
                key: v.key.clone(),
                name: v.key,
                total_values: v.count,
                top_values: vec![value],
            }),
        }
    }
    out
}

/// The event, in the shape of Sentry's event API.
pub fn event_out(ev: &StoredEvent, issue: Option<&Issue>) -> Value {
    let data: Value = serde_json::from_slice(&ev.payload).unwrap_or(Value::Null);
    super::events::sentry_event(&data, ev, issue)
}
