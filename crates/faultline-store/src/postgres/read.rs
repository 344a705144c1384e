//! The read side on PostgreSQL: issue lists, issues, events, agents.

use deadpool_postgres::Object;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::codec::{Codec, Dictionary};
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::query::{IssueQuery, IssueSort};
use crate::rules::{assignee_condition, assignee_of, IgnoreThresholds};

const ISSUE_COLUMNS: &str = "i.id, i.project_id, i.grouping_version, i.grouping_variant,
    COALESCE((SELECT g.components FROM issue_grouping g WHERE g.issue_id = i.id), '{}'),
    i.primary_hash, i.title, i.culprit, i.kind, i.level, i.platform,
    i.metadata, i.status, i.substatus, i.resolved_in_release, i.resolved_in_next_release,
    i.resolved_at, i.first_seen, i.last_seen, i.times_seen, i.users_seen, i.first_release,
    i.last_release, i.assignee_user_id, i.assignee_team_id, i.ignore_until, i.ignore_until_events,
    i.ignore_until_users";

fn issue_row(r: &Row) -> Result<Issue> {
    let status: String = r.try_get(12)?;
    let status = IssueStatus::parse(&status).unwrap_or(IssueStatus::Unresolved);
    let (times_seen, users_seen) = (r.try_get(19)?, r.try_get(20)?);
    let ignore = IgnoreThresholds {
        until: r.try_get(25)?,
        events: r.try_get(26)?,
        users: r.try_get(27)?,
    };
    Ok(Issue {
        id: IssueId(r.try_get(0)?),
        project_id: ProjectId(r.try_get(1)?),
        grouping_version: r.try_get(2)?,
        grouping_variant: r.try_get(3)?,
        grouping_components: r.try_get(4)?,
        primary_hash: r.try_get(5)?,
        title: r.try_get(6)?,
        culprit: r.try_get(7)?,
        kind: r.try_get(8)?,
        level: r.try_get(9)?,
        platform: r.try_get(10)?,
        metadata: r.try_get(11)?,
        status,
        substatus: r.try_get(13)?,
        resolved_in_release: r.try_get(14)?,
        resolved_in_next_release: r.try_get(15)?,
        resolved_at: r.try_get(16)?,
        first_seen: r.try_get(17)?,
        last_seen: r.try_get(18)?,
        times_seen,
        users_seen,
        first_release: r.try_get(21)?,
        last_release: r.try_get(22)?,
        assignee: assignee_of(r.try_get(23)?, r.try_get(24)?),
        ignore_limits: ignore.remaining(status, times_seen, users_seen),
    })
}

pub(super) async fn issue(
    c: &impl tokio_postgres::GenericClient,
    id: IssueId,
) -> Result<Option<Issue>> {
    let sql = format!("SELECT {ISSUE_COLUMNS} FROM issues i WHERE i.id = $1");
    c.query_opt(&sql, &[&id.0])
        .await?
        .as_ref()
        .map(issue_row)
        .transpose()
}

/// Query arguments and their `$n` placeholders.
#[derive(Default)]
struct Args(Vec<Box<dyn ToSql + Sync + Send>>);

