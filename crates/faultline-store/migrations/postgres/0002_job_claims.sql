-- Background work that must run once across nodes (retention, rollups, alert delivery): a node
-- claims a job's row (SELECT … FOR UPDATE SKIP LOCKED) and runs it only when the interval passed.
CREATE TABLE job_claims (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    last_run DOUBLE PRECISION NOT NULL
);
