-- 002_regressions.sql: what build-vs-build comparison and the dashboard read (docs/regressions.md).
--
-- * A build's samples are read whole ("every tag of build B on machine M"): an index that starts with
--   the build serves it without touching other builds' history.
-- * A build's reports (its iterations) likewise, and campaigns by job (alerts are computed when a
--   nightly job completes).
-- * alerts: the verdicts of each nightly run against the machine's previous build; recomputing a run
--   replaces its rows (UNIQUE per campaign and series), so they are never doubled.

CREATE INDEX samples_by_build_agent ON samples (build_id, agent_id, series_id);
CREATE INDEX reports_by_build ON reports (build_id, agent_id);
CREATE INDEX campaigns_by_job ON campaigns (job_id);
CREATE INDEX campaigns_by_build ON campaigns (build_id, first_time);

CREATE TABLE alerts (
    id                INTEGER PRIMARY KEY,
    campaign_id       INTEGER NOT NULL REFERENCES campaigns (id),
    baseline_build_id INTEGER NOT NULL REFERENCES builds (id),
    kind              TEXT NOT NULL,
    key               TEXT NOT NULL,
    metric            TEXT NOT NULL,
    verdict           TEXT NOT NULL CHECK (verdict IN ('regression', 'improvement', 'noise', 'insufficient')),
    presence          TEXT NOT NULL DEFAULT '' CHECK (presence IN ('', 'new', 'vanished')),
    baseline_median   DOUBLE PRECISION NOT NULL,
    median            DOUBLE PRECISION NOT NULL,
    delta             DOUBLE PRECISION NOT NULL,
    p_value           DOUBLE PRECISION,
    created_at        INTEGER NOT NULL,
    UNIQUE (campaign_id, kind, key, metric)
);
CREATE INDEX alerts_by_time ON alerts (created_at);
