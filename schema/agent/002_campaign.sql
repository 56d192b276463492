-- 002_campaign.sql: the campaign engine's persisted state machine (agent/src/campaign, docs/campaign.md).
-- Every transition of a campaign is one transaction that rewrites its campaigns row (and the row of the
-- iteration it concerns) and appends one campaign_transitions row, so the database always says exactly
-- which step comes next, whatever reboot, crash or power cut interrupted the agent.
--
-- Conventions: *_us columns are microseconds since 1970-01-01 UTC (the host Clock); boot ids are the
-- host BootIdentity's; NULL means "not known yet / does not apply".

CREATE TABLE campaigns (
    id                TEXT PRIMARY KEY,
    spec              TEXT NOT NULL,             -- CampaignSpec as JSON, as started
    state             TEXT NOT NULL,             -- campaign::State (to_string)
    current_seq       INTEGER NOT NULL DEFAULT 0,  -- campaign_iterations.seq being worked on (0: none)
    total_iterations  INTEGER NOT NULL,
    profile_path      TEXT NOT NULL DEFAULT '',
    reboot_from_boot  TEXT NOT NULL DEFAULT '',  -- boot id when the pending reboot was requested
    -- Run metadata: DisablePagingExecutive (the report's disable_paging_executive object).
    dpe_original_read INTEGER NOT NULL DEFAULT 0,
    dpe_original      INTEGER,                   -- NULL: the value did not exist
    dpe_wanted        INTEGER,                   -- NULL: left as it was
    dpe_changed       INTEGER NOT NULL DEFAULT 0,
    dpe_set_at_us     INTEGER NOT NULL DEFAULT 0,
    dpe_in_effect     INTEGER,
    dpe_verified      INTEGER NOT NULL DEFAULT 0,  -- in_effect was written before the boot began
    dpe_restored      INTEGER NOT NULL DEFAULT 0,
    failure_code      TEXT NOT NULL DEFAULT '',
    failure_reason    TEXT NOT NULL DEFAULT '',
    cancel_requested  INTEGER NOT NULL DEFAULT 0,
    step_attempts     INTEGER NOT NULL DEFAULT 0,  -- tries of the current step since the last transition
    last_error        TEXT NOT NULL DEFAULT '',
    created_at_us     INTEGER NOT NULL,
    updated_at_us     INTEGER NOT NULL
);

-- One row per planned boot: tag groups × iterations, created with the campaign.
CREATE TABLE campaign_iterations (
    campaign_id       TEXT NOT NULL REFERENCES campaigns (id),
    seq               INTEGER NOT NULL,          -- 1..total, boot order; the store's iteration label
    tag_group         INTEGER NOT NULL,          -- 1-based profile group
    iteration         INTEGER NOT NULL,          -- 1..N within the group
    selector          TEXT NOT NULL,             -- wpr profile selector ("Bootprint.g1.Verbose")
    pool_tags         TEXT NOT NULL DEFAULT '',  -- the group's tags, comma separated
    state             TEXT NOT NULL DEFAULT 'pending',
    attempt           INTEGER NOT NULL DEFAULT 1,  -- 1 + re-recordings (lost events, missing trace)
    trace_path        TEXT NOT NULL DEFAULT '',
    temp_dir          TEXT NOT NULL DEFAULT '',
    armed_boot        TEXT NOT NULL DEFAULT '',
    boot_id           TEXT NOT NULL DEFAULT '',
    boot_time_us      INTEGER NOT NULL DEFAULT 0,
    autologger_status INTEGER,                   -- the boot session's Status value after the boot
    settle_ms         INTEGER NOT NULL DEFAULT 0,
    settle_timed_out  INTEGER NOT NULL DEFAULT 0,
    trace_sha256      TEXT NOT NULL DEFAULT '',
    trace_bytes       INTEGER NOT NULL DEFAULT 0,
    events_lost       INTEGER NOT NULL DEFAULT 0,
    trace_id          INTEGER,                   -- traces.id once ingested
    result_key        TEXT NOT NULL DEFAULT '',  -- idempotency key of the queued report
    retry_log         TEXT NOT NULL DEFAULT '',  -- one line per re-recording: why
    PRIMARY KEY (campaign_id, seq)
) WITHOUT ROWID;

-- The audit trail: one row per committed transition.
CREATE TABLE campaign_transitions (
    campaign_id   TEXT NOT NULL REFERENCES campaigns (id),
    seq           INTEGER NOT NULL,              -- 1, 2, ... per campaign
    from_state    TEXT NOT NULL,
    to_state      TEXT NOT NULL,
    iteration_seq INTEGER NOT NULL DEFAULT 0,
    boot_id       TEXT NOT NULL DEFAULT '',
    at_us         INTEGER NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, seq)
) WITHOUT ROWID;

-- Iteration reports queued for the controller when no outbox is bound (campaign::DbResultSink).
-- The idempotency key makes a repeated enqueue (after a crash) a no-op.
CREATE TABLE campaign_results (
    idempotency_key TEXT PRIMARY KEY,
    campaign_id     TEXT NOT NULL,
    iteration_seq   INTEGER NOT NULL,
    report          TEXT NOT NULL,               -- bootprint.report v1 JSON (schema/report/v1.schema.json)
    queued_at_us    INTEGER NOT NULL
);
CREATE INDEX campaign_results_by_campaign ON campaign_results (campaign_id, iteration_seq);
