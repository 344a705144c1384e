//! The read side: issue lists, issues, events, agents.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

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

fn issue_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Issue> {
    let status: String = r.get(12)?;
    let status = IssueStatus::parse(&status).unwrap_or(IssueStatus::Unresolved);
    let (times_seen, users_seen) = (r.get(19)?, r.get(20)?);
    let ignore = IgnoreThresholds {
        until: r.get(25)?,
        events: r.get(26)?,
        users: r.get(27)?,
    };
    Ok(Issue {
        id: IssueId(r.get(0)?),
        project_id: ProjectId(r.get(1)?),
        grouping_version: r.get(2)?,
        grouping_variant: r.get(3)?,
        grouping_components: r.get(4)?,
        primary_hash: r.get(5)?,
        title: r.get(6)?,
        culprit: r.get(7)?,
        kind: r.get(8)?,
        level: r.get(9)?,
        platform: r.get(10)?,
        metadata: r.get(11)?,
        status,
        substatus: r.get(13)?,
        resolved_in_release: r.get(14)?,
        resolved_in_next_release: r.get(15)?,
        resolved_at: r.get(16)?,
        first_seen: r.get(17)?,
        last_seen: r.get(18)?,
        times_seen,
        users_seen,
        first_release: r.get(21)?,
        last_release: r.get(22)?,
        assignee: assignee_of(r.get(23)?, r.get(24)?),
        ignore_limits: ignore.remaining(status, times_seen, users_seen),
    })
}

pub(super) fn issue(c: &Connection, id: IssueId) -> Result<Option<Issue>> {
    let sql = format!("SELECT {ISSUE_COLUMNS} FROM issues i WHERE i.id = ?1");
    Ok(c.query_row(&sql, [id.0], issue_row).optional()?)
}

fn placeholders(args: &mut Vec<SqlValue>, values: impl IntoIterator<Item = SqlValue>) -> String {
    let mut out = Vec::new();
    for v in values {
        args.push(v);
        out.push(format!("?{}", args.len()));
    }
    out.join(", ")
}