impl Args {
    fn push(&mut self, v: impl ToSql + Sync + Send + 'static) -> String {
        self.0.push(Box::new(v));
        format!("${}", self.0.len())
    }
    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.0
            .iter()
            .map(|b| b.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

pub(super) async fn list_issues(c: &Object, q: &IssueQuery) -> Result<Vec<Issue>> {
    let mut conds: Vec<String> = Vec::new();
    let mut args = Args::default();
    if !q.projects.is_empty() {
        let ids: Vec<i64> = q.projects.iter().map(|p| p.0).collect();
        conds.push(format!("i.project_id = ANY({})", args.push(ids)));
    }
    let text_in = |args: &mut Args, col: &str, values: Vec<String>| {
        format!("{col} = ANY({})", args.push(values))
    };
    if !q.statuses.is_empty() {
        let v = q.statuses.iter().map(|s| s.as_str().to_owned()).collect();
        conds.push(text_in(&mut args, "i.status", v));
    }
    if !q.levels.is_empty() {
        conds.push(text_in(&mut args, "i.level", q.levels.clone()));
    }
    if !q.substatuses.is_empty() {
        conds.push(text_in(&mut args, "i.substatus", q.substatuses.clone()));
    }
    if !q.kinds.is_empty() {
        conds.push(text_in(&mut args, "i.kind", q.kinds.clone()));
    }
    for t in &q.tags {
        let (k, v) = (args.push(t.key.clone()), args.push(t.value.clone()));
        let not = if t.negate { "NOT " } else { "" };
        conds.push(format!(
            "{not}EXISTS (SELECT 1 FROM issue_tags t WHERE t.issue_id = i.id AND t.key = {k} AND t.value = {v})"
        ));
    }
    for word in &q.text {
        let escaped = word
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let p = args.push(format!("%{escaped}%"));
        // ILIKE: the same case-insensitive match as SQLite's LIKE.
        conds.push(format!(
            "(i.title ILIKE {p} ESCAPE '\\' OR i.culprit ILIKE {p} ESCAPE '\\' OR i.metadata ILIKE {p} ESCAPE '\\')"
        ));
    }
    if let Some(t) = q.seen_since {
        conds.push(format!("i.last_seen >= {}", args.push(t)));
    }
    if let Some(t) = q.first_seen_since {
        conds.push(format!("i.first_seen >= {}", args.push(t)));
    }
    if let Some(f) = q.assignee {
        conds.push(assignee_condition(f, |id| args.push(id)));
    }
    let order = match q.sort {
        IssueSort::LastSeen => "i.last_seen DESC, i.id DESC",
        IssueSort::FirstSeen => "i.first_seen DESC, i.id DESC",
        IssueSort::Events => "i.times_seen DESC, i.id DESC",
        IssueSort::Users => "i.users_seen DESC, i.id DESC",
    };
    let filter = if conds.is_empty() {
        "TRUE".to_owned()
    } else {
        conds.join(" AND ")
    };
    let limit = args.push(q.limit.min(1000) as i64);
    let offset = args.push(q.offset.min(i64::MAX as u64) as i64);
    let sql = format!(
        "SELECT {ISSUE_COLUMNS} FROM issues i WHERE {filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
    );
    c.query(&sql, &args.refs())
        .await?
        .iter()
        .map(issue_row)
        .collect()
}

pub(super) async fn hourly_counts(
    c: &Object,
    issues: &[IssueId],
    since: f64,
) -> Result<Vec<(IssueId, i64, i64)>> {
    let ids: Vec<i64> = issues.iter().map(|i| i.0).collect();
    let since_hour = crate::rules::hour_of(since);
    let stmt = c
        .prepare_cached(
            "SELECT issue_id, hour, count FROM issue_hourly
             WHERE issue_id = ANY($1) AND hour >= $2 ORDER BY hour",
        )
        .await?;
    let mut rows: Vec<(IssueId, i64, i64)> = c
        .query(&stmt, &[&ids, &since_hour])
        .await?
        .iter()
        .map(|r| Ok((IssueId(r.try_get(0)?), r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<_>>()?;
    // In the order the issues were asked for, each by hour (as the SQLite backend answers).
    let pos = |id: IssueId| issues.iter().position(|i| *i == id).unwrap_or(usize::MAX);
    rows.sort_by_key(|(id, hour, _)| (pos(*id), *hour));
    Ok(rows)
}

pub(super) async fn tag_values(
    c: &Object,
    issue: IssueId,
    key: Option<&str>,
) -> Result<Vec<TagValueCount>> {
    let stmt = c
        .prepare_cached(
            "SELECT key, value, times_seen, first_seen, last_seen FROM issue_tags
             WHERE issue_id = $1 AND ($2::text IS NULL OR key = $2)
             ORDER BY key, times_seen DESC, value",
        )
        .await?;
    c.query(&stmt, &[&issue.0, &key])
        .await?
        .iter()
        .map(|r| {
            Ok(TagValueCount {
                key: r.try_get(0)?,
                value: r.try_get(1)?,
                count: r.try_get(2)?,
                first_seen: r.try_get(3)?,
                last_seen: r.try_get(4)?,
            })
        })
        .collect()
}

const EVENT_COLUMNS: &str =
    "id, project_id, issue_id, event_id, timestamp, received, dict_id, payload";

/// Decompresses an event row; loads a dictionary another node trained when it is missing here.
async fn decode(c: &Object, codec: &Codec, r: &Row) -> Result<StoredEvent> {
    let dict_id: Option<i64> = r.try_get(6)?;
    if let Some(id) = dict_id {
        if !codec.has_dict(id) {
            let row = c
                .query_opt(
                    "SELECT project_id, data FROM payload_dicts WHERE id = $1",
                    &[&id],
                )
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("dictionary {id} is missing")))?;
            let data: Vec<u8> = row.try_get(1)?;
            codec.install(
                ProjectId(row.try_get(0)?),
                Dictionary::new(id, &data),
                false,
            );
        }
    }
    let event_id: Vec<u8> = r.try_get(3)?;
    let payload: Vec<u8> = r.try_get(7)?;
    Ok(StoredEvent {
        row_id: r.try_get(0)?,
        project_id: ProjectId(r.try_get(1)?),
        issue_id: IssueId(r.try_get(2)?),
        event_id: hex::encode(event_id),
        timestamp: r.try_get(4)?,
        received: r.try_get(5)?,
        payload: codec.decompress(&payload, dict_id)?,
    })
}

async fn events(
    c: &Object,
    codec: &Codec,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<StoredEvent>> {
    let stmt = c.prepare_cached(sql).await?;
    let rows = c.query(&stmt, params).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(decode(c, codec, r).await?);
    }
    Ok(out)
}

pub(super) async fn issue_events(
    c: &Object,
    codec: &Codec,
    issue: IssueId,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<StoredEvent>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE issue_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    );
    let limit = limit.min(i64::MAX as u64) as i64;
    events(
        c,
        codec,
        &sql,
        &[&issue.0, &before.unwrap_or(i64::MAX), &limit],
    )
    .await
}

pub(super) async fn oldest_event(
    c: &Object,
    codec: &Codec,
    issue: IssueId,
) -> Result<Option<StoredEvent>> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE issue_id = $1 ORDER BY id LIMIT 1");
    Ok(events(c, codec, &sql, &[&issue.0])
        .await?
        .into_iter()
        .next())
}

pub(super) async fn event_by_id(
    c: &Object,
    codec: &Codec,
    project: ProjectId,
    event_id: &[u8],
) -> Result<Option<StoredEvent>> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE project_id = $1 AND event_id = $2");
    Ok(events(c, codec, &sql, &[&project.0, &event_id])
        .await?
        .into_iter()
        .next())
}

