//! Overviews across issues: releases with their counts, project summaries, environments.

use std::collections::HashMap;

use rusqlite::{params, Connection};

use super::admin;
use crate::error::Result;
use crate::model::*;
use crate::rules::hour_of;

/// Releases (of one project or all), newest first by first event, with their counts.
pub(super) fn releases(c: &Connection, project: Option<ProjectId>) -> Result<Vec<ReleaseSummary>> {
    let mut stmt = c.prepare_cached(
        "SELECT r.project_id, r.version, r.first_seen, r.last_seen, r.events,
                (SELECT COUNT(*) FROM issues i
                 WHERE i.project_id = r.project_id AND i.first_release = r.version)
         FROM releases r WHERE (?1 IS NULL OR r.project_id = ?1)
         ORDER BY r.first_seen DESC, r.id DESC",
    )?;
    let rows = stmt.query_map([project.map(|p| p.0)], |r| {
        Ok(ReleaseSummary {
            project_id: ProjectId(r.get(0)?),
            version: r.get(1)?,
            first_seen: r.get(2)?,
            last_seen: r.get(3)?,
            events: r.get(4)?,
            new_issues: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Environment names (of one project or all), sorted.
pub(super) fn environments(c: &Connection, project: Option<ProjectId>) -> Result<Vec<String>> {
    let mut stmt = c.prepare_cached(
        "SELECT DISTINCT name FROM environments WHERE (?1 IS NULL OR project_id = ?1) ORDER BY name",
    )?;
    let rows = stmt.query_map([project.map(|p| p.0)], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every project with its environments and what arrived since `since`.
pub(super) fn project_summaries(c: &Connection, since: f64) -> Result<Vec<ProjectSummary>> {
    let mut envs: HashMap<i64, Vec<String>> = HashMap::new();
    let mut stmt =
        c.prepare_cached("SELECT project_id, name FROM environments ORDER BY project_id, name")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
        let (project, name) = row?;
        envs.entry(project).or_default().push(name);
    }
    // Hourly counts of an hour at or after `since_hour` belong to issues last seen since then.
    let since_hour = hour_of(since);
    let mut stmt = c.prepare_cached(
        "SELECT p.id,
           (SELECT COALESCE(SUM(h.count), 0) FROM issues i
              JOIN issue_hourly h ON h.issue_id = i.id AND h.hour >= ?1
            WHERE i.project_id = p.id AND i.last_seen >= ?1),
           (SELECT COUNT(*) FROM issues i WHERE i.project_id = p.id AND i.first_seen >= ?2),
           (SELECT COUNT(*) FROM issues i WHERE i.project_id = p.id AND i.status = 'unresolved')
         FROM projects p",
    )?;
    let mut counts: HashMap<i64, (i64, i64, i64)> = HashMap::new();
    for row in stmt.query_map(params![since_hour, since], |r| {
        Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
    })? {
        let (project, c) = row?;
        counts.insert(project, c);
    }
    Ok(admin::projects(c, "1 = 1", [])?
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
