//! The write path: one batch, one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::now;
use crate::batch::{EventOutcome, NewEvent, WriteBatch};
use crate::error::{Result, StoreError};
use crate::model::{IssueId, IssueStatus};
use crate::rules::{self, escalation_data, trace_id_bytes, IgnoreThresholds, ResolvedState};
use crate::BatchOutcome;

/// Per-issue sums over one batch, written with one statement per issue instead of one per event.
#[derive(Default)]
struct IssueAgg {
    project_id: i64,
    count: i64,
    new_users: i64,
    first_ts: f64,
    last_ts: f64,
    last_level: String,
    last_release: Option<String>,
    max_received: f64,
    releases: HashSet<String>,
    tags: HashMap<(String, String), (i64, f64, f64)>,
    hours: HashMap<i64, i64>,
}

fn hour_of(ts: f64) -> i64 {
    (ts as i64).div_euclid(3600) * 3600
}

pub(super) fn write_batch(
    c: &mut Connection,
    cache: &Mutex<HashMap<(i64, String), i64>>,
    batch: WriteBatch,
) -> Result<BatchOutcome> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut outcomes = Vec::with_capacity(batch.events.len());
    let mut pending: HashMap<(i64, String), i64> = HashMap::new();
    let mut aggs: BTreeMap<i64, IssueAgg> = BTreeMap::new();
    let mut new_issues: HashSet<i64> = HashSet::new();
    // (project, name) → (first, last, stored events) for releases and environments.
    let mut releases: HashMap<(i64, String), (f64, f64, i64)> = HashMap::new();
    let mut environments: HashMap<(i64, String), (f64, f64, i64)> = HashMap::new();

    for ev in &batch.events {
        let project = ev.project_id.0;
        let event_id = hex::decode(&ev.event_id)
            .map_err(|_| StoreError::Invalid(format!("event id '{}' is not hex", ev.event_id)))?;
        let (issue_id, created) = resolve_issue(&tx, cache, &mut pending, ev)?;
        let inserted = tx
            .prepare_cached(
                "INSERT INTO events (project_id, issue_id, event_id, timestamp, received, dict_id, payload,
                   trace_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                project,
                issue_id,
                event_id,
                ev.timestamp,
                ev.received,
                ev.payload_dict,
                ev.payload,
                ev.trace_id.as_deref().and_then(trace_id_bytes)
            ])?;
        if inserted == 0 {
            outcomes.push(EventOutcome::Duplicate);
            continue;
        }
        if created {
            new_issues.insert(issue_id);
        }
        for a in &ev.attachments {
            tx.prepare_cached(
                "INSERT INTO attachments (project_id, event_id, filename, content_type,
                 attachment_type, size, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                project,
                event_id,
                a.filename,
                a.content_type,
                a.attachment_type,
                a.data.len() as i64,
                a.data
            ])?;
        }
        let agg = aggs.entry(issue_id).or_insert_with(|| IssueAgg {
            project_id: project,
            first_ts: f64::MAX,
            last_ts: f64::MIN,
            ..Default::default()
        });
        if let Some(user) = &ev.user_key {
            let n = tx
                .prepare_cached(
                    "INSERT INTO issue_users (issue_id, user_key) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                )?
                .execute(params![issue_id, user])?;
            agg.new_users += n as i64;
        }
        agg.count += 1;
        agg.first_ts = agg.first_ts.min(ev.timestamp);
        if ev.timestamp >= agg.last_ts {
            agg.last_ts = ev.timestamp;
            agg.last_level = ev.level.clone();
            agg.last_release = ev.release.clone();
        }
        agg.max_received = agg.max_received.max(ev.received);
        *agg.hours.entry(hour_of(ev.timestamp)).or_default() += 1;
        for (k, v) in &ev.tags {
            let e = agg
                .tags
                .entry((k.clone(), v.clone()))
                .or_insert((0, f64::MAX, f64::MIN));
            e.0 += 1;
            e.1 = e.1.min(ev.timestamp);
            e.2 = e.2.max(ev.timestamp);
        }
        if let Some(r) = &ev.release {
            agg.releases.insert(r.clone());
            widen(&mut releases, (project, r.clone()), ev.timestamp);
        }
        if let Some(e) = &ev.environment {
            widen(&mut environments, (project, e.clone()), ev.timestamp);
        }
        outcomes.push(EventOutcome::Stored {
            issue_id: IssueId(issue_id),
            new_issue: created,
            regressed: false,
        });
    }

    for ((project, version), (first, last, n)) in &releases {
        tx.prepare_cached(
            "INSERT INTO releases (project_id, version, first_seen, last_seen, events)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (project_id, version) DO UPDATE SET
               first_seen = MIN(releases.first_seen, excluded.first_seen),
               last_seen = MAX(releases.last_seen, excluded.last_seen),
               events = releases.events + excluded.events",
        )?
        .execute(params![project, version, now().min(*first), last, n])?;
    }
    for ((project, name), (first, last, _)) in &environments {
        tx.prepare_cached(
            "INSERT INTO environments (project_id, name, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (project_id, name) DO UPDATE SET
               first_seen = MIN(environments.first_seen, excluded.first_seen),
               last_seen = MAX(environments.last_seen, excluded.last_seen)",
        )?
        .execute(params![project, name, first, last])?;
    }

    let mut regressed: HashSet<i64> = HashSet::new();
    let mut tag_rows: Vec<(i64, &str, &str, i64, f64, f64)> = Vec::new();
    let t = now();
    for (issue_id, agg) in &aggs {
        match reopening(&tx, *issue_id, agg, &new_issues, t)? {
            Reopening::None => {}
            Reopening::Regressed => {
                regressed.insert(*issue_id);
                tx.prepare_cached(
                    "UPDATE issues SET status = 'unresolved', substatus = 'regressed',
                       resolved_in_release = NULL, resolved_in_next_release = 0 WHERE id = ?1",
                )?
                .execute([issue_id])?;
                let data = serde_json::json!({ "release": agg.last_release });
                activity(&tx, *issue_id, "set_regression", &data.to_string(), None)?;
            }
            Reopening::Escalating(reason) => escalate(&tx, *issue_id, reason)?,
        }
        tx.prepare_cached(
            "UPDATE issues SET times_seen = times_seen + ?1, users_seen = users_seen + ?2,
               first_seen = MIN(first_seen, ?3),
               level = CASE WHEN ?4 >= last_seen THEN ?5 ELSE level END,
               last_release = CASE WHEN ?4 >= last_seen THEN COALESCE(?6, last_release) ELSE last_release END,
               last_seen = MAX(last_seen, ?4)
             WHERE id = ?7",
        )?
        .execute(params![
            agg.count,
            agg.new_users,
            agg.first_ts,
            agg.last_ts,
            agg.last_level,
            agg.last_release,
            issue_id
        ])?;
        for ((key, value), (n, first, last)) in &agg.tags {
            tag_rows.push((*issue_id, key, value, *n, *first, *last));
        }
        for (hour, n) in &agg.hours {
            tx.prepare_cached(
                "INSERT INTO issue_hourly (issue_id, hour, count) VALUES (?1, ?2, ?3)
                 ON CONFLICT (issue_id, hour) DO UPDATE SET count = issue_hourly.count + excluded.count",
            )?
            .execute(params![issue_id, hour, n])?;
        }
    }
    upsert_tags(&tx, &mut tag_rows)?;
    for o in outcomes.iter_mut() {
        if let EventOutcome::Stored {
            issue_id,
            regressed: r,
            ..
        } = o
        {
            *r = regressed.contains(&issue_id.0);
        }
    }

    write_side_tables(&tx, &batch)?;
    tx.commit()?;
    if let Ok(mut cache) = cache.lock() {
        if cache.len() > 200_000 {
            cache.clear();
        }
        cache.extend(pending);
    }
    Ok(BatchOutcome { events: outcomes })
}