/// The event ids just older and just newer than row `row_id` in `issue`.
pub(super) async fn event_neighbours(
    c: &Object,
    issue: IssueId,
    row_id: i64,
) -> Result<(Option<String>, Option<String>)> {
    let older = c
        .prepare_cached(
            "SELECT event_id FROM events WHERE issue_id = $1 AND id < $2 ORDER BY id DESC LIMIT 1",
        )
        .await?;
    let newer = c
        .prepare_cached(
            "SELECT event_id FROM events WHERE issue_id = $1 AND id > $2 ORDER BY id LIMIT 1",
        )
        .await?;
    let mut out = [None, None];
    for (slot, stmt) in out.iter_mut().zip([older, newer]) {
        if let Some(r) = c.query_opt(&stmt, &[&issue.0, &row_id]).await? {
            *slot = Some(hex::encode(r.try_get::<_, Vec<u8>>(0)?));
        }
    }
    let [older, newer] = out;
    Ok((older, newer))
}

/// Events of every project with this trace id (16 bytes), newest first.
pub(super) async fn trace_events(
    c: &Object,
    trace_id: &[u8],
    limit: u64,
) -> Result<Vec<TraceEvent>> {
    let stmt = c
        .prepare_cached(
            "SELECT e.project_id, p.slug, e.issue_id, i.title, e.event_id, e.timestamp
             FROM events e JOIN issues i ON i.id = e.issue_id JOIN projects p ON p.id = e.project_id
             WHERE e.trace_id = $1 ORDER BY e.id DESC LIMIT $2",
        )
        .await?;
    let limit = limit.min(i64::MAX as u64) as i64;
    c.query(&stmt, &[&trace_id, &limit])
        .await?
        .iter()
        .map(|r| {
            Ok(TraceEvent {
                project_id: ProjectId(r.try_get(0)?),
                project_slug: r.try_get(1)?,
                issue_id: IssueId(r.try_get(2)?),
                title: r.try_get(3)?,
                event_id: hex::encode(r.try_get::<_, Vec<u8>>(4)?),
                timestamp: r.try_get(5)?,
            })
        })
        .collect()
}

