-- 003_samples_by_agent.sql: on SQLite this migration re-clusters the samples table by machine and
-- time (upload speed: see schema/controller/003_samples_by_agent.sql). PostgreSQL keeps samples in a
-- heap, in arrival order already, and its indexes stay as they are; only the build time index is
-- shared.
CREATE INDEX reports_by_build_time ON reports (build_id, time);
