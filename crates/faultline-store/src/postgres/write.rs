//! The write path on PostgreSQL: one batch, one transaction, safe with several nodes writing.
//!
//! No read-modify-write: counters are `col = col + $n`, aggregates are multi-row
//! `INSERT … ON CONFLICT DO UPDATE` over UNNEST arrays. A new fingerprint is created under a
//! transaction-scoped advisory lock on its hash, so two nodes seeing it at once make one issue.
//! Locks are always taken in one order — hash locks (sorted), events (sorted by id), issue users,
//! releases, environments, issue rows (sorted by id, `FOR UPDATE`), tags, hours, side tables — so
//! two batches never wait on each other in a cycle.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

use deadpool_postgres::{Object, Transaction};

use super::issues::{resolve_issues, update_issues, upsert_tags_and_hours, HashKey, IssueAgg};
use super::{side, Failure};
use crate::batch::{EventOutcome, NewEvent, WriteBatch};
use crate::error::{Result, StoreError};
use crate::model::IssueId;
use crate::rules::{hour_of, now, trace_id_bytes};
use crate::BatchOutcome;

pub(super) async fn write_batch(
    c: &mut Object,
    cache: &Mutex<HashMap<HashKey, i64>>,
    batch: &WriteBatch,
) -> Result<BatchOutcome, Failure> {
    let event_ids: Vec<Vec<u8>> = batch
        .events
        .iter()
        .map(|ev| {
            hex::decode(&ev.event_id)
                .map_err(|_| StoreError::Invalid(format!("event id '{}' is not hex", ev.event_id)))
        })
        .collect::<Result<_>>()?;
    let tx = c.transaction().await?;
    // One batch at a time across all nodes. Batches touch shared rows (the issue, its tags,
    // hours and users) in orders that concurrent transactions could cross; taking this lock
    // first rules deadlocks out. Nodes still parse, group and batch in parallel; only the
    // commits queue, and each carries a whole batch.
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&super::lock_key("write_batch")],
    )
    .await?;
    let mut known = cached_hashes(cache, &batch.events);
    let resolved = resolve_issues(&tx, &mut known, &batch.events).await?;
    let (issues, new_issues) = (&resolved.issues, &resolved.created);

    // Events: the first of each (project, event id) in the batch, sorted so that two nodes
    // inserting the same ids wait on each other in one order.
    let mut first: HashMap<(i64, &[u8]), usize> = HashMap::new();
    for (i, ev) in batch.events.iter().enumerate() {
        first.entry((ev.project_id.0, &event_ids[i])).or_insert(i);
    }
    let mut order: Vec<usize> = first.values().copied().collect();
    order.sort_by_key(|&i| (batch.events[i].project_id.0, &event_ids[i]));
    let inserted = insert_events(&tx, batch, &event_ids, issues, &order).await?;
    let stored: Vec<bool> = (0..batch.events.len())
        .map(|i| {
            let key = (batch.events[i].project_id.0, event_ids[i].as_slice());
            first.get(&key) == Some(&i) && inserted.contains(&key)
        })
        .collect();
    insert_attachments(&tx, batch, &event_ids, &stored).await?;

    let mut aggs: BTreeMap<i64, IssueAgg> = BTreeMap::new();
    // (project, name) → (first, last, stored events) for releases and environments.
    let mut releases: BTreeMap<HashKey, Seen> = BTreeMap::new();
    let mut environments: BTreeMap<HashKey, Seen> = BTreeMap::new();
    let mut users: BTreeSet<(i64, &str)> = BTreeSet::new();
    for (i, ev) in batch.events.iter().enumerate().filter(|(i, _)| stored[*i]) {
        let issue_id = issues[i];
        let agg = aggs.entry(issue_id).or_insert_with(|| IssueAgg {
            project_id: ev.project_id.0,
            first_ts: f64::MAX,
            last_ts: f64::MIN,
            ..Default::default()
        });
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
        if let Some(u) = &ev.user_key {
            users.insert((issue_id, u));
        }
        if let Some(r) = &ev.release {
            agg.releases.insert(r.clone());
            widen(&mut releases, (ev.project_id.0, r.clone()), ev.timestamp);
        }
        if let Some(e) = &ev.environment {
            widen(
                &mut environments,
                (ev.project_id.0, e.clone()),
                ev.timestamp,
            );
        }
    }
    let new_users = insert_users(&tx, &users).await?;
    upsert_releases(&tx, &releases).await?;
    upsert_environments(&tx, &environments).await?;
    let regressed = update_issues(&tx, &aggs, new_issues, &new_users).await?;
    upsert_tags_and_hours(&tx, &aggs).await?;
    side::write(&tx, batch).await?;
    tx.commit().await?;

    if let Ok(mut cache) = cache.lock() {
        if cache.len() > 200_000 {
            cache.clear();
        }
        cache.extend(known);
    }
    let events = (0..batch.events.len())
        .map(|i| match stored[i] {
            true => EventOutcome::Stored {
                issue_id: IssueId(issues[i]),
                new_issue: resolved.creator[i],
                regressed: regressed.contains(&issues[i]),
            },
            false => EventOutcome::Duplicate,
        })
        .collect();
    Ok(BatchOutcome { events })
}

