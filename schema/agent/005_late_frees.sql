-- 005_late_frees.sql: pool rows written before they are complete (docs/ingest.md, "early rows").
--
-- An allocation still open some seconds into the trace is written to the store right away, while the
-- analysis goes on, instead of after the last event: most such rows stay allocated to the end, and
-- writing them at the end was a single-threaded tail of ~1 µs per row. The few that are freed later
-- get their free in pool_late_frees, an append of a narrow row, because an UPDATE of the stored row
-- costs 5–14 µs (a B-tree seek into pages long written, then the page again into the WAL).
--
-- pool_allocations, the table of 001, becomes pool_allocation_rows (rows as first written), and
-- pool_allocations is now a view with one complete row per lifetime, as before: readers, in SQL or in
-- the code, see no difference. Rows of traces ingested before this migration have no late frees.

ALTER TABLE pool_allocations RENAME TO pool_allocation_rows;

-- The free of a row of pool_allocation_rows that was written while still open (free_time NULL there).
CREATE TABLE pool_late_frees (
    trace_id         INTEGER NOT NULL REFERENCES traces (id),
    id               INTEGER NOT NULL,  -- pool_allocation_rows.id
    free_time        INTEGER NOT NULL,  -- raw ticks
    implicitly_freed INTEGER NOT NULL,  -- 1: closed because its address was allocated again
    free_stack_id    INTEGER,           -- stacks.id, NULL when none
    PRIMARY KEY (trace_id, id)
) WITHOUT ROWID;

CREATE VIEW pool_allocations AS
SELECT r.trace_id, r.id, r.tag, r.pool_type, r.size, r.address, r.session_id, r.alloc_time,
       coalesce(f.free_time, r.free_time) AS free_time,
       coalesce(f.implicitly_freed, r.implicitly_freed) AS implicitly_freed,
       r.process_id, r.thread_id, r.alloc_stack_id,
       coalesce(f.free_stack_id, r.free_stack_id) AS free_stack_id,
       r.module_id, r.attribution
FROM pool_allocation_rows r
LEFT JOIN pool_late_frees f ON f.trace_id = r.trace_id AND f.id = r.id;