/// Adds a batch's tag counts: in key order, up to [`ROWS_PER_STATEMENT`] rows per statement
/// (the rest in halving chunks, so only a handful of statement texts are ever prepared). The
/// tag counts would otherwise be most of a batch's statements.
fn upsert_tags(tx: &Transaction<'_>, rows: &mut [(i64, &str, &str, i64, f64, f64)]) -> Result<()> {
    rows.sort_unstable_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    let mut rest = &rows[..];
    while !rest.is_empty() {
        // All of a chunk, or the largest power of two that fits.
        let n = ROWS_PER_STATEMENT.min(1 << (usize::BITS - 1 - rest.len().leading_zeros()));
        let (chunk, after) = rest.split_at(n);
        rest = after;
        let sql = format!(
            "INSERT INTO issue_tags (issue_id, key, value, times_seen, first_seen, last_seen)
             VALUES {}
             ON CONFLICT (issue_id, key, value) DO UPDATE SET
               times_seen = issue_tags.times_seen + excluded.times_seen,
               first_seen = MIN(issue_tags.first_seen, excluded.first_seen),
               last_seen = MAX(issue_tags.last_seen, excluded.last_seen)",
            vec!["(?, ?, ?, ?, ?, ?)"; n].join(", ")
        );
        let values = chunk
            .iter()
            .flat_map(|(issue, key, value, n, first, last)| {
                [issue as &dyn rusqlite::ToSql, key, value, n, first, last]
            });
        tx.prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(values))?;
    }
    Ok(())
}

