-- The PostgreSQL schema: the same tables and columns as migrations/sqlite/0001_init.sql.
-- Times are Unix seconds (DOUBLE PRECISION), counters BIGINT, flags BOOLEAN, payloads BYTEA.

CREATE TABLE organizations (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE teams (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    UNIQUE (org_id, slug)
);

CREATE TABLE projects (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    team_id BIGINT REFERENCES teams(id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    platform TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    scrub_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    scrub_extra_keys TEXT NOT NULL DEFAULT '',
    UNIQUE (org_id, slug)
);

CREATE TABLE project_keys (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects(id),
    public_key TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    rate_limit_count BIGINT,
    rate_limit_window BIGINT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE issues (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects(id),
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
    resolved_in_next_release BOOLEAN NOT NULL DEFAULT FALSE,
    resolved_at DOUBLE PRECISION,
    first_seen DOUBLE PRECISION NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL,
    times_seen BIGINT NOT NULL DEFAULT 0,
    users_seen BIGINT NOT NULL DEFAULT 0,
    first_release TEXT,
    last_release TEXT
);
CREATE INDEX issues_by_project_status_seen ON issues (project_id, status, last_seen);
CREATE INDEX issues_by_project_seen ON issues (project_id, last_seen);

CREATE TABLE issue_hashes (
    project_id BIGINT NOT NULL,
    hash TEXT NOT NULL,
    issue_id BIGINT NOT NULL REFERENCES issues(id),
    PRIMARY KEY (project_id, hash)
);

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL,
    issue_id BIGINT NOT NULL,
    event_id BYTEA NOT NULL,
    timestamp DOUBLE PRECISION NOT NULL,
    received DOUBLE PRECISION NOT NULL,
    dict_id BIGINT,
    payload BYTEA NOT NULL
);
CREATE UNIQUE INDEX events_by_event_id ON events (project_id, event_id);
CREATE INDEX events_by_issue ON events (issue_id, id);

CREATE TABLE payload_dicts (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL,
    data BYTEA NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE attachments (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL,
    event_id BYTEA NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT,
    attachment_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    data BYTEA NOT NULL
);
CREATE INDEX attachments_by_event ON attachments (project_id, event_id);

CREATE TABLE issue_tags (
    issue_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    times_seen BIGINT NOT NULL,
    first_seen DOUBLE PRECISION NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (issue_id, key, value)
);
CREATE INDEX issue_tags_by_value ON issue_tags (key, value, issue_id);

CREATE TABLE issue_users (
    issue_id BIGINT NOT NULL,
    user_key TEXT NOT NULL,
    PRIMARY KEY (issue_id, user_key)
);

CREATE TABLE issue_hourly (
    issue_id BIGINT NOT NULL,
    hour BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (issue_id, hour)
);

CREATE TABLE issue_activity (
    id BIGSERIAL PRIMARY KEY,
    issue_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX issue_activity_by_issue ON issue_activity (issue_id, id);

CREATE TABLE releases (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL,
    version TEXT NOT NULL,
    first_seen DOUBLE PRECISION NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL,
    UNIQUE (project_id, version)
);

CREATE TABLE environments (
    project_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    first_seen DOUBLE PRECISION NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (project_id, name)
);

CREATE TABLE agents (
    project_id BIGINT NOT NULL,
    environment TEXT NOT NULL,
    server_name TEXT NOT NULL,
    sdk_name TEXT NOT NULL,
    sdk_version TEXT NOT NULL,
    release TEXT NOT NULL,
    first_seen DOUBLE PRECISION NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (project_id, environment, server_name, sdk_name, sdk_version, release)
);

CREATE TABLE session_hours (
    project_id BIGINT NOT NULL,
    release TEXT NOT NULL,
    environment TEXT NOT NULL,
    hour BIGINT NOT NULL,
    total BIGINT NOT NULL,
    errored BIGINT NOT NULL,
    crashed BIGINT NOT NULL,
    abnormal BIGINT NOT NULL,
    exited BIGINT NOT NULL,
    PRIMARY KEY (project_id, release, environment, hour)
);

CREATE TABLE discard_hours (
    project_id BIGINT NOT NULL,
    hour BIGINT NOT NULL,
    reason TEXT NOT NULL,
    category TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    PRIMARY KEY (project_id, hour, reason, category)
);
