//! Overviews across issues on PostgreSQL: releases with their counts, project summaries,
//! environments. Text is ordered byte-wise (`COLLATE "C"`), as SQLite orders it.

use std::collections::HashMap;

use deadpool_postgres::Object;

use super::admin;
use crate::error::Result;
use crate::model::*;
use crate::rules::hour_of;

/// Releases (of one project or all), newest first by first event, with their counts.
pub(super) async fn releases(
    c: &Object,
    project: Option<ProjectId>,
) -> Result<Vec<ReleaseSummary>> {
    let stmt = c
        .prepare_cached(
            "SELECT r.project_id, r.version, r.first_seen, r.last_seen, r.events,
                    (SELECT COUNT(*) FROM issues i
                     WHERE i.project_id = r.project_id AND i.first_release = r.version)
             FROM releases r WHERE ($1::bigint IS NULL OR r.project_id = $1)
             ORDER BY r.first_seen DESC, r.id DESC",
        )
        .await?;
    c.query(&stmt, &[&project.map(|p| p.0)])
        .await?
        .iter()
        .map(|r| {
            Ok(ReleaseSummary {
                project_id: ProjectId(r.try_get(0)?),
                version: r.try_get(1)?,
                first_seen: r.try_get(2)?,
                last_seen: r.try_get(3)?,
                events: r.try_get(4)?,
                new_issues: r.try_get(5)?,
            })
        })
        .collect()
}

/// Environment names (of one project or all), sorted.
pub(super) async fn environments(c: &Object, project: Option<ProjectId>) -> Result<Vec<String>> {
    let stmt = c
        .prepare_cached(
            "SELECT DISTINCT name COLLATE \"C\" AS name FROM environments
             WHERE ($1::bigint IS NULL OR project_id = $1) ORDER BY name",
        )
        .await?;
    c.query(&stmt, &[&project.map(|p| p.0)])
        .await?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
}

/// Every project with its environments and what arrived since `since`.
pub(super) async fn project_summaries(c: &Object, since: f64) -> Result<Vec<ProjectSummary>> {
    let mut envs: HashMap<i64, Vec<String>> = HashMap::new();
    let stmt = c
        .prepare_cached(
            "SELECT project_id, name FROM environments ORDER BY project_id, name COLLATE \"C\"",
        )
        .await?;
    for r in c.query(&stmt, &[]).await? {
        envs.entry(r.try_get(0)?).or_default().push(r.try_get(1)?);
    }
    // Hourly counts of an hour at or after `since_hour` belong to issues last seen since then.
    let since_hour = hour_of(since);
    let stmt = c
        .prepare_cached(
            "SELECT p.id,
               (SELECT COALESCE(SUM(h.count), 0)::bigint FROM issues i
                  JOIN issue_hourly h ON h.issue_id = i.id AND h.hour >= $1
                WHERE i.project_id = p.id AND i.last_seen >= $2),
               (SELECT COUNT(*) FROM issues i WHERE i.project_id = p.id AND i.first_seen >= $3),
               (SELECT COUNT(*) FROM issues i
                WHERE i.project_id = p.id AND i.status = 'unresolved')
             FROM projects p",
        )
        .await?;
    let mut counts: HashMap<i64, (i64, i64, i64)> = HashMap::new();
    for r in c
        .query(&stmt, &[&since_hour, &(since_hour as f64), &since])
        .await?
    {
        counts.insert(r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?));
    }
    Ok(admin::projects(c, "TRUE", &[])
        .await?
        .into_iter()
        .map(|project| {
            let (events, new_issues, unresolved) =
                counts.get(&project.id.0).copied().unwrap_or_default();
            ProjectSummary {
                environments: envs.remove(&project.id.0).unwrap_or_default(),
                project,
                events,
                new_issues,
                unresolved,
            }
        })
        .collect())
}