/// A release's or environment's first and last event of the batch, and how many were stored.
type Seen = (f64, f64, i64);

/// Widens first and last seen to `ts` and counts the event.
fn widen(map: &mut BTreeMap<HashKey, Seen>, key: HashKey, ts: f64) {
    let e = map.entry(key).or_insert((ts, ts, 0));
    e.0 = e.0.min(ts);
    e.1 = e.1.max(ts);
    e.2 += 1;
}

fn cached_hashes(
    cache: &Mutex<HashMap<HashKey, i64>>,
    events: &[NewEvent],
) -> HashMap<HashKey, i64> {
    let Ok(cache) = cache.lock() else {
        return HashMap::new();
    };
    let mut known = HashMap::new();
    for ev in events {
        for h in &ev.hashes {
            let key = (ev.project_id.0, h.clone());
            if let Some(id) = cache.get(&key) {
                known.insert(key, *id);
            }
        }
    }
    known
}

/// Inserts the events at `order`; returns the (project, event id) of those that were new.
async fn insert_events<'a>(
    tx: &Transaction<'_>,
    batch: &WriteBatch,
    event_ids: &'a [Vec<u8>],
    issues: &[i64],
    order: &[usize],
) -> Result<HashSet<(i64, &'a [u8])>> {
    if order.is_empty() {
        return Ok(HashSet::new());
    }
    let ev = |i: &usize| &batch.events[*i];
    let project: Vec<i64> = order.iter().map(|i| ev(i).project_id.0).collect();
    let issue: Vec<i64> = order.iter().map(|i| issues[*i]).collect();
    let id: Vec<&[u8]> = order.iter().map(|i| event_ids[*i].as_slice()).collect();
    let ts: Vec<f64> = order.iter().map(|i| ev(i).timestamp).collect();
    let received: Vec<f64> = order.iter().map(|i| ev(i).received).collect();
    let dict: Vec<Option<i64>> = order.iter().map(|i| ev(i).payload_dict).collect();
    let payload: Vec<&[u8]> = order.iter().map(|i| ev(i).payload.as_slice()).collect();
    let trace: Vec<Option<Vec<u8>>> = order
        .iter()
        .map(|i| ev(i).trace_id.as_deref().and_then(trace_id_bytes))
        .collect();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO events (project_id, issue_id, event_id, timestamp, received, dict_id, payload,
                                 trace_id)
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::float8[],
                                  $5::float8[], $6::bigint[], $7::bytea[], $8::bytea[])
             ON CONFLICT (project_id, event_id) DO NOTHING
             RETURNING project_id, event_id",
        )
        .await?;
    let rows = tx
        .query(
            &stmt,
            &[
                &project, &issue, &id, &ts, &received, &dict, &payload, &trace,
            ],
        )
        .await?;
    let mut by_key: HashMap<(i64, &[u8]), &'a [u8]> = HashMap::new();
    for i in order {
        by_key.insert((ev(i).project_id.0, &event_ids[*i]), &event_ids[*i]);
    }
    let mut out = HashSet::new();
    for r in rows {
        let p: i64 = r.try_get(0)?;
        let e: Vec<u8> = r.try_get(1)?;
        if let Some(stored) = by_key.get(&(p, e.as_slice())) {
            out.insert((p, *stored));
        }
    }
    Ok(out)
}

