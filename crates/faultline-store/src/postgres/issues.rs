//! Issues on PostgreSQL: resolving fingerprints to issues (creating new ones under a lock on
//! their hashes), counters, regression and escalation, tags and hourly counts.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use deadpool_postgres::Transaction;

use super::lock_key;
use crate::batch::NewEvent;
use crate::error::Result;
use crate::model::IssueStatus;
use crate::rules::{escalation_data, now, reopens, IgnoreThresholds, ResolvedState};

pub(super) type HashKey = (i64, String);

/// Per-issue sums over one batch.
#[derive(Default)]
pub(super) struct IssueAgg {
    pub(super) project_id: i64,
    pub(super) count: i64,
    pub(super) first_ts: f64,
    pub(super) last_ts: f64,
    pub(super) last_level: String,
    pub(super) last_release: Option<String>,
    pub(super) max_received: f64,
    pub(super) releases: BTreeSet<String>,
    pub(super) tags: BTreeMap<(String, String), (i64, f64, f64)>,
    pub(super) hours: BTreeMap<i64, i64>,
}

/// Adds the stored links of `wanted` hashes to `known`.
async fn lookup_hashes(
    tx: &Transaction<'_>,
    known: &mut HashMap<HashKey, i64>,
    wanted: &BTreeSet<HashKey>,
) -> Result<()> {
    let (projects, hashes): (Vec<i64>, Vec<&str>) =
        wanted.iter().map(|(p, h)| (*p, h.as_str())).unzip();
    let stmt = tx
        .prepare_cached(
            "SELECT h.project_id, h.hash, h.issue_id FROM issue_hashes h
             JOIN unnest($1::bigint[], $2::text[]) AS u(project_id, hash)
               ON h.project_id = u.project_id AND h.hash = u.hash",
        )
        .await?;
    for r in tx.query(&stmt, &[&projects, &hashes]).await? {
        known.insert((r.try_get(0)?, r.try_get(1)?), r.try_get(2)?);
    }
    Ok(())
}

/// Which issue each event of a batch belongs to.
pub(super) struct Resolved {
    /// The issue of each event.
    pub(super) issues: Vec<i64>,
    /// Whether the event created its issue.
    pub(super) creator: Vec<bool>,
    /// The issues this batch created.
    pub(super) created: HashSet<i64>,
}

/// The issue of every event (first known hash wins; otherwise a new issue), and the new ones.
pub(super) async fn resolve_issues(
    tx: &Transaction<'_>,
    known: &mut HashMap<HashKey, i64>,
    events: &[NewEvent],
) -> Result<Resolved> {
    let unknown = |known: &HashMap<HashKey, i64>| -> BTreeSet<HashKey> {
        events
            .iter()
            .flat_map(|ev| ev.hashes.iter().map(|h| (ev.project_id.0, h.clone())))
            .filter(|k| !known.contains_key(k))
            .collect()
    };
    let wanted = unknown(known);
    if !wanted.is_empty() {
        lookup_hashes(tx, known, &wanted).await?;
        let wanted = unknown(known);
        if !wanted.is_empty() {
            // This batch links these hashes: hold their locks (in one order) until commit, then
            // look again — a node that linked them meanwhile has committed.
            let mut keys: Vec<i64> = wanted
                .iter()
                .map(|(p, h)| lock_key(&format!("hash:{p}:{h}")))
                .collect();
            keys.sort_unstable();
            keys.dedup();
            let stmt = tx
                .prepare_cached("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k")
                .await?;
            tx.execute(&stmt, &[&keys]).await?;
            lookup_hashes(tx, known, &wanted).await?;
        }
    }
    let mut issues = Vec::with_capacity(events.len());
    let mut creator = Vec::with_capacity(events.len());
    let mut created = HashSet::new();
    let mut links: Vec<(i64, String, i64)> = Vec::new();
    let mut activity: Vec<(i64, String)> = Vec::new();
    for ev in events {
        let project = ev.project_id.0;
        let found = ev
            .hashes
            .iter()
            .find_map(|h| known.get(&(project, h.clone())).copied());
        let issue = match found {
            Some(id) => id,
            None => {
                let id = create_issue(tx, ev).await?;
                created.insert(id);
                let data = serde_json::json!({ "release": ev.release });
                activity.push((id, data.to_string()));
                id
            }
        };
        for h in &ev.hashes {
            let key = (project, h.clone());
            if let std::collections::hash_map::Entry::Vacant(e) = known.entry(key) {
                e.insert(issue);
                links.push((project, h.clone(), issue));
            }
        }
        creator.push(found.is_none());
        issues.push(issue);
    }
    if !links.is_empty() {
        links.sort();
        let p: Vec<i64> = links.iter().map(|l| l.0).collect();
        let h: Vec<&str> = links.iter().map(|l| l.1.as_str()).collect();
        let i: Vec<i64> = links.iter().map(|l| l.2).collect();
        tx.execute(
            "INSERT INTO issue_hashes (project_id, hash, issue_id)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING",
            &[&p, &h, &i],
        )
        .await?;
    }
    insert_activity(tx, "first_seen", &activity, None).await?;
    Ok(Resolved {
        issues,
        creator,
        created,
    })
}

