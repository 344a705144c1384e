-- Background work that must run once (retention, rollups, alert delivery): see Store::claim_job.
CREATE TABLE job_claims (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    last_run REAL NOT NULL
);
