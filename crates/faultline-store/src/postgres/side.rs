//! The side tables of a batch on PostgreSQL: agents (SDK instances), sessions, client reports.
//! Rows are merged per key and written sorted, so concurrent batches lock them in one order.

use std::collections::{BTreeMap, HashMap};

use deadpool_postgres::Transaction;

use crate::batch::{AgentSeen, WriteBatch};
use crate::error::Result;
use crate::rules::hour_of;

pub(super) async fn write(tx: &Transaction<'_>, batch: &WriteBatch) -> Result<()> {
    agents(tx, batch).await?;
    sessions(tx, batch).await?;
    discards(tx, batch).await
}

async fn agents(tx: &Transaction<'_>, batch: &WriteBatch) -> Result<()> {
    let mut seen: HashMap<&AgentSeen, f64> = HashMap::new();
    for (a, t) in &batch.agents {
        let e = seen.entry(a).or_insert(*t);
        *e = e.max(*t);
    }
    // Hosted sightings first, so a host-less one (sessions carry no host) can find their rows.
    let mut seen: Vec<_> = seen.into_iter().collect();
    seen.sort_by(|(a, _), (b, _)| {
        let key = |x: &AgentSeen| {
            (
                x.server_name.is_empty(),
                x.project_id,
                x.environment.clone(),
                x.server_name.clone(),
                x.sdk_name.clone(),
                x.sdk_version.clone(),
                x.release.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    for (a, t) in seen {
        if a.server_name.is_empty() {
            // The same SDK instance seen without its host name: refresh the rows that know it.
            let stmt = tx
                .prepare_cached(
                    "UPDATE agents SET last_seen = GREATEST(last_seen, $6)
                     WHERE project_id = $1 AND environment = $2 AND sdk_name = $3
                       AND sdk_version = $4 AND release = $5",
                )
                .await?;
            let refreshed = tx
                .execute(
                    &stmt,
                    &[
                        &a.project_id.0,
                        &a.environment,
                        &a.sdk_name,
                        &a.sdk_version,
                        &a.release,
                        &t,
                    ],
                )
                .await?;
            if refreshed > 0 {
                continue;
            }
        }
        let stmt = tx
            .prepare_cached(
                "INSERT INTO agents (project_id, environment, server_name, sdk_name, sdk_version,
                   release, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
                 ON CONFLICT (project_id, environment, server_name, sdk_name, sdk_version, release)
                 DO UPDATE SET last_seen = GREATEST(agents.last_seen, excluded.last_seen)",
            )
            .await?;
        tx.execute(
            &stmt,
            &[
                &a.project_id.0,
                &a.environment,
                &a.server_name,
                &a.sdk_name,
                &a.sdk_version,
                &a.release,
                &t,
            ],
        )
        .await?;
        if !a.server_name.is_empty() {
            // A host-less placeholder of this instance is superseded by the named row.
            let stmt = tx
                .prepare_cached(
                    "DELETE FROM agents WHERE project_id = $1 AND environment = $2
                       AND server_name = '' AND sdk_name = $3 AND sdk_version = $4 AND release = $5",
                )
                .await?;
            tx.execute(
                &stmt,
                &[
                    &a.project_id.0,
                    &a.environment,
                    &a.sdk_name,
                    &a.sdk_version,
                    &a.release,
                ],
            )
            .await?;
        }
    }
    Ok(())
}

async fn sessions(tx: &Transaction<'_>, batch: &WriteBatch) -> Result<()> {
    let mut rows: BTreeMap<(i64, &str, &str, i64), [i64; 5]> = BTreeMap::new();
    for s in &batch.sessions {
        let key = (
            s.project_id.0,
            s.release.as_str(),
            s.environment.as_str(),
            hour_of(s.started),
        );
        let r = rows.entry(key).or_default();
        for (slot, n) in r
            .iter_mut()
            .zip([s.total, s.errored, s.crashed, s.abnormal, s.exited])
        {
            *slot += n as i64;
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    let p: Vec<i64> = rows.keys().map(|k| k.0).collect();
    let rel: Vec<&str> = rows.keys().map(|k| k.1).collect();
    let env: Vec<&str> = rows.keys().map(|k| k.2).collect();
    let hour: Vec<i64> = rows.keys().map(|k| k.3).collect();
    let col = |i: usize| -> Vec<i64> { rows.values().map(|v| v[i]).collect() };
    let stmt = tx
        .prepare_cached(
            "INSERT INTO session_hours (project_id, release, environment, hour, total, errored,
               crashed, abnormal, exited)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
                                  $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[])
             ON CONFLICT (project_id, release, environment, hour) DO UPDATE SET
               total = session_hours.total + excluded.total,
               errored = session_hours.errored + excluded.errored,
               crashed = session_hours.crashed + excluded.crashed,
               abnormal = session_hours.abnormal + excluded.abnormal,
               exited = session_hours.exited + excluded.exited",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &p,
            &rel,
            &env,
            &hour,
            &col(0),
            &col(1),
            &col(2),
            &col(3),
            &col(4),
        ],
    )
    .await?;
    Ok(())
}

async fn discards(tx: &Transaction<'_>, batch: &WriteBatch) -> Result<()> {
    let mut rows: BTreeMap<(i64, i64, &str, &str), i64> = BTreeMap::new();
    for d in &batch.discards {
        let key = (
            d.project_id.0,
            hour_of(d.timestamp),
            d.reason.as_str(),
            d.category.as_str(),
        );
        *rows.entry(key).or_default() += d.quantity as i64;
    }
    if rows.is_empty() {
        return Ok(());
    }
    let p: Vec<i64> = rows.keys().map(|k| k.0).collect();
    let hour: Vec<i64> = rows.keys().map(|k| k.1).collect();
    let reason: Vec<&str> = rows.keys().map(|k| k.2).collect();
    let category: Vec<&str> = rows.keys().map(|k| k.3).collect();
    let qty: Vec<i64> = rows.values().copied().collect();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO discard_hours (project_id, hour, reason, category, quantity)
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[])
             ON CONFLICT (project_id, hour, reason, category) DO UPDATE SET
               quantity = discard_hours.quantity + excluded.quantity",
        )
        .await?;
    tx.execute(&stmt, &[&p, &hour, &reason, &category, &qty])
        .await?;
    Ok(())
}
