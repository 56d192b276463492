-- 004_symbols.sql: symbolized stacks (docs/symbols.md). Written at ingest (no symbol path: every frame
-- module+offset) and rewritten by `bootprint symbolize` once the PDBs are in a symbol store. Frames are
-- deduplicated per trace by (address, caller): a caller frame (position > 0) is a return address and
-- is looked up at address - 1, the innermost frame at its address.

-- What became of each image's PDB: full, public-only, no-identity, not-found, mismatch, corrupt, none.
CREATE TABLE image_symbols (
    trace_id INTEGER NOT NULL REFERENCES traces (id),
    image_id INTEGER NOT NULL,           -- images.id
    status   TEXT NOT NULL,
    pdb_path TEXT NOT NULL DEFAULT '',   -- the PDB used, or the last candidate looked at
    detail   TEXT NOT NULL DEFAULT '',   -- why no PDB was used
    PRIMARY KEY (trace_id, image_id)
) WITHOUT ROWID;

CREATE TABLE frames (
    trace_id    INTEGER NOT NULL REFERENCES traces (id),
    id          INTEGER NOT NULL,        -- 1-based within the trace
    address     INTEGER NOT NULL,        -- as logged (two's-complement int64 bit pattern)
    caller      INTEGER NOT NULL,        -- 1: a return address (position > 0 in its stack)
    image_id    INTEGER,                 -- images.id, NULL when the address is in no image
    module      TEXT NOT NULL DEFAULT '',-- the image's file name, '' when none
    in_kernel   INTEGER NOT NULL DEFAULT 0,  -- 1: in the kernel image (ntoskrnl.exe, ntkrnlmp.exe, ...)
    function    TEXT,                    -- undecorated name, NULL when no symbol
    offset      INTEGER NOT NULL,        -- from the function's start; else from the image base; else 0
    approximate INTEGER NOT NULL DEFAULT 0,  -- 1: from a public symbol (statics are missing)
    text        TEXT NOT NULL,           -- 'ACPI.sys!ACPIInitStartACPI+0x15', 'ACPI.sys+0x1234', '0xFFFF...'
    PRIMARY KEY (trace_id, id)
) WITHOUT ROWID;

-- The frames of each stack, innermost (position 0) first.
CREATE TABLE stack_frames (
    trace_id INTEGER NOT NULL REFERENCES traces (id),
    stack_id INTEGER NOT NULL,           -- stacks.id
    position INTEGER NOT NULL,
    frame_id INTEGER NOT NULL,           -- frames.id
    PRIMARY KEY (trace_id, stack_id, position)
) WITHOUT ROWID;

ALTER TABLE traces ADD COLUMN symbolized_at TEXT;  -- when the frames were last written
