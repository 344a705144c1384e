CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at REAL NOT NULL
);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (org_id, slug)
);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id),
    team_id INTEGER REFERENCES teams(id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    platform TEXT,
    created_at REAL NOT NULL,
    scrub_enabled INTEGER NOT NULL DEFAULT 1,
    scrub_extra_keys TEXT NOT NULL DEFAULT '',
    UNIQUE (org_id, slug)
);

CREATE TABLE project_keys (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    public_key TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    rate_limit_count INTEGER,
    rate_limit_window INTEGER,
    active INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at REAL NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at REAL NOT NULL
);

CREATE TABLE issues (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    grouping_version TEXT NOT NULL,
    grouping_variant TEXT NOT NULL,
    grouping_components TEXT NOT NULL,
    primary_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    culprit TEXT NOT NULL,
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    platform TEXT NOT NULL,
    metadata TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'unresolved',
    substatus TEXT,
    resolved_in_release TEXT,
    resolved_in_next_release INTEGER NOT NULL DEFAULT 0,
    resolved_at REAL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    times_seen INTEGER NOT NULL DEFAULT 0,
    users_seen INTEGER NOT NULL DEFAULT 0,
    first_release TEXT,
    last_release TEXT
);
CREATE INDEX issues_by_project_status_seen ON issues (project_id, status, last_seen);
CREATE INDEX issues_by_project_seen ON issues (project_id, last_seen);

CREATE TABLE issue_hashes (
    project_id INTEGER NOT NULL,
    hash TEXT NOT NULL,
    issue_id INTEGER NOT NULL REFERENCES issues(id),
    PRIMARY KEY (project_id, hash)
) WITHOUT ROWID;

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    issue_id INTEGER NOT NULL,
    event_id BLOB NOT NULL,
    timestamp REAL NOT NULL,
    received REAL NOT NULL,
    dict_id INTEGER,
    payload BLOB NOT NULL
);
CREATE UNIQUE INDEX events_by_event_id ON events (project_id, event_id);
CREATE INDEX events_by_issue ON events (issue_id, id);

CREATE TABLE payload_dicts (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at REAL NOT NULL
);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    event_id BLOB NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT,
    attachment_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX attachments_by_event ON attachments (project_id, event_id);

CREATE TABLE issue_tags (
    issue_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    times_seen INTEGER NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (issue_id, key, value)
) WITHOUT ROWID;
CREATE INDEX issue_tags_by_value ON issue_tags (key, value, issue_id);

CREATE TABLE issue_users (
    issue_id INTEGER NOT NULL,
    user_key TEXT NOT NULL,
    PRIMARY KEY (issue_id, user_key)
) WITHOUT ROWID;

CREATE TABLE issue_hourly (
    issue_id INTEGER NOT NULL,
    hour INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (issue_id, hour)
) WITHOUT ROWID;

CREATE TABLE issue_activity (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX issue_activity_by_issue ON issue_activity (issue_id, id);

CREATE TABLE releases (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    version TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    UNIQUE (project_id, version)
);

CREATE TABLE environments (
    project_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (project_id, name)
) WITHOUT ROWID;

CREATE TABLE agents (
    project_id INTEGER NOT NULL,
    environment TEXT NOT NULL,
    server_name TEXT NOT NULL,
    sdk_name TEXT NOT NULL,
    sdk_version TEXT NOT NULL,
    release TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (project_id, environment, server_name, sdk_name, sdk_version, release)
) WITHOUT ROWID;

CREATE TABLE session_hours (
    project_id INTEGER NOT NULL,
    release TEXT NOT NULL,
    environment TEXT NOT NULL,
    hour INTEGER NOT NULL,
    total INTEGER NOT NULL,
    errored INTEGER NOT NULL,
    crashed INTEGER NOT NULL,
    abnormal INTEGER NOT NULL,
    exited INTEGER NOT NULL,
    PRIMARY KEY (project_id, release, environment, hour)
) WITHOUT ROWID;

CREATE TABLE discard_hours (
    project_id INTEGER NOT NULL,
    hour INTEGER NOT NULL,
    reason TEXT NOT NULL,
    category TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (project_id, hour, reason, category)
) WITHOUT ROWID;
