-- What the web UI needs: sign-in sessions, team membership, issue assignment and ignore
-- conditions, who did what in the activity log, trace ids of events and event counts per
-- release. The same tables and columns as migrations/postgres/0003_ui.sql.

-- Emails are compared case-insensitively: stored lowercase (rows that would collide are kept
-- as they are).
UPDATE users SET email = lower(email)
WHERE email <> lower(email)
  AND NOT EXISTS (SELECT 1 FROM users u WHERE u.email = lower(users.email));

-- A signed-in browser session; the cookie's secret is stored hashed, like API tokens.
CREATE TABLE user_sessions (
    secret_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX user_sessions_by_user ON user_sessions (user_id);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (team_id, user_id)
);

-- Assignment (a user or a team, never both).
ALTER TABLE issues ADD COLUMN assignee_user_id INTEGER REFERENCES users(id);
ALTER TABLE issues ADD COLUMN assignee_team_id INTEGER REFERENCES teams(id);
-- While ignored "until": the time, and the times_seen / users_seen values at which the issue
-- comes back (the counters at ignore time plus the asked-for more).
ALTER TABLE issues ADD COLUMN ignore_until REAL;
ALTER TABLE issues ADD COLUMN ignore_until_events INTEGER;
ALTER TABLE issues ADD COLUMN ignore_until_users INTEGER;
CREATE INDEX issues_by_first_release ON issues (project_id, first_release);
-- Store::unignore_expired looks for these.
CREATE INDEX issues_by_ignore_until ON issues (ignore_until) WHERE ignore_until IS NOT NULL;

-- Who did it (NULL for the system).
ALTER TABLE issue_activity ADD COLUMN user_id INTEGER;

-- contexts.trace.trace_id, 16 bytes like event_id.
ALTER TABLE events ADD COLUMN trace_id BLOB;
CREATE INDEX events_by_trace ON events (trace_id) WHERE trace_id IS NOT NULL;

-- Stored events of the release.
ALTER TABLE releases ADD COLUMN events INTEGER NOT NULL DEFAULT 0;

-- A user's saved views of the issue list (the list's URL query), by name.
CREATE TABLE saved_searches (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (user_id, name)
);