async fn create_issue(tx: &Transaction<'_>, ev: &NewEvent) -> Result<i64> {
    let primary = ev.hashes.first().map(String::as_str).unwrap_or_default();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO issues (project_id, grouping_version, grouping_variant,
               primary_hash, title, culprit, kind, level, platform, metadata, status, substatus,
               first_seen, last_seen, times_seen, users_seen, first_release, last_release)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'unresolved', 'new',
               $11, $11, 0, 0, $12, $12)
             RETURNING id",
        )
        .await?;
    let row = tx
        .query_one(
            &stmt,
            &[
                &ev.project_id.0,
                &ev.grouping_version,
                &ev.grouping_variant,
                &primary,
                &ev.title,
                &ev.culprit,
                &ev.kind,
                &ev.level,
                &ev.platform,
                &ev.metadata,
                &ev.timestamp,
                &ev.release,
            ],
        )
        .await?;
    let id: i64 = row.try_get(0)?;
    let stmt = tx
        .prepare_cached("INSERT INTO issue_grouping (issue_id, components) VALUES ($1, $2)")
        .await?;
    tx.execute(&stmt, &[&id, &ev.grouping_components.text()])
        .await?;
    Ok(id)
}

/// Adds `kind` entries (issue, data) to the activity log; `user` did them (none: the system).
pub(super) async fn insert_activity(
    tx: &tokio_postgres::Transaction<'_>,
    kind: &str,
    rows: &[(i64, String)],
    user: Option<i64>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let data: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    tx.execute(
        "INSERT INTO issue_activity (issue_id, kind, data, created_at, user_id)
         SELECT id, $3, data, $4, $5::bigint FROM unnest($1::bigint[], $2::text[]) AS u(id, data)",
        &[&ids, &data, &kind, &now(), &user],
    )
    .await?;
    Ok(())
}

/// Brings issues back from an ignore whose condition was met: unresolved, `escalating`, the
/// conditions cleared, a `set_escalating` entry each (`rows`: issue and activity data).
pub(super) async fn escalate(
    tx: &tokio_postgres::Transaction<'_>,
    rows: &[(i64, String)],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    tx.execute(
        "UPDATE issues SET status = 'unresolved', substatus = 'escalating',
           ignore_until = NULL, ignore_until_events = NULL, ignore_until_users = NULL
         WHERE id = ANY($1)",
        &[&ids],
    )
    .await?;
    insert_activity(tx, "set_escalating", rows, None).await
}

