-- 001_initial.sql: the agent's footprint store (bootprint_store). One row per ingested trace, and per
-- trace the footprint rows the analyzer produced (agent/include/bootprint/footprint/model.hpp), plus
-- the per-trace summaries a campaign report reads without re-deriving them.
--
-- Conventions:
--   * Every per-trace table is keyed (trace_id, id) WITHOUT ROWID: an ingest appends at the right edge
--     of one B-tree (trace ids and row ids only grow), and "all rows of trace N" is a range scan of
--     the primary key, so the bulk tables need no secondary index at all.
--   * 64-bit unsigned values (kernel addresses) are stored as their two's-complement int64 bit pattern.
--   * Times: *_time columns of traces are FILETIME (100 ns since 1601, UTC); alloc_time/free_time and
--     window_* are raw session clock ticks (clock_origin = the tick at session start, clock_frequency
--     ticks per second), which is what footprint::Window and classify() work in.
--   * NULL means "not known / not applicable" (no session, allocation time unknown, never freed).
--   * trace_id columns refer to traces(id); foreign keys are not enforced (ingest speed), the store
--     writes them in one transaction per trace.

CREATE TABLE traces (
    id                   INTEGER PRIMARY KEY,
    sha256               TEXT NOT NULL UNIQUE,    -- lower-case hex of the whole .etl file
    file                 TEXT NOT NULL,           -- path as given at ingest
    bytes                INTEGER NOT NULL,
    campaign             TEXT,                    -- labels; NULL when not given
    iteration            INTEGER,
    build                TEXT,
    machine              TEXT,
    os_version           TEXT NOT NULL DEFAULT '',
    os_build             INTEGER NOT NULL DEFAULT 0,
    pointer_size         INTEGER NOT NULL DEFAULT 0,
    processors           INTEGER NOT NULL DEFAULT 0,
    start_time           INTEGER NOT NULL DEFAULT 0,  -- FILETIME of the session start
    end_time             INTEGER NOT NULL DEFAULT 0,  -- FILETIME of the last event
    boot_time            INTEGER NOT NULL DEFAULT 0,
    clock_origin         INTEGER NOT NULL DEFAULT 0,  -- raw tick at the session start
    clock_frequency      INTEGER NOT NULL DEFAULT 10000000,
    window_start         INTEGER NOT NULL DEFAULT 0,  -- whole-trace window, raw ticks, [start, end)
    window_end           INTEGER NOT NULL DEFAULT 0,
    events               INTEGER NOT NULL DEFAULT 0,
    events_lost          INTEGER NOT NULL DEFAULT 0,  -- logfile header EventsLost
    buffers_lost         INTEGER NOT NULL DEFAULT 0,  -- logfile header BuffersLost
    lost_flagged_buffers INTEGER NOT NULL DEFAULT 0,  -- buffers flagged EVENTS_LOST / BUFFER_LOST
    malformed_events     INTEGER NOT NULL DEFAULT 0,
    unknown_records      INTEGER NOT NULL DEFAULT 0,
    pool_rows            INTEGER NOT NULL DEFAULT 0,  -- rows written to pool_allocations
    resident_rows        INTEGER NOT NULL DEFAULT 0,
    ingested_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX traces_by_campaign ON traces (campaign, iteration);
CREATE INDEX traces_by_build ON traces (build, machine);

-- footprint::Attribution, by its numeric value (model.hpp): how a pool row got its module.
CREATE TABLE attributions (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
INSERT INTO attributions (id, name)
VALUES (0, 'stack'), (1, 'kernel-only-stack'), (2, 'pooltag'), (3, 'none');

-- Interned names shared by every trace (a module name is repeated on millions of pool rows).
CREATE TABLE modules (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- Raw pool tag value → the tag as WPA prints it (etl::pool_tag_string), for filtering by tag in SQL.
CREATE TABLE pool_tags (
    tag  INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE INDEX pool_tags_by_name ON pool_tags (name);

CREATE TABLE images (
    trace_id        INTEGER NOT NULL REFERENCES traces (id),
    id              INTEGER NOT NULL,  -- footprint::Image::id, 1-based within the trace
    base            INTEGER NOT NULL,
    size            INTEGER NOT NULL,
    process_id      INTEGER NOT NULL,  -- 0 for kernel-mode images
    path            TEXT NOT NULL,
    name            TEXT NOT NULL,
    checksum        INTEGER NOT NULL,
    time_date_stamp INTEGER NOT NULL,
    load_time       INTEGER,           -- FILETIME; NULL when known only from a rundown
    unload_time     INTEGER,           -- FILETIME; NULL when still loaded at the end
    pdb_guid        TEXT,
    pdb_age         INTEGER NOT NULL DEFAULT 0,
    pdb_name        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (trace_id, id)
) WITHOUT ROWID;

-- Call stacks, deduplicated within a trace by the analyzer (addresses differ between boots: KASLR).
CREATE TABLE stacks (
    trace_id        INTEGER NOT NULL REFERENCES traces (id),
    id              INTEGER NOT NULL,  -- footprint::Stack::id, 1-based within the trace
    depth           INTEGER NOT NULL,
    frames          BLOB NOT NULL,     -- depth × 8 bytes, little-endian return addresses, innermost first
    module_image_id INTEGER,           -- images.id of the attributed module, NULL when none
    module_id       INTEGER NOT NULL REFERENCES modules (id),
    attribution     INTEGER NOT NULL REFERENCES attributions (id),
    PRIMARY KEY (trace_id, id)
) WITHOUT ROWID;

-- One row per pool allocation lifetime (kernel-events.md §3.4).
CREATE TABLE pool_allocations (
    trace_id         INTEGER NOT NULL REFERENCES traces (id),
    id               INTEGER NOT NULL,  -- 1-based, in the order the analyzer emitted the rows
    tag              INTEGER NOT NULL,  -- raw; pool_tags.name is the printable form
    pool_type        INTEGER NOT NULL,  -- as logged
    size             INTEGER NOT NULL,
    address          INTEGER NOT NULL,
    session_id       INTEGER,           -- NULL: not a session pool event
    alloc_time       INTEGER,           -- raw ticks; NULL: allocated outside (unknown)
    free_time        INTEGER,           -- raw ticks; NULL: still allocated at the end
    implicitly_freed INTEGER NOT NULL,  -- 1: closed because its address was allocated again
    process_id       INTEGER,
    thread_id        INTEGER,
    alloc_stack_id   INTEGER,           -- stacks.id, NULL when none
    free_stack_id    INTEGER,
    module_id        INTEGER NOT NULL REFERENCES modules (id),  -- Pool Tag Module
    attribution      INTEGER NOT NULL REFERENCES attributions (id),
    PRIMARY KEY (trace_id, id)
) WITHOUT ROWID;

-- WPA's pool table for the whole-trace window, as footprint::PoolSummarizer computed it at ingest;
-- id keeps the summarizer's order (impacting size descending, ...).
CREATE TABLE pool_summary (
    trace_id         INTEGER NOT NULL REFERENCES traces (id),
    id               INTEGER NOT NULL,
    tag              TEXT NOT NULL,
    module           TEXT NOT NULL,
    paged            INTEGER NOT NULL,  -- 0/1
    type             TEXT NOT NULL CHECK (type IN ('AIFI', 'AOFI', 'AIFO', 'AOFO')),
    count            INTEGER NOT NULL,
    size             INTEGER NOT NULL,
    impacting_size   INTEGER NOT NULL,
    peak_outstanding INTEGER NOT NULL,
    attribution      TEXT NOT NULL,     -- the attributions of the group's rows, e.g. 'stack,pooltag'
    PRIMARY KEY (trace_id, id)
) WITHOUT ROWID;

-- PoolSnap DCStart/DCEnd rows per tag.
CREATE TABLE pool_snaps (
    trace_id        INTEGER NOT NULL REFERENCES traces (id),
    id              INTEGER NOT NULL,
    at_end          INTEGER NOT NULL,
    session_id      INTEGER,
    tag             TEXT NOT NULL,
    paged_allocs    INTEGER NOT NULL,
    paged_frees     INTEGER NOT NULL,
    paged_used      INTEGER NOT NULL,
    nonpaged_allocs INTEGER NOT NULL,
    nonpaged_frees  INTEGER NOT NULL,
    nonpaged_used   INTEGER NOT NULL,
    PRIMARY KEY (trace_id, id)
) WITHOUT ROWID;

-- Resident set, aggregated by the analyzer: pages of one (snapshot, category, path, list).
CREATE TABLE resident (
    trace_id INTEGER NOT NULL REFERENCES traces (id),
    id       INTEGER NOT NULL,
    snapshot INTEGER NOT NULL,
    category TEXT NOT NULL,
    path     TEXT NOT NULL,
    list     TEXT NOT NULL,
    pages    INTEGER NOT NULL,
    PRIMARY KEY (trace_id, id)
) WITHOUT ROWID;

-- Per-driver resident code (category 'Driver') of the trace's last snapshot, written at ingest.
CREATE TABLE driver_code (
    trace_id     INTEGER NOT NULL REFERENCES traces (id),
    path         TEXT NOT NULL,
    snapshot     INTEGER NOT NULL,
    active_pages INTEGER NOT NULL,  -- list 'Active'
    total_pages  INTEGER NOT NULL,  -- every list
    PRIMARY KEY (trace_id, path)
) WITHOUT ROWID;

CREATE TABLE meminfo (
    trace_id          INTEGER NOT NULL REFERENCES traces (id),
    id                INTEGER NOT NULL,
    time              INTEGER NOT NULL,  -- FILETIME
    zero_pages        INTEGER NOT NULL,
    free_pages        INTEGER NOT NULL,
    modified_pages    INTEGER NOT NULL,
    standby_pages     INTEGER NOT NULL,
    paged_pool_commit INTEGER NOT NULL,
    nonpaged_pool     INTEGER NOT NULL,
    commit_pages      INTEGER NOT NULL,
    PRIMARY KEY (trace_id, id)
) WITHOUT ROWID;
