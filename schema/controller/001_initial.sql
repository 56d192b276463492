-- 001_initial.sql: the controller's store (service/, bootprint::controller). Enrolled agents and their
-- tokens, campaign templates assigned to machine groups on a schedule, the jobs claimed per schedule
-- slot, every report once, and the history (one sample per report and series).
--
-- Portability: this file is the SQLite flavour; the PostgreSQL store will carry the same tables.
-- Every exactly-once guarantee is a constraint here, not a lock in the process:
--   * reports.idempotency_key UNIQUE   → a report is stored once, whichever instance receives it;
--   * jobs (assignment_id, agent_id, slot) UNIQUE → one job per machine per schedule slot;
--   * tokens.hash PRIMARY KEY           → a token identifies one agent.
-- Times are unix seconds (UTC) in INTEGER columns; text is UTF-8. No AUTOINCREMENT, no SQLite-only
-- types; upserts use INSERT ... ON CONFLICT (...) DO NOTHING, which both engines understand.

CREATE TABLE agents (
    id             INTEGER PRIMARY KEY,
    machine        TEXT NOT NULL UNIQUE,      -- the name the agent enrolled with; history shows it
    machine_group  TEXT NOT NULL,
    agent_version  TEXT NOT NULL DEFAULT '',
    os_build       TEXT NOT NULL DEFAULT '',
    campaign_state TEXT NOT NULL DEFAULT '',
    enrolled_at    INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    disabled       INTEGER NOT NULL DEFAULT 0  -- 1: enrolment refused (403) and tokens refused (401)
);
CREATE INDEX agents_by_group ON agents (machine_group);

-- Bearer tokens, stored as the SHA-256 of the token (hex): a copy of the database grants nothing.
CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    agent_id   INTEGER NOT NULL REFERENCES agents (id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER                        -- NULL: valid
);
CREATE INDEX tokens_by_agent ON tokens (agent_id);

-- Campaign templates: what to measure. spec is JSON: {tags, iterations, resident_set, triage, labels}.
CREATE TABLE templates (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    spec       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- A template assigned to a machine group on a schedule ("daily 01:00", "weekly sat 02:30",
-- "every 90 minutes", all UTC). Slots before not_before are never claimed.
CREATE TABLE assignments (
    id            INTEGER PRIMARY KEY,
    template_id   INTEGER NOT NULL REFERENCES templates (id),
    machine_group TEXT NOT NULL,
    schedule      TEXT NOT NULL,
    not_before    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    UNIQUE (template_id, machine_group)
);

-- One job per (assignment, agent, slot): claimed by the INSERT that wins the unique constraint.
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,
    assignment_id INTEGER NOT NULL REFERENCES assignments (id),
    agent_id      INTEGER NOT NULL REFERENCES agents (id),
    slot          INTEGER NOT NULL,            -- the slot's start, unix seconds
    state         TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'running', 'done', 'failed', 'skipped')),
    message       TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (assignment_id, agent_id, slot)
);
CREATE INDEX jobs_open_by_agent ON jobs (agent_id, state);

-- Interned names of the history.
CREATE TABLE builds (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
-- A series: one quantity of one thing. kind 'tag' (key: pool tag), 'driver' (key: driver name),
-- 'total' (key: 'pool' or 'drivers'); metric e.g. impacting_size, size, count, active_bytes.
CREATE TABLE series (
    id     INTEGER PRIMARY KEY,
    kind   TEXT NOT NULL,
    key    TEXT NOT NULL,
    metric TEXT NOT NULL,
    UNIQUE (kind, key, metric)
);
-- A campaign as history sees it: one agent's run of one build.
CREATE TABLE campaigns (
    id         INTEGER PRIMARY KEY,
    agent_id   INTEGER NOT NULL REFERENCES agents (id),
    name       TEXT NOT NULL,
    build_id   INTEGER NOT NULL REFERENCES builds (id),
    template   TEXT NOT NULL DEFAULT '',
    job_id     INTEGER,
    first_time INTEGER NOT NULL,
    UNIQUE (agent_id, name, build_id)
);

-- Every accepted report, once. body is the JSON as received (re-derivable history, audits).
CREATE TABLE reports (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    body_sha256     TEXT NOT NULL,
    agent_id        INTEGER NOT NULL REFERENCES agents (id),
    campaign_id     INTEGER NOT NULL REFERENCES campaigns (id),
    build_id        INTEGER NOT NULL REFERENCES builds (id),
    iteration       INTEGER NOT NULL,
    schema_version  INTEGER NOT NULL,
    time            INTEGER NOT NULL,          -- the trace's start (unix s), else when received
    received_at     INTEGER NOT NULL,
    body            TEXT NOT NULL
);
CREATE INDEX reports_by_agent_time ON reports (agent_id, time);
CREATE INDEX reports_by_campaign ON reports (campaign_id, iteration);
CREATE INDEX reports_by_time ON reports (time);

-- The history: one value per report and series. The primary key serves "this series on this machine
-- over a date range"; the two indexes serve "this series for a build" and "this series over a range".
CREATE TABLE samples (
    series_id   INTEGER NOT NULL,
    agent_id    INTEGER NOT NULL,
    time        INTEGER NOT NULL,
    report_id   INTEGER NOT NULL,
    campaign_id INTEGER NOT NULL,
    build_id    INTEGER NOT NULL,
    value       INTEGER NOT NULL,
    PRIMARY KEY (series_id, agent_id, time, report_id)
) WITHOUT ROWID;
CREATE INDEX samples_by_build ON samples (series_id, build_id, time);
CREATE INDEX samples_by_time ON samples (series_id, time);
