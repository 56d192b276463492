-- 003_samples_by_agent.sql: the samples table clustered by machine and time, for upload speed.
--
-- A report brings one sample per series (about 234: five metrics of 40 tags, two of 15 drivers,
-- totals). Clustered by series, each of them landed on another page of the table, and of each of
-- the three indexes: some 700 pages written (and later checkpointed) per upload, which capped a
-- 2-core controller at about 50 uploads/s. Clustered by (machine, time) a report's samples are
-- contiguous (two or three pages); the one index by series, in time order, puts the samples of a
-- group of uploads committed together (they share the time) on the same pages.
--
-- What each history query now reads (docs/controller.md):
--   series on one machine (over a date range)     the table: (agent_id, time) range, series filtered
--   series over a date range, all machines        samples_by_series_time: (series_id, time) range
--   series for a build, all machines              the same, over the build's time span (reports_by_build_time)
--   every series of one report (comparisons)      the table: (agent_id, time, report_id) prefix
-- The index carries the columns those queries return, so they never visit the table.

CREATE TABLE samples_by_agent (
    series_id   INTEGER NOT NULL,
    agent_id    INTEGER NOT NULL,
    time        INTEGER NOT NULL,
    report_id   INTEGER NOT NULL,
    campaign_id INTEGER NOT NULL,
    build_id    INTEGER NOT NULL,
    value       INTEGER NOT NULL,
    PRIMARY KEY (agent_id, time, report_id, series_id)
) WITHOUT ROWID;
INSERT INTO samples_by_agent (series_id, agent_id, time, report_id, campaign_id, build_id, value)
SELECT series_id, agent_id, time, report_id, campaign_id, build_id, value FROM samples
ORDER BY agent_id, time, report_id, series_id;
DROP TABLE samples;  -- with samples_by_build, samples_by_time and samples_by_build_agent
ALTER TABLE samples_by_agent RENAME TO samples;
CREATE INDEX samples_by_series_time ON samples (series_id, time, build_id, campaign_id, value);
CREATE INDEX reports_by_build_time ON reports (build_id, time);