/// Most rows one multi-row statement carries.
const ROWS_PER_STATEMENT: usize = 32;

/// Widens a release's or environment's first and last seen to `ts` and counts the event.
fn widen(map: &mut HashMap<(i64, String), (f64, f64, i64)>, key: (i64, String), ts: f64) {
    let e = map.entry(key).or_insert((ts, ts, 0));
    e.0 = e.0.min(ts);
    e.1 = e.1.max(ts);
    e.2 += 1;
}

/// Finds the issue of the first known hash, or creates one; links every hash to it.
fn resolve_issue(
    tx: &Transaction<'_>,
    cache: &Mutex<HashMap<(i64, String), i64>>,
    pending: &mut HashMap<(i64, String), i64>,
    ev: &NewEvent,
) -> Result<(i64, bool)> {
    let project = ev.project_id.0;
    let mut found = None;
    let mut unknown = Vec::new();
    for hash in &ev.hashes {
        let key = (project, hash.clone());
        let hit = match pending.get(&key) {
            Some(id) => Some(*id),
            None => cache.lock().ok().and_then(|c| c.get(&key).copied()),
        };
        let hit = match hit {
            Some(id) => Some(id),
            None => tx
                .prepare_cached(
                    "SELECT issue_id FROM issue_hashes WHERE project_id = ?1 AND hash = ?2",
                )?
                .query_row(params![project, hash], |r| r.get::<_, i64>(0))
                .optional()?
                .inspect(|id| {
                    pending.insert(key.clone(), *id);
                }),
        };
        match hit {
            Some(id) if found.is_none() => found = Some(id),
            Some(_) => {}
            None => unknown.push(hash),
        }
    }
    let (issue_id, created) = match found {
        Some(id) => (id, false),
        None => {
            let primary = ev.hashes.first().cloned().unwrap_or_default();
            tx.prepare_cached(
                "INSERT INTO issues (project_id, grouping_version, grouping_variant,
                   primary_hash, title, culprit, kind, level, platform, metadata, status, substatus,
                   first_seen, last_seen, times_seen, users_seen, first_release, last_release)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'unresolved', 'new',
                   ?11, ?11, 0, 0, ?12, ?12)",
            )?
            .execute(params![
                project,
                ev.grouping_version,
                ev.grouping_variant,
                primary,
                ev.title,
                ev.culprit,
                ev.kind,
                ev.level,
                ev.platform,
                ev.metadata,
                ev.timestamp,
                ev.release
            ])?;
            let id = tx.last_insert_rowid();
            tx.prepare_cached("INSERT INTO issue_grouping (issue_id, components) VALUES (?1, ?2)")?
                .execute(params![id, ev.grouping_components.text()])?;
            let data = serde_json::json!({ "release": ev.release });
            activity(tx, id, "first_seen", &data.to_string(), None)?;
            (id, true)
        }
    };
    for hash in unknown {
        tx.prepare_cached(
            "INSERT INTO issue_hashes (project_id, hash, issue_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        )?
        .execute(params![project, hash, issue_id])?;
        pending.insert((project, hash.clone()), issue_id);
    }
    Ok((issue_id, created))
}

