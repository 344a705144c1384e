//! Typed queries for the read side.

use crate::model::{IssueStatus, ProjectId};

/// Sort order of the issue list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IssueSort {
    /// Most recently seen first.
    #[default]
    LastSeen,
    /// Newest issues first.
    FirstSeen,
    /// Most events first.
    Events,
    /// Most users first.
    Users,
}

/// A tag condition: the issue has seen `key` = `value` (or lacks it when `negate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFilter {
    /// Tag key (`release`, `environment`, `level`, any event tag).
    pub key: String,
    /// Value.
    pub value: String,
    /// Issue must NOT have seen this value.
    pub negate: bool,
}

/// Filters for listing issues.
#[derive(Debug, Clone, Default)]
pub struct IssueQuery {
    /// Only these projects (empty: all).
    pub projects: Vec<ProjectId>,
    /// Only these statuses (empty: all).
    pub statuses: Vec<IssueStatus>,
    /// Only issues whose latest level is one of these (empty: all).
    pub levels: Vec<String>,
    /// Only these substatuses (`new`, `regressed`, `ongoing`, …).
    pub substatuses: Vec<String>,
    /// Only these kinds (`uncaught`, `caught`, `logged`, `message`).
    pub kinds: Vec<String>,
    /// Tag conditions, all must hold.
    pub tags: Vec<TagFilter>,
    /// Words that must all appear in the title or culprit (case-insensitive).
    pub text: Vec<String>,
    /// Only issues seen at or after this time, Unix seconds.
    pub seen_since: Option<f64>,
    /// Only issues first seen at or after this time, Unix seconds.
    pub first_seen_since: Option<f64>,
    /// Only issues assigned this way, when set.
    pub assignee: Option<AssigneeFilter>,
    /// Sort.
    pub sort: IssueSort,
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return.
    pub limit: u64,
}

/// The change a user makes to an issue's status.
#[derive(Debug, Clone, PartialEq)]
pub enum StatusChange {
    /// Reopen.
    Unresolve,
    /// Resolve now.
    Resolve,
    /// Resolve; only an event of a release newer than the project's latest reopens it.
    ResolveInNextRelease,
    /// Resolve; only an event of a release newer than this one reopens it.
    ResolveInRelease(String),
    /// Ignore forever.
    Ignore,
    /// Ignore until any of the limits is reached; then the issue reopens with substatus
    /// `escalating` (on its next event, or by [`crate::Store::unignore_expired`] for time).
    IgnoreUntil(IgnoreLimits),
}

/// When an ignored issue comes back by itself. At least one limit is set.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct IgnoreLimits {
    /// Until this time, Unix seconds.
    pub until: Option<f64>,
    /// Until this many more events.
    pub more_events: Option<i64>,
    /// Until this many more distinct users.
    pub more_users: Option<i64>,
}

/// Filter on who an issue is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Assigned to nobody.
    Unassigned,
    /// Assigned to someone (a user or a team).
    Assigned,
    /// Assigned to this user.
    User(crate::model::UserId),
    /// Assigned to this team.
    Team(crate::model::TeamId),
}