async fn insert_attachments(
    tx: &Transaction<'_>,
    batch: &WriteBatch,
    event_ids: &[Vec<u8>],
    stored: &[bool],
) -> Result<()> {
    let (mut p, mut e, mut name, mut ctype, mut atype, mut size, mut data) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for (i, ev) in batch.events.iter().enumerate().filter(|(i, _)| stored[*i]) {
        for a in &ev.attachments {
            p.push(ev.project_id.0);
            e.push(event_ids[i].as_slice());
            name.push(a.filename.as_str());
            ctype.push(a.content_type.as_deref());
            atype.push(a.attachment_type.as_str());
            size.push(a.data.len() as i64);
            data.push(a.data.as_slice());
        }
    }
    if p.is_empty() {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO attachments (project_id, event_id, filename, content_type, attachment_type,
           size, data)
         SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[], $4::text[], $5::text[],
                              $6::bigint[], $7::bytea[])",
        &[&p, &e, &name, &ctype, &atype, &size, &data],
    )
    .await?;
    Ok(())
}

/// Links users to issues; returns how many were new per issue.
async fn insert_users(
    tx: &Transaction<'_>,
    users: &BTreeSet<(i64, &str)>,
) -> Result<HashMap<i64, i64>> {
    let mut out = HashMap::new();
    if users.is_empty() {
        return Ok(out);
    }
    let (ids, keys): (Vec<i64>, Vec<&str>) = users.iter().copied().unzip();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO issue_users (issue_id, user_key)
             SELECT * FROM unnest($1::bigint[], $2::text[]) ON CONFLICT DO NOTHING
             RETURNING issue_id",
        )
        .await?;
    for r in tx.query(&stmt, &[&ids, &keys]).await? {
        *out.entry(r.try_get::<_, i64>(0)?).or_default() += 1;
    }
    Ok(out)
}

/// Upserts the batch's releases: widens first and last seen (first never after now) and adds
/// the stored events.
async fn upsert_releases(tx: &Transaction<'_>, rows: &BTreeMap<HashKey, Seen>) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let t = now();
    let p: Vec<i64> = rows.keys().map(|k| k.0).collect();
    let n: Vec<&str> = rows.keys().map(|k| k.1.as_str()).collect();
    let first: Vec<f64> = rows.values().map(|v| t.min(v.0)).collect();
    let last: Vec<f64> = rows.values().map(|v| v.1).collect();
    let events: Vec<i64> = rows.values().map(|v| v.2).collect();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO releases (project_id, version, first_seen, last_seen, events)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::float8[], $4::float8[],
                                  $5::bigint[])
             ON CONFLICT (project_id, version) DO UPDATE SET
               first_seen = LEAST(releases.first_seen, excluded.first_seen),
               last_seen = GREATEST(releases.last_seen, excluded.last_seen),
               events = releases.events + excluded.events",
        )
        .await?;
    tx.execute(&stmt, &[&p, &n, &first, &last, &events]).await?;
    Ok(())
}

/// Upserts the batch's environments, widening first and last seen.
async fn upsert_environments(tx: &Transaction<'_>, rows: &BTreeMap<HashKey, Seen>) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let p: Vec<i64> = rows.keys().map(|k| k.0).collect();
    let n: Vec<&str> = rows.keys().map(|k| k.1.as_str()).collect();
    let first: Vec<f64> = rows.values().map(|v| v.0).collect();
    let last: Vec<f64> = rows.values().map(|v| v.1).collect();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO environments (project_id, name, first_seen, last_seen)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::float8[], $4::float8[])
             ON CONFLICT (project_id, name) DO UPDATE SET
               first_seen = LEAST(environments.first_seen, excluded.first_seen),
               last_seen = GREATEST(environments.last_seen, excluded.last_seen)",
        )
        .await?;
    tx.execute(&stmt, &[&p, &n, &first, &last]).await?;
    Ok(())
}
