-- The grouping components an issue was created with (the "Why grouped" tab), kept apart from the
-- issue row: they are written once and read on the issue's page, while the row is rewritten by
-- every batch with events of the issue. In the row they made it several times larger (about
-- 2.3 KB against about 370 bytes for the benchmark's issues), so each batch dirtied a page per issue.
CREATE TABLE issue_grouping (
    issue_id INTEGER PRIMARY KEY REFERENCES issues(id),
    components TEXT NOT NULL
);
INSERT INTO issue_grouping (issue_id, components) SELECT id, grouping_components FROM issues;
ALTER TABLE issues DROP COLUMN grouping_components;