/// What events of this batch do to an existing issue's status.
enum Reopening {
    /// Nothing.
    None,
    /// They reopen it as regressed (it was resolved).
    Regressed,
    /// They bring it back as escalating (it was ignored until a condition, now met).
    Escalating(&'static str),
}

/// Whether events of this batch (counted in `agg`) reopen a resolved issue or bring back an
/// ignored one. One read of the issue row, per issue and batch.
fn reopening(
    tx: &Transaction<'_>,
    issue_id: i64,
    agg: &IssueAgg,
    new_issues: &HashSet<i64>,
    now: f64,
) -> Result<Reopening> {
    if new_issues.contains(&issue_id) {
        return Ok(Reopening::None);
    }
    let state = tx
        .prepare_cached(
            "SELECT status, resolved_in_release, resolved_in_next_release, resolved_at,
                    ignore_until, ignore_until_events, ignore_until_users, times_seen, users_seen
             FROM issues WHERE id = ?1",
        )?
        .query_row([issue_id], |r| {
            let resolved = ResolvedState {
                status: r.get(0)?,
                in_release: r.get(1)?,
                in_next: r.get(2)?,
                resolved_at: r.get(3)?,
            };
            let ignore = IgnoreThresholds {
                until: r.get(4)?,
                events: r.get(5)?,
                users: r.get(6)?,
            };
            Ok((resolved, ignore, r.get::<_, i64>(7)?, r.get::<_, i64>(8)?))
        })
        .optional()?;
    let Some((state, ignore, times_seen, users_seen)) = state else {
        return Ok(Reopening::None);
    };
    match IssueStatus::parse(&state.status) {
        Some(IssueStatus::Resolved) => {}
        Some(IssueStatus::Ignored) => {
            let reached = ignore.reached(times_seen + agg.count, users_seen + agg.new_users, now);
            return Ok(reached.map_or(Reopening::None, Reopening::Escalating));
        }
        _ => return Ok(Reopening::None),
    }
    // First-seen times of the releases the decision may compare.
    let releases: Vec<String> = agg.releases.iter().cloned().collect();
    let mut seen = HashMap::new();
    for v in releases.iter().chain(state.in_release.as_ref()) {
        seen.insert(v.clone(), release_first_seen(tx, agg.project_id, v)?);
    }
    let reopens = rules::reopens(&state, agg.max_received, &releases, |v| {
        seen.get(v).copied().flatten()
    });
    Ok(if reopens {
        Reopening::Regressed
    } else {
        Reopening::None
    })
}

fn release_first_seen(tx: &Transaction<'_>, project: i64, version: &str) -> Result<Option<f64>> {
    Ok(tx
        .prepare_cached("SELECT first_seen FROM releases WHERE project_id = ?1 AND version = ?2")?
        .query_row(params![project, version], |r| r.get(0))
        .optional()?)
}

/// Brings an issue back from an ignore whose condition (`reason`) was met: unresolved,
/// `escalating`, the conditions cleared, a `set_escalating` entry in its log.
pub(super) fn escalate(tx: &Connection, issue: i64, reason: &str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE issues SET status = 'unresolved', substatus = 'escalating',
           ignore_until = NULL, ignore_until_events = NULL, ignore_until_users = NULL
         WHERE id = ?1",
    )?
    .execute([issue])?;
    activity(tx, issue, "set_escalating", &escalation_data(reason), None)?;
    Ok(())
}

