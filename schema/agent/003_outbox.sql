-- 003_outbox.sql: the report outbox (agent/src/report/outbox.cpp, bootprint::report::Outbox). Iteration
-- reports wait here until the controller acknowledges them (2xx); with the controller's unique
-- idempotency key that makes every report stored exactly once, across agent crashes, reboots and
-- controller outages. Times are unix milliseconds (UTC).

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,        -- queue order
    key             TEXT NOT NULL UNIQUE,       -- the report's idempotency key
    body            TEXT NOT NULL,              -- the report JSON as it is uploaded
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'rejected')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL DEFAULT 0, -- a pending item is due once this has passed
    last_error      TEXT NOT NULL DEFAULT '',
    enqueued_ms     INTEGER NOT NULL,
    done_ms         INTEGER                     -- when delivered or rejected
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_ms, id);