pub(super) fn list_issues(c: &Connection, q: &IssueQuery) -> Result<Vec<Issue>> {
    let mut conds: Vec<String> = Vec::new();
    let mut args: Vec<SqlValue> = Vec::new();
    if !q.projects.is_empty() {
        let p = placeholders(&mut args, q.projects.iter().map(|p| SqlValue::Integer(p.0)));
        conds.push(format!("i.project_id IN ({p})"));
    }
    if !q.statuses.is_empty() {
        let p = placeholders(
            &mut args,
            q.statuses.iter().map(|s| SqlValue::Text(s.as_str().into())),
        );
        conds.push(format!("i.status IN ({p})"));
    }
    if !q.levels.is_empty() {
        let p = placeholders(
            &mut args,
            q.levels.iter().map(|s| SqlValue::Text(s.clone())),
        );
        conds.push(format!("i.level IN ({p})"));
    }
    if !q.substatuses.is_empty() {
        let p = placeholders(
            &mut args,
            q.substatuses.iter().map(|s| SqlValue::Text(s.clone())),
        );
        conds.push(format!("i.substatus IN ({p})"));
    }
    if !q.kinds.is_empty() {
        let p = placeholders(&mut args, q.kinds.iter().map(|s| SqlValue::Text(s.clone())));
        conds.push(format!("i.kind IN ({p})"));
    }
    for t in &q.tags {
        let p = placeholders(
            &mut args,
            [
                SqlValue::Text(t.key.clone()),
                SqlValue::Text(t.value.clone()),
            ],
        );
        let mut it = p.split(", ");
        let (k, v) = (it.next().unwrap_or_default(), it.next().unwrap_or_default());
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
        let p = placeholders(&mut args, [SqlValue::Text(format!("%{escaped}%"))]);
        conds.push(format!(
            "(i.title LIKE {p} ESCAPE '\\' OR i.culprit LIKE {p} ESCAPE '\\' OR i.metadata LIKE {p} ESCAPE '\\')"
        ));
    }
    if let Some(t) = q.seen_since {
        let p = placeholders(&mut args, [SqlValue::Real(t)]);
        conds.push(format!("i.last_seen >= {p}"));
    }
    if let Some(t) = q.first_seen_since {
        let p = placeholders(&mut args, [SqlValue::Real(t)]);
        conds.push(format!("i.first_seen >= {p}"));
    }
    if let Some(f) = q.assignee {
        conds.push(assignee_condition(f, |id| {
            placeholders(&mut args, [SqlValue::Integer(id)])
        }));
    }
    let order = match q.sort {
        IssueSort::LastSeen => "i.last_seen DESC, i.id DESC",
        IssueSort::FirstSeen => "i.first_seen DESC, i.id DESC",
        IssueSort::Events => "i.times_seen DESC, i.id DESC",
        IssueSort::Users => "i.users_seen DESC, i.id DESC",
    };
    let filter = if conds.is_empty() {
        "1 = 1".to_owned()
    } else {
        conds.join(" AND ")
    };
    let limit = placeholders(&mut args, [SqlValue::Integer(q.limit.min(1000) as i64)]);
    let offset = placeholders(&mut args, [SqlValue::Integer(q.offset as i64)]);
    let sql = format!(
        "SELECT {ISSUE_COLUMNS} FROM issues i WHERE {filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
    );
    let mut stmt = c.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), issue_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn hourly_counts(
    c: &Connection,
    issues: &[IssueId],
    since: f64,
) -> Result<Vec<(IssueId, i64, i64)>> {
    let mut out = Vec::new();
    let mut stmt = c.prepare_cached(
        "SELECT hour, count FROM issue_hourly WHERE issue_id = ?1 AND hour >= ?2 ORDER BY hour",
    )?;
    let since_hour = (since as i64).div_euclid(3600) * 3600;
    for id in issues {
        let rows = stmt.query_map(params![id.0, since_hour], |r| {
            Ok((*id, r.get(0)?, r.get(1)?))
        })?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

pub(super) fn tag_values(
    c: &Connection,
    issue: IssueId,
    key: Option<&str>,
) -> Result<Vec<TagValueCount>> {
    let mut stmt = c.prepare_cached(
        "SELECT key, value, times_seen, first_seen, last_seen FROM issue_tags
         WHERE issue_id = ?1 AND (?2 IS NULL OR key = ?2) ORDER BY key, times_seen DESC, value",
    )?;
    let rows = stmt.query_map(params![issue.0, key], |r| {
        Ok(TagValueCount {
            key: r.get(0)?,
            value: r.get(1)?,
            count: r.get(2)?,
            first_seen: r.get(3)?,
            last_seen: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An event row before its payload is decompressed.
pub(super) struct RawEvent {
    row_id: i64,
    project_id: i64,
    issue_id: i64,
    event_id: Vec<u8>,
    timestamp: f64,
    received: f64,
    dict_id: Option<i64>,
    payload: Vec<u8>,
}

impl RawEvent {
    pub(super) fn decode(self, codec: &Codec, c: &Connection) -> Result<StoredEvent> {
        if let Some(id) = self.dict_id {
            if !codec.has_dict(id) {
                // Trained by another process on this database: load it.
                let (project, data): (i64, Vec<u8>) = c
                    .query_row(
                        "SELECT project_id, data FROM payload_dicts WHERE id = ?1",
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?
                    .ok_or_else(|| StoreError::Corrupt(format!("dictionary {id} is missing")))?;
                codec.install(ProjectId(project), Dictionary::new(id, &data), false);
            }
        }
        Ok(StoredEvent {
            row_id: self.row_id,
            project_id: ProjectId(self.project_id),
            issue_id: IssueId(self.issue_id),
            event_id: hex::encode(&self.event_id),
            timestamp: self.timestamp,
            received: self.received,
            payload: codec.decompress(&self.payload, self.dict_id)?,
        })
    }
}

fn raw_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawEvent> {
    Ok(RawEvent {
        row_id: r.get(0)?,
        project_id: r.get(1)?,
        issue_id: r.get(2)?,
        event_id: r.get(3)?,
        timestamp: r.get(4)?,
        received: r.get(5)?,
        dict_id: r.get(6)?,
        payload: r.get(7)?,
    })
}

const EVENT_COLUMNS: &str =
    "id, project_id, issue_id, event_id, timestamp, received, dict_id, payload";

pub(super) fn issue_events(
    c: &Connection,
    issue: IssueId,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<RawEvent>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE issue_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![issue.0, before.unwrap_or(i64::MAX), limit as i64],
        raw_event,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn oldest_event(c: &Connection, issue: IssueId) -> Result<Option<RawEvent>> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE issue_id = ?1 ORDER BY id LIMIT 1");
    Ok(c.query_row(&sql, [issue.0], raw_event).optional()?)
}

pub(super) fn event_by_id(
    c: &Connection,
    project: ProjectId,
    event_id: &[u8],
) -> Result<Option<RawEvent>> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE project_id = ?1 AND event_id = ?2");
    Ok(c.query_row(&sql, params![project.0, event_id], raw_event)
        .optional()?)
}

/// The event ids just older and just newer than row `row_id` in `issue`.
pub(super) fn event_neighbours(
    c: &Connection,
    issue: IssueId,
    row_id: i64,
) -> Result<(Option<String>, Option<String>)> {
    let id_of = |sql: &str| -> Result<Option<String>> {
        Ok(c.prepare_cached(sql)?
            .query_row(params![issue.0, row_id], |r| r.get::<_, Vec<u8>>(0))
            .optional()?
            .map(hex::encode))
    };
    Ok((
        id_of(
            "SELECT event_id FROM events WHERE issue_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT 1",
        )?,
        id_of("SELECT event_id FROM events WHERE issue_id = ?1 AND id > ?2 ORDER BY id LIMIT 1")?,
    ))
}

/// Events of every project with this trace id (16 bytes), newest first.
pub(super) fn trace_events(c: &Connection, trace_id: &[u8], limit: u64) -> Result<Vec<TraceEvent>> {
    let mut stmt = c.prepare_cached(
        "SELECT e.project_id, p.slug, e.issue_id, i.title, e.event_id, e.timestamp
         FROM events e JOIN issues i ON i.id = e.issue_id JOIN projects p ON p.id = e.project_id
         WHERE e.trace_id = ?1 ORDER BY e.id DESC LIMIT ?2",
    )?;
    let limit = limit.min(i64::MAX as u64) as i64;
    let rows = stmt.query_map(params![trace_id, limit], |r| {
        Ok(TraceEvent {
            project_id: ProjectId(r.get(0)?),
            project_slug: r.get(1)?,
            issue_id: IssueId(r.get(2)?),
            title: r.get(3)?,
            event_id: hex::encode(r.get::<_, Vec<u8>>(4)?),
            timestamp: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn agents(c: &Connection, project: Option<ProjectId>) -> Result<Vec<Agent>> {
    let mut stmt = c.prepare_cached(
        "SELECT project_id, environment, server_name, sdk_name, sdk_version, release, first_seen, last_seen
         FROM agents WHERE (?1 IS NULL OR project_id = ?1) ORDER BY last_seen DESC LIMIT 1000",
    )?;
    let rows = stmt.query_map([project.map(|p| p.0)], |r| {
        Ok(Agent {
            project_id: ProjectId(r.get(0)?),
            environment: r.get(1)?,
            server_name: r.get(2)?,
            sdk_name: r.get(3)?,
            sdk_version: r.get(4)?,
            release: r.get(5)?,
            first_seen: r.get(6)?,
            last_seen: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn session_hours(c: &Connection, project: ProjectId) -> Result<Vec<SessionHour>> {
    let mut stmt = c.prepare_cached(
        "SELECT project_id, release, environment, hour, total, errored, crashed, abnormal, exited
         FROM session_hours WHERE project_id = ?1 ORDER BY hour, release, environment",
    )?;
    let rows = stmt.query_map([project.0], |r| {
        Ok(SessionHour {
            project_id: ProjectId(r.get(0)?),
            release: r.get(1)?,
            environment: r.get(2)?,
            hour: r.get(3)?,
            total: r.get(4)?,
            errored: r.get(5)?,
            crashed: r.get(6)?,
            abnormal: r.get(7)?,
            exited: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn discard_hours(c: &Connection, project: ProjectId) -> Result<Vec<DiscardHour>> {
    let mut stmt = c.prepare_cached(
        "SELECT project_id, hour, reason, category, quantity FROM discard_hours
         WHERE project_id = ?1 ORDER BY hour, reason, category",
    )?;
    let rows = stmt.query_map([project.0], |r| {
        Ok(DiscardHour {
            project_id: ProjectId(r.get(0)?),
            hour: r.get(1)?,
            reason: r.get(2)?,
            category: r.get(3)?,
            quantity: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn attachments(
    c: &Connection,
    project: ProjectId,
    event_id: &[u8],
) -> Result<Vec<Attachment>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, filename, content_type, attachment_type, size, data FROM attachments
         WHERE project_id = ?1 AND event_id = ?2 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![project.0, event_id], |r| {
        Ok(Attachment {
            id: r.get(0)?,
            filename: r.get(1)?,
            content_type: r.get(2)?,
            attachment_type: r.get(3)?,
            size: r.get(4)?,
            data: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