/// Adds an entry to an issue's activity log (`user`: who did it, none for the system); returns
/// its row id.
pub(super) fn activity(
    tx: &Connection,
    issue: i64,
    kind: &str,
    data: &str,
    user: Option<i64>,
) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO issue_activity (issue_id, kind, data, created_at, user_id)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![issue, kind, data, now(), user])?;
    Ok(tx.last_insert_rowid())
}

fn write_side_tables(tx: &Transaction<'_>, batch: &WriteBatch) -> Result<()> {
    let mut agents: HashMap<&crate::batch::AgentSeen, f64> = HashMap::new();
    for (a, t) in &batch.agents {
        let e = agents.entry(a).or_insert(*t);
        *e = e.max(*t);
    }
    // Hosted sightings first, so a host-less one (sessions carry no host) can find their rows.
    let mut agents: Vec<_> = agents.into_iter().collect();
    agents.sort_by_key(|(a, _)| a.server_name.is_empty());
    for (a, t) in agents {
        let p = params![
            a.project_id.0,
            a.environment,
            a.server_name,
            a.sdk_name,
            a.sdk_version,
            a.release,
            t
        ];
        if a.server_name.is_empty() {
            // The same SDK instance seen without its host name: refresh the rows that know it.
            let refreshed = tx
                .prepare_cached(
                    "UPDATE agents SET last_seen = MAX(last_seen, ?7)
                     WHERE project_id = ?1 AND environment = ?2 AND ?3 = '' AND sdk_name = ?4
                       AND sdk_version = ?5 AND release = ?6",
                )?
                .execute(p)?;
            if refreshed > 0 {
                continue;
            }
        }
        tx.prepare_cached(
            "INSERT INTO agents (project_id, environment, server_name, sdk_name, sdk_version, release,
               first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
             ON CONFLICT (project_id, environment, server_name, sdk_name, sdk_version, release)
             DO UPDATE SET last_seen = MAX(agents.last_seen, excluded.last_seen)",
        )?
        .execute(p)?;
        if !a.server_name.is_empty() {
            // A host-less placeholder of this instance is superseded by the named row.
            tx.prepare_cached(
                "DELETE FROM agents WHERE project_id = ?1 AND environment = ?2 AND server_name = ''
                   AND sdk_name = ?3 AND sdk_version = ?4 AND release = ?5",
            )?
            .execute(params![
                a.project_id.0,
                a.environment,
                a.sdk_name,
                a.sdk_version,
                a.release
            ])?;
        }
    }
    for s in &batch.sessions {
        tx.prepare_cached(
            "INSERT INTO session_hours (project_id, release, environment, hour, total, errored, crashed,
               abnormal, exited) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (project_id, release, environment, hour) DO UPDATE SET
               total = session_hours.total + excluded.total,
               errored = session_hours.errored + excluded.errored,
               crashed = session_hours.crashed + excluded.crashed,
               abnormal = session_hours.abnormal + excluded.abnormal,
               exited = session_hours.exited + excluded.exited",
        )?
        .execute(params![
            s.project_id.0,
            s.release,
            s.environment,
            hour_of(s.started),
            s.total as i64,
            s.errored as i64,
            s.crashed as i64,
            s.abnormal as i64,
            s.exited as i64
        ])?;
    }
    for d in &batch.discards {
        tx.prepare_cached(
            "INSERT INTO discard_hours (project_id, hour, reason, category, quantity)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (project_id, hour, reason, category) DO UPDATE SET
               quantity = discard_hours.quantity + excluded.quantity",
        )?
        .execute(params![
            d.project_id.0,
            hour_of(d.timestamp),
            d.reason,
            d.category,
            d.quantity as i64
        ])?;
    }
    Ok(())
}