/// Locks the touched issues (in id order), reopens the ones these events regress, brings back
/// the ignored ones whose condition they meet, and adds the batch's counts. Returns the regressed
/// issues.
pub(super) async fn update_issues(
    tx: &Transaction<'_>,
    aggs: &BTreeMap<i64, IssueAgg>,
    new_issues: &HashSet<i64>,
    new_users: &HashMap<i64, i64>,
) -> Result<HashSet<i64>> {
    let mut regressed = HashSet::new();
    if aggs.is_empty() {
        return Ok(regressed);
    }
    let ids: Vec<i64> = aggs.keys().copied().collect();
    let stmt = tx
        .prepare_cached(
            "SELECT id, status, resolved_in_release, resolved_in_next_release, resolved_at,
                    ignore_until, ignore_until_events, ignore_until_users, times_seen, users_seen
             FROM issues WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        )
        .await?;
    let mut activity = Vec::new();
    let mut escalating = Vec::new();
    let t = now();
    for r in tx.query(&stmt, &[&ids]).await? {
        let id: i64 = r.try_get(0)?;
        let state = ResolvedState {
            status: r.try_get(1)?,
            in_release: r.try_get(2)?,
            in_next: r.try_get(3)?,
            resolved_at: r.try_get(4)?,
        };
        let Some(agg) = aggs.get(&id) else { continue };
        if new_issues.contains(&id) {
            continue;
        }
        match IssueStatus::parse(&state.status) {
            Some(IssueStatus::Resolved) => {}
            Some(IssueStatus::Ignored) => {
                let ignore = IgnoreThresholds {
                    until: r.try_get(5)?,
                    events: r.try_get(6)?,
                    users: r.try_get(7)?,
                };
                let times_seen = r.try_get::<_, i64>(8)? + agg.count;
                let users_seen = r.try_get::<_, i64>(9)? + new_users.get(&id).copied().unwrap_or(0);
                if let Some(reason) = ignore.reached(times_seen, users_seen, t) {
                    escalating.push((id, escalation_data(reason)));
                }
                continue;
            }
            _ => continue,
        }
        let releases: Vec<String> = agg.releases.iter().cloned().collect();
        let seen = release_first_seen(tx, agg.project_id, &state, &releases).await?;
        if reopens(&state, agg.max_received, &releases, |r| {
            seen.get(r).copied()
        }) {
            regressed.insert(id);
            activity.push((
                id,
                serde_json::json!({ "release": agg.last_release }).to_string(),
            ));
        }
    }
    if !regressed.is_empty() {
        let mut r: Vec<i64> = regressed.iter().copied().collect();
        r.sort_unstable();
        tx.execute(
            "UPDATE issues SET status = 'unresolved', substatus = 'regressed',
               resolved_in_release = NULL, resolved_in_next_release = FALSE WHERE id = ANY($1)",
            &[&r],
        )
        .await?;
        insert_activity(tx, "set_regression", &activity, None).await?;
    }
    escalate(tx, &escalating).await?;
    let n: Vec<i64> = aggs.values().map(|a| a.count).collect();
    let users: Vec<i64> = ids
        .iter()
        .map(|id| new_users.get(id).copied().unwrap_or(0))
        .collect();
    let first: Vec<f64> = aggs.values().map(|a| a.first_ts).collect();
    let last: Vec<f64> = aggs.values().map(|a| a.last_ts).collect();
    let level: Vec<&str> = aggs.values().map(|a| a.last_level.as_str()).collect();
    let rel: Vec<Option<&str>> = aggs.values().map(|a| a.last_release.as_deref()).collect();
    let stmt = tx
        .prepare_cached(
            "UPDATE issues i SET times_seen = i.times_seen + u.n, users_seen = i.users_seen + u.users,
               first_seen = LEAST(i.first_seen, u.first),
               level = CASE WHEN u.last >= i.last_seen THEN u.level ELSE i.level END,
               last_release = CASE WHEN u.last >= i.last_seen
                 THEN COALESCE(u.rel, i.last_release) ELSE i.last_release END,
               last_seen = GREATEST(i.last_seen, u.last)
             FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], $5::float8[],
                         $6::text[], $7::text[]) AS u(id, n, users, first, last, level, rel)
             WHERE i.id = u.id",
        )
        .await?;
    tx.execute(&stmt, &[&ids, &n, &users, &first, &last, &level, &rel])
        .await?;
    Ok(regressed)
}

/// First-seen times of the releases the regression decision compares.
async fn release_first_seen(
    tx: &Transaction<'_>,
    project: i64,
    state: &ResolvedState,
    releases: &[String],
) -> Result<HashMap<String, f64>> {
    let Some(base) = &state.in_release else {
        return Ok(HashMap::new());
    };
    let mut versions: Vec<&str> = releases.iter().map(String::as_str).collect();
    versions.push(base);
    let rows = tx
        .query(
            "SELECT version, first_seen FROM releases WHERE project_id = $1 AND version = ANY($2)",
            &[&project, &versions],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

pub(super) async fn upsert_tags_and_hours(
    tx: &Transaction<'_>,
    aggs: &BTreeMap<i64, IssueAgg>,
) -> Result<()> {
    let (mut id, mut key, mut value, mut n, mut first, mut last) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut h_id, mut hour, mut count) = (vec![], vec![], vec![]);
    for (issue, agg) in aggs {
        for ((k, v), (c, f, l)) in &agg.tags {
            id.push(*issue);
            key.push(k.as_str());
            value.push(v.as_str());
            n.push(*c);
            first.push(*f);
            last.push(*l);
        }
        for (h, c) in &agg.hours {
            h_id.push(*issue);
            hour.push(*h);
            count.push(*c);
        }
    }
    if !id.is_empty() {
        let stmt = tx
            .prepare_cached(
                "INSERT INTO issue_tags (issue_id, key, value, times_seen, first_seen, last_seen)
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[],
                                      $5::float8[], $6::float8[])
                 ON CONFLICT (issue_id, key, value) DO UPDATE SET
                   times_seen = issue_tags.times_seen + excluded.times_seen,
                   first_seen = LEAST(issue_tags.first_seen, excluded.first_seen),
                   last_seen = GREATEST(issue_tags.last_seen, excluded.last_seen)",
            )
            .await?;
        tx.execute(&stmt, &[&id, &key, &value, &n, &first, &last])
            .await?;
    }
    if !h_id.is_empty() {
        let stmt = tx
            .prepare_cached(
                "INSERT INTO issue_hourly (issue_id, hour, count)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])
                 ON CONFLICT (issue_id, hour) DO UPDATE SET count = issue_hourly.count + excluded.count",
            )
            .await?;
        tx.execute(&stmt, &[&h_id, &hour, &count]).await?;
    }
    Ok(())
}