pub(super) async fn agents(c: &Object, project: Option<ProjectId>) -> Result<Vec<Agent>> {
    let stmt = c
        .prepare_cached(
            "SELECT project_id, environment, server_name, sdk_name, sdk_version, release,
                    first_seen, last_seen
             FROM agents WHERE ($1::bigint IS NULL OR project_id = $1)
             ORDER BY last_seen DESC LIMIT 1000",
        )
        .await?;
    c.query(&stmt, &[&project.map(|p| p.0)])
        .await?
        .iter()
        .map(|r| {
            Ok(Agent {
                project_id: ProjectId(r.try_get(0)?),
                environment: r.try_get(1)?,
                server_name: r.try_get(2)?,
                sdk_name: r.try_get(3)?,
                sdk_version: r.try_get(4)?,
                release: r.try_get(5)?,
                first_seen: r.try_get(6)?,
                last_seen: r.try_get(7)?,
            })
        })
        .collect()
}

pub(super) async fn session_hours(c: &Object, project: ProjectId) -> Result<Vec<SessionHour>> {
    let stmt = c
        .prepare_cached(
            "SELECT project_id, release, environment, hour, total, errored, crashed, abnormal, exited
             FROM session_hours WHERE project_id = $1 ORDER BY hour, release, environment",
        )
        .await?;
    c.query(&stmt, &[&project.0])
        .await?
        .iter()
        .map(|r| {
            Ok(SessionHour {
                project_id: ProjectId(r.try_get(0)?),
                release: r.try_get(1)?,
                environment: r.try_get(2)?,
                hour: r.try_get(3)?,
                total: r.try_get(4)?,
                errored: r.try_get(5)?,
                crashed: r.try_get(6)?,
                abnormal: r.try_get(7)?,
                exited: r.try_get(8)?,
            })
        })
        .collect()
}

pub(super) async fn discard_hours(c: &Object, project: ProjectId) -> Result<Vec<DiscardHour>> {
    let stmt = c
        .prepare_cached(
            "SELECT project_id, hour, reason, category, quantity FROM discard_hours
             WHERE project_id = $1 ORDER BY hour, reason, category",
        )
        .await?;
    c.query(&stmt, &[&project.0])
        .await?
        .iter()
        .map(|r| {
            Ok(DiscardHour {
                project_id: ProjectId(r.try_get(0)?),
                hour: r.try_get(1)?,
                reason: r.try_get(2)?,
                category: r.try_get(3)?,
                quantity: r.try_get(4)?,
            })
        })
        .collect()
}

pub(super) async fn attachments(
    c: &Object,
    project: ProjectId,
    event_id: &[u8],
) -> Result<Vec<Attachment>> {
    let stmt = c
        .prepare_cached(
            "SELECT id, filename, content_type, attachment_type, size, data FROM attachments
             WHERE project_id = $1 AND event_id = $2 ORDER BY id",
        )
        .await?;
    c.query(&stmt, &[&project.0, &event_id])
        .await?
        .iter()
        .map(|r| {
            Ok(Attachment {
                id: r.try_get(0)?,
                filename: r.try_get(1)?,
                content_type: r.try_get(2)?,
                attachment_type: r.try_get(3)?,
                size: r.try_get(4)?,
                data: r.try_get(5)?,
            })
        })
        .collect()
}
