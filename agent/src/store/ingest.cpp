// The store's FootprintSink: every row goes into SQLite as it arrives, inside the one transaction that
// begin_ingest() opened. Hot path: a prepared statement per table, bound and stepped per row (pool
// rows 16 at a time); names (modules, pool tags) are interned once per distinct value.
#include "bootprint/store/ingest.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bootprint/etl/event_decoders.hpp"
#include "bootprint/footprint/summary.hpp"
#include "store/sqlite.hpp"
#include "store/symbolize.hpp"
#include "store/store_state.hpp"

namespace bp::store {

using footprint::Attribution;

// The attributions table of 001_initial.sql is seeded with these numbers.
static_assert(static_cast<int>(Attribution::stack) == 0 && static_cast<int>(Attribution::kernel_only) == 1 &&
              static_cast<int>(Attribution::pooltag) == 2 && static_cast<int>(Attribution::none) == 3);

TraceFacts facts_for(const etl::EtlFile& file, std::string sha256, footprint::Labels labels) {
    TraceFacts f;
    f.path = file.path();
    f.sha256 = std::move(sha256);
    f.bytes = file.file_size();
    const etl::TraceClock& clock = file.clock();
    f.clock_frequency = clock.ticks_from_seconds(1.0);
    // The tick at which seconds_since_start() is 0: start_raw() for QPC and cycle clocks, the start
    // FILETIME for system-time clocks (whose ticks are FILETIMEs).
    const std::int64_t r = clock.start_raw();
    f.clock_origin = r - clock.ticks_from_seconds(clock.seconds_since_start(r));
    if (f.clock_frequency <= 0) f.clock_frequency = 10'000'000;
    f.labels = std::move(labels);
    return f;
}

namespace {

enum class Phase : std::uint8_t { open, finished, committed, failed };

// A trace's identity: 64 lower-case hex digits.
Status check_sha256(const std::string& s, const std::string& path) {
    bool hex = s.size() == 64;
    for (char c : s) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (hex) return {};
    return make_error(Errc::invalid_argument, "trace sha256 '" + s + "' is not 64 lower-case hex digits")
        .with_path(path);
}

// The traces.sha256 of an ingest whose hash is still being computed: never committed (commit
// replaces it), and unique because one ingest at a time holds the write lock.
constexpr const char* kPendingSha256 = "pending";

std::optional<std::int64_t> unless(std::uint32_t value, std::uint32_t none) {
    if (value == none) return std::nullopt;
    return static_cast<std::int64_t>(value);
}

}  // namespace

struct Ingest::Impl {
    std::shared_ptr<detail::StoreState> state;
    sqlite::Database& db;
    sqlite::Transaction tx;
    std::int64_t trace_id = 0;
    TraceFacts facts;
    // Begun without a sha256 (facts.sha256 empty): commit(sha256) gives it.
    bool sha256_pending() const { return facts.sha256.empty(); }
    std::unordered_map<std::string, std::int64_t> known_digests;  // when pending; fixed after begin
    Phase phase = Phase::open;
    std::optional<Error> failure;
    IngestCounts counts;

    sqlite::Statement insert_image;
    sqlite::Statement insert_stack;
    sqlite::Statement insert_pool;
    sqlite::Statement insert_pool_batch;
    sqlite::Statement insert_late_free;
    sqlite::Statement insert_late_free_batch;
    sqlite::Statement insert_snap;
    sqlite::Statement insert_resident;
    sqlite::Statement insert_meminfo;
    sqlite::Statement insert_module;
    sqlite::Statement select_module;
    sqlite::Statement insert_tag;

    // The whole-trace pool table, fed as the rows go by: here, or on the producer's thread when the
    // caller took the feed (pool_table_feed()).
    std::shared_ptr<footprint::WholeTracePoolTable> table = std::make_shared<footprint::WholeTracePoolTable>();
    bool table_fed_outside = false;
    void feed_table(const footprint::PoolAllocation& complete) {
        if (!table_fed_outside) table->add(complete);
    }

    std::unordered_map<std::string, std::int64_t> module_ids;
    std::unordered_set<std::uint32_t> tags_seen;
    std::vector<std::byte> frame_bytes;

    Impl(std::shared_ptr<detail::StoreState> s, sqlite::Transaction t, sqlite::Statement image,
         sqlite::Statement stack, sqlite::Statement pool, sqlite::Statement pool_batch, sqlite::Statement late_free,
         sqlite::Statement late_free_batch,
         sqlite::Statement snap, sqlite::Statement resident,
         sqlite::Statement meminfo, sqlite::Statement module_insert, sqlite::Statement module_select,
         sqlite::Statement tag)
        : state(std::move(s)),
          db(state->db),
          tx(std::move(t)),
          insert_image(std::move(image)),
          insert_stack(std::move(stack)),
          insert_pool(std::move(pool)),
          insert_pool_batch(std::move(pool_batch)),
          insert_late_free(std::move(late_free)),
          insert_late_free_batch(std::move(late_free_batch)),
          insert_snap(std::move(snap)),
          insert_resident(std::move(resident)),
          insert_meminfo(std::move(meminfo)),
          insert_module(std::move(module_insert)),
          select_module(std::move(module_select)),
          insert_tag(std::move(tag)) {}

    // Every sink call goes through here: the first error ends the ingest (rolled back at once, so the
    // write lock is released) and is returned again by every later call.
    Status check_open() const {
        if (phase == Phase::failed) return *failure;
        if (phase != Phase::open) {
            return make_error(Errc::internal, "footprint row after on_finish() or commit()")
                .with_path(facts.path);
        }
        return {};
    }
    Status guard(Status s) {
        if (!s) {
            failure = s.error();
            phase = Phase::failed;
            tx.rollback();
        }
        return s;
    }

    Result<std::int64_t> module_id(const std::string& name) {
        const std::string& key = name.empty() ? kUnknown : name;
        if (auto it = module_ids.find(key); it != module_ids.end()) return it->second;
        insert_module.bind(1, key);
        BP_TRY_STATUS(insert_module.run());
        select_module.bind(1, key);
        BP_TRY(bool found, select_module.step());
        const std::int64_t id = found ? select_module.column_int(0) : 0;
        select_module.reset();
        if (!found) return make_error(Errc::internal, "module '" + key + "' vanished after insert");
        module_ids.emplace(key, id);
        return id;
    }

    Status note_tag(std::uint32_t tag) {
        if (!tags_seen.insert(tag).second) return {};
        insert_tag.bind(1, tag);
        insert_tag.bind(2, etl::pool_tag_string(tag));
        return insert_tag.run();
    }

    Status write_image(const footprint::Image& m) {
        sqlite::Statement& s = insert_image;
        s.bind(1, trace_id);
        s.bind(2, m.id);
        s.bind(3, m.base);
        s.bind(4, m.size);
        s.bind(5, m.process_id);
        s.bind(6, m.path);
        s.bind(7, m.name);
        s.bind(8, m.checksum);
        s.bind(9, m.time_date_stamp);
        s.bind(10, m.load_time ? std::optional<std::int64_t>(m.load_time) : std::nullopt);
        s.bind(11, m.unload_time ? std::optional<std::int64_t>(m.unload_time) : std::nullopt);
        s.bind(12, m.pdb_guid ? std::optional<std::string>(m.pdb_guid->to_string()) : std::nullopt);
        s.bind(13, m.pdb_age);
        s.bind(14, m.pdb_name);
        BP_TRY_STATUS(s.run());
        ++counts.images;
        return {};
    }

    Status write_stack(const footprint::Stack& st) {
        BP_TRY(std::int64_t module, module_id(st.module));
        frame_bytes.resize(st.frames.size() * 8);
        for (std::size_t i = 0; i < st.frames.size(); ++i) {
            for (std::size_t k = 0; k < 8; ++k)
                frame_bytes[8 * i + k] = static_cast<std::byte>(st.frames[i] >> (8 * k));
        }
        sqlite::Statement& s = insert_stack;
        s.bind(1, trace_id);
        s.bind(2, st.id);
        s.bind(3, static_cast<std::int64_t>(st.frames.size()));
        s.bind_blob(4, frame_bytes);
        s.bind(5, unless(st.module_image_id, 0));
        s.bind(6, module);
        s.bind(7, static_cast<int>(st.attribution));
        BP_TRY_STATUS(s.run());
        ++counts.stacks;
        return {};
    }

    // Pool rows and late frees go to SQLite kPoolBatch at a time through one multi-row INSERT (a third
    // cheaper per row than a statement per row); the rest one by one (write_rows).
    static constexpr int kPoolBatch = 16;
    static constexpr int kPoolColumns = 16;
    static constexpr int kLateFreeColumns = 5;
    // A pool row as it waits for its batch: the numbers only (the module is interned already).
    struct PoolValues {
        std::int64_t id;
        std::int64_t module;
        std::uint64_t size;
        std::uint64_t address;
        std::int64_t alloc_time;
        std::int64_t free_time;
        std::uint32_t tag;
        std::uint32_t pool_type;
        std::uint32_t session_id;
        std::uint32_t process_id;
        std::uint32_t thread_id;
        std::uint32_t alloc_stack_id;
        std::uint32_t free_stack_id;
        footprint::Attribution attribution;
        bool alloc_known;
        bool freed;
        bool implicitly_freed;
    };
    std::vector<PoolValues> pool_pending;

    void bind_pool(sqlite::Statement& s, int base, const PoolValues& v) {
        s.bind(base + 1, trace_id);
        s.bind(base + 2, v.id);
        s.bind(base + 3, v.tag);
        s.bind(base + 4, v.pool_type);
        s.bind(base + 5, v.size);
        s.bind(base + 6, v.address);
        s.bind(base + 7, unless(v.session_id, footprint::kNoSession));
        s.bind(base + 8, v.alloc_known ? std::optional<std::int64_t>(v.alloc_time) : std::nullopt);
        s.bind(base + 9, v.freed ? std::optional<std::int64_t>(v.free_time) : std::nullopt);
        s.bind(base + 10, v.implicitly_freed);
        s.bind(base + 11, unless(v.process_id, 0xFFFFFFFF));
        s.bind(base + 12, unless(v.thread_id, 0xFFFFFFFF));
        s.bind(base + 13, unless(v.alloc_stack_id, 0));
        s.bind(base + 14, unless(v.free_stack_id, 0));
        s.bind(base + 15, v.module);
        s.bind(base + 16, static_cast<int>(v.attribution));
    }

    // Writes `rows`: whole batches through `batch` (kPoolBatch rows of `columns` values), the rest
    // through `single`. bind(statement, first parameter - 1, row).
    template <class Row, class Bind>
    Status write_rows(const std::vector<Row>& rows, sqlite::Statement& batch, sqlite::Statement& single, int columns,
                      Bind bind) {
        std::size_t i = 0;
        for (; i + kPoolBatch <= rows.size(); i += kPoolBatch) {
            for (int k = 0; k < kPoolBatch; ++k) bind(batch, k * columns, rows[i + k]);
            BP_TRY_STATUS(batch.run());
        }
        for (; i < rows.size(); ++i) {
            bind(single, 0, rows[i]);
            BP_TRY_STATUS(single.run());
        }
        return {};
    }

    Status flush_pool() {
        BP_TRY_STATUS(write_rows(pool_pending, insert_pool_batch, insert_pool, kPoolColumns,
                                 [this](sqlite::Statement& s, int base, const PoolValues& v) { bind_pool(s, base, v); }));
        pool_pending.clear();
        return {};
    }

    // Rows of one module tend to come in runs: the last one is checked before the table.
    std::string last_module_name;
    std::int64_t last_module_id = -1;

    // A row, complete or early (on_pool_open); the analyzer's numbering (PoolAllocation::row) is the
    // store's id, and must be the next one.
    Status write_pool(const footprint::PoolAllocation& r) {
        if (r.row != 0 && r.row != counts.pool_rows + 1) {
            return make_error(Errc::internal, "pool row " + std::to_string(r.row) + " arrived as row " +
                                                  std::to_string(counts.pool_rows + 1))
                .with_path(facts.path);
        }
        if (last_module_id < 0 || r.module != last_module_name) {
            BP_TRY(last_module_id, module_id(r.module));
            last_module_name = r.module;
        }
        BP_TRY_STATUS(note_tag(r.tag));
        ++counts.pool_rows;
        pool_pending.push_back({static_cast<std::int64_t>(counts.pool_rows), last_module_id, r.size, r.address,
                                r.alloc_time, r.free_time, r.tag, r.pool_type, r.session_id, r.process_id,
                                r.thread_id, r.alloc_stack_id, r.free_stack_id, r.attribution, r.alloc_known,
                                r.freed, r.implicitly_freed});
        if (pool_pending.size() == kPoolBatch) return flush_pool();
        return {};
    }

    // The complete form of a row written early: its free, if it was freed.
    Status close_pool(const footprint::PoolAllocation& r) {
        if (r.row == 0 || r.row > counts.pool_rows) {
            return make_error(Errc::internal, "the complete form of pool row " + std::to_string(r.row) +
                                                  ", which was not written")
                .with_path(facts.path);
        }
        if (!r.freed) return {};  // still open at the end: the stored row is complete
        late_frees.push_back({r.row, r.free_time, r.free_stack_id, r.implicitly_freed});
        return {};
    }

    // Frees come in free order, which is not the order of the rows they close: written one by one,
    // each would land somewhere in the middle of pool_late_frees' B-tree (3 µs each on the benchmark
    // trace, mostly page-cache misses). They wait here (24 bytes each) and go in in key order.
    struct LateFree {
        std::uint64_t row;
        std::int64_t free_time;
        std::uint32_t free_stack_id;
        bool implicitly_freed;
    };
    std::vector<LateFree> late_frees;

    Status flush_late_frees() {
        std::sort(late_frees.begin(), late_frees.end(),
                  [](const LateFree& a, const LateFree& b) { return a.row < b.row; });
        BP_TRY_STATUS(write_rows(late_frees, insert_late_free_batch, insert_late_free, kLateFreeColumns,
                                 [this](sqlite::Statement& s, int base, const LateFree& f) {
                                     s.bind(base + 1, trace_id);
                                     s.bind(base + 2, static_cast<std::int64_t>(f.row));
                                     s.bind(base + 3, f.free_time);
                                     s.bind(base + 4, f.implicitly_freed);
                                     s.bind(base + 5, unless(f.free_stack_id, 0));
                                 }));
        counts.late_frees += late_frees.size();
        late_frees = {};
        return {};
    }

    Status write_snap(const footprint::PoolSnapRow& r) {
        sqlite::Statement& s = insert_snap;
        s.bind(1, trace_id);
        s.bind(2, static_cast<std::int64_t>(counts.pool_snaps + 1));
        s.bind(3, r.at_end);
        s.bind(4, unless(r.session_id, footprint::kNoSession));
        s.bind(5, r.tag);
        s.bind(6, r.paged_allocs);
        s.bind(7, r.paged_frees);
        s.bind(8, r.paged_used);
        s.bind(9, r.nonpaged_allocs);
        s.bind(10, r.nonpaged_frees);
        s.bind(11, r.nonpaged_used);
        BP_TRY_STATUS(s.run());
        ++counts.pool_snaps;
        return {};
    }

    Status write_resident(const footprint::ResidentRow& r) {
        sqlite::Statement& s = insert_resident;
        s.bind(1, trace_id);
        s.bind(2, static_cast<std::int64_t>(counts.resident_rows + 1));
        s.bind(3, r.snapshot);
        s.bind(4, r.category);
        s.bind(5, r.path);
        s.bind(6, r.list);
        s.bind(7, r.pages);
        BP_TRY_STATUS(s.run());
        ++counts.resident_rows;
        return {};
    }

    Status write_meminfo(const footprint::MemInfoSample& m) {
        sqlite::Statement& s = insert_meminfo;
        s.bind(1, trace_id);
        s.bind(2, static_cast<std::int64_t>(counts.meminfo_samples + 1));
        s.bind(3, m.time);
        s.bind(4, m.zero);
        s.bind(5, m.free);
        s.bind(6, m.modified);
        s.bind(7, m.standby);
        s.bind(8, m.paged_pool_commit);
        s.bind(9, m.nonpaged_pool);
        s.bind(10, m.commit);
        BP_TRY_STATUS(s.run());
        ++counts.meminfo_samples;
        return {};
    }

    Status finish(const footprint::TraceInfo& info, const footprint::Window& whole) {
        BP_TRY_STATUS(flush_pool());
        BP_TRY_STATUS(flush_late_frees());
        BP_TRY(
            sqlite::Statement update,
            db.prepare("UPDATE traces SET os_version = ?2, os_build = ?3, pointer_size = ?4, processors = ?5,"
                       " start_time = ?6, end_time = ?7, boot_time = ?8, window_start = ?9, window_end = ?10,"
                       " events = ?11, events_lost = ?12, buffers_lost = ?13, lost_flagged_buffers = ?14,"
                       " malformed_events = ?15, unknown_records = ?16, pool_rows = ?17, resident_rows = ?18"
                       " WHERE id = ?1"));
        update.bind(1, trace_id);
        update.bind(2, info.os_version);
        update.bind(3, info.os_build);
        update.bind(4, info.pointer_size);
        update.bind(5, info.processors);
        update.bind(6, info.start_time);
        update.bind(7, info.end_time);
        update.bind(8, info.boot_time);
        update.bind(9, whole.start);
        update.bind(10, whole.end);
        update.bind(11, info.events);
        update.bind(12, info.events_lost);
        update.bind(13, info.buffers_lost);
        update.bind(14, info.lost_flagged_buffers);
        update.bind(15, info.malformed_events);
        update.bind(16, info.unknown_records);
        update.bind(17, counts.pool_rows);
        update.bind(18, counts.resident_rows);
        BP_TRY_STATUS(update.run());

        // The whole-trace pool table: the streamed one when it is exact (WholeTracePoolTable), else
        // read back from the rows written above (same transaction).
        std::vector<PoolTableRow> table_rows;
        if (auto streamed = table->finish(whole)) {
            table_rows = detail::pool_table_rows(trace_id, std::move(*streamed));
        } else {
            BP_TRY(table_rows, detail::summarize_pool_rows(db, trace_id, whole, std::nullopt));
        }
        BP_TRY(sqlite::Statement insert,
               db.prepare("INSERT INTO pool_summary (trace_id, id, tag, module, paged, type, count, size,"
                          " impacting_size, peak_outstanding, attribution)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
        std::int64_t id = 0;
        for (const PoolTableRow& t : table_rows) {
            insert.bind(1, trace_id);
            insert.bind(2, ++id);
            insert.bind(3, t.row.tag);
            insert.bind(4, t.row.module);
            insert.bind(5, t.row.paged);
            insert.bind(6, footprint::to_string(t.row.type));
            insert.bind(7, t.row.count);
            insert.bind(8, t.row.size);
            insert.bind(9, t.row.impacting_size);
            insert.bind(10, t.row.peak_outstanding);
            insert.bind(11, t.attribution);
            BP_TRY_STATUS(insert.run());
        }
        counts.summary_rows = table_rows.size();

        // Per-driver resident code of the last snapshot (kernel-events.md §4.3: category Driver).
        BP_TRY(sqlite::Statement drivers,
               db.prepare(
                   "INSERT INTO driver_code (trace_id, path, snapshot, active_pages, total_pages)"
                   " SELECT trace_id, path, snapshot, SUM(CASE WHEN list = 'Active' THEN pages ELSE 0 END),"
                   " SUM(pages) FROM resident"
                   " WHERE trace_id = ?1 AND category = 'Driver'"
                   " AND snapshot = (SELECT MAX(snapshot) FROM resident WHERE trace_id = ?1)"
                   " GROUP BY path"));
        drivers.bind(1, trace_id);
        BP_TRY_STATUS(drivers.run());
        counts.driver_rows = static_cast<std::uint64_t>(db.changes());

        // Symbolized frames of every stack (module+offset when no symbolizer was given).
        footprint::NoSymbols none;
        BP_TRY(SymbolizeCounts named, detail::symbolize_trace(db, trace_id, facts.symbolizer ? *facts.symbolizer : none));
        counts.frames = named.frames;
        counts.frames_named = named.frames_named;
        return {};
    }

    static inline const std::string kUnknown = "Unknown";
};

Ingest::Ingest(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Ingest::~Ingest() {
    if (!impl_) return;
    impl_->tx.rollback();
    impl_->state->ingest_active = false;
}

Status Ingest::on_image(const footprint::Image& image) {
    BP_TRY_STATUS(impl_->check_open());
    return impl_->guard(impl_->write_image(image));
}

Status Ingest::on_stack(const footprint::Stack& stack) {
    BP_TRY_STATUS(impl_->check_open());
    return impl_->guard(impl_->write_stack(stack));
}

Status Ingest::on_pool_allocation(const footprint::PoolAllocation& row) {
    BP_TRY_STATUS(impl_->check_open());
    impl_->feed_table(row);
    return impl_->guard(impl_->write_pool(row));
}

Status Ingest::on_pool_open(const footprint::PoolAllocation& row) {
    BP_TRY_STATUS(impl_->check_open());
    if (row.row == 0 || row.freed) {
        return impl_->guard(make_error(Errc::internal, "an early pool row must be numbered and open")
                                .with_path(impl_->facts.path));
    }
    return impl_->guard(impl_->write_pool(row));  // not in the pool table: its complete form will be
}

bool Ingest::wants_unchanged_closes() const {
    return !impl_->table_fed_outside;
}

Status Ingest::on_pool_closed(const footprint::PoolAllocation& row) {
    BP_TRY_STATUS(impl_->check_open());
    impl_->feed_table(row);
    return impl_->guard(impl_->close_pool(row));
}

Status Ingest::on_pool_snap(const footprint::PoolSnapRow& row) {
    BP_TRY_STATUS(impl_->check_open());
    return impl_->guard(impl_->write_snap(row));
}

Status Ingest::on_resident(const footprint::ResidentRow& row) {
    BP_TRY_STATUS(impl_->check_open());
    return impl_->guard(impl_->write_resident(row));
}

Status Ingest::on_meminfo(const footprint::MemInfoSample& sample) {
    BP_TRY_STATUS(impl_->check_open());
    return impl_->guard(impl_->write_meminfo(sample));
}

Status Ingest::on_finish(const footprint::TraceInfo& info, const footprint::Window& whole_trace) {
    BP_TRY_STATUS(impl_->check_open());
    BP_TRY_STATUS(impl_->guard(impl_->finish(info, whole_trace)));
    impl_->phase = Phase::finished;
    return {};
}

Status Ingest::commit(const std::string& sha256) {
    if (impl_->phase == Phase::failed) return *impl_->failure;
    if (!impl_->sha256_pending()) {
        if (sha256 == impl_->facts.sha256) return commit();
        return make_error(Errc::internal, "commit(sha256) on an ingest begun with another sha256")
            .with_path(impl_->facts.path);
    }
    BP_TRY_STATUS(check_sha256(sha256, impl_->facts.path));
    if (auto known = known_trace(sha256)) {
        return impl_->guard(make_error(Errc::conflict, "already ingested as trace " + std::to_string(*known))
                                .with_path(impl_->facts.path));
    }
    BP_TRY(sqlite::Statement update, impl_->db.prepare("UPDATE traces SET sha256 = ?2 WHERE id = ?1"));
    update.bind(1, impl_->trace_id);
    update.bind(2, sha256);
    BP_TRY_STATUS(impl_->guard(update.run()));
    impl_->facts.sha256 = sha256;
    return commit();
}

std::optional<std::int64_t> Ingest::known_trace(const std::string& sha256) const {
    auto it = impl_->known_digests.find(sha256);
    if (it == impl_->known_digests.end()) return std::nullopt;
    return it->second;
}

Status Ingest::commit() {
    if (impl_->phase == Phase::failed) return *impl_->failure;
    if (impl_->sha256_pending()) {
        return make_error(Errc::internal, "ingest begun without a sha256 committed without one")
            .with_path(impl_->facts.path);
    }
    if (impl_->phase != Phase::finished) {
        return make_error(Errc::internal, impl_->phase == Phase::committed
                                              ? "ingest committed twice"
                                              : "ingest committed before on_finish()")
            .with_path(impl_->facts.path);
    }
    BP_TRY_STATUS(impl_->guard(impl_->tx.commit()));
    impl_->phase = Phase::committed;
    impl_->state->ingest_active = false;
    return {};
}

std::int64_t Ingest::trace_id() const {
    return impl_->trace_id;
}

const IngestCounts& Ingest::counts() const {
    return impl_->counts;
}

std::shared_ptr<footprint::WholeTracePoolTable> Ingest::pool_table_feed() {
    impl_->table_fed_outside = true;
    return impl_->table;
}

// ---- AgentStore::begin_ingest lives here: it builds the Impl ---------------------------------------

Result<std::unique_ptr<Ingest>> AgentStore::begin_ingest(const TraceFacts& facts) {
    detail::StoreState& st = *state_;
    const bool pending = facts.sha256.empty();
    if (!pending) BP_TRY_STATUS(check_sha256(facts.sha256, facts.path));
    if (st.ingest_active) {
        return make_error(Errc::conflict, "another ingest is still open on this store")
            .with_path(st.db.path());
    }
    BP_TRY(auto tx, sqlite::Transaction::begin(st.db));
    // Checked inside the write transaction, so two processes cannot both insert the same trace.
    std::unordered_map<std::string, std::int64_t> known_digests;
    if (pending) {
        BP_TRY(auto all, st.db.prepare("SELECT sha256, id FROM traces"));
        for (;;) {
            BP_TRY(bool row, all.step());
            if (!row) break;
            known_digests.emplace(all.column_text(0), all.column_int(1));
        }
    } else {
        BP_TRY(auto existing, find_trace(facts.sha256));
        if (existing) {
            return make_error(Errc::conflict, "already ingested as trace " + std::to_string(*existing))
                .with_path(facts.path);
        }
    }
    BP_TRY(sqlite::Statement insert_trace,
           st.db.prepare("INSERT INTO traces (sha256, file, bytes, campaign, iteration, build, machine,"
                         " clock_origin, clock_frequency) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    const footprint::Labels& l = facts.labels;
    auto text_or_null = [](const std::string& s) {
        return s.empty() ? std::nullopt : std::optional<std::string>(s);
    };
    insert_trace.bind(1, pending ? std::string(kPendingSha256) : facts.sha256);
    insert_trace.bind(2, facts.path);
    insert_trace.bind(3, facts.bytes);
    insert_trace.bind(4, text_or_null(l.campaign));
    insert_trace.bind(5, l.iteration >= 0 ? std::optional<std::int64_t>(l.iteration) : std::nullopt);
    insert_trace.bind(6, text_or_null(l.build));
    insert_trace.bind(7, text_or_null(l.machine));
    insert_trace.bind(8, facts.clock_origin);
    insert_trace.bind(9, facts.clock_frequency);
    BP_TRY_STATUS(insert_trace.run());
    const std::int64_t trace_id = st.db.last_insert_rowid();

    BP_TRY(auto image,
           st.db.prepare("INSERT INTO images (trace_id, id, base, size, process_id, path, name, checksum,"
                         " time_date_stamp, load_time, unload_time, pdb_guid, pdb_age, pdb_name)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"));
    BP_TRY(auto stack,
           st.db.prepare("INSERT INTO stacks (trace_id, id, depth, frames, module_image_id, module_id,"
                         " attribution) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    // One statement for kPoolBatch rows of `columns` values each.
    const auto batch_of = [](std::string sql, int columns) {
        for (int row = 0; row < Ingest::Impl::kPoolBatch; ++row) {
            sql += row ? ",(" : "(";
            for (int c = 0; c < columns; ++c) sql += c ? ",?" : "?";
            sql += ')';
        }
        return sql;
    };
    const std::string pool_sql =
        "INSERT INTO pool_allocation_rows (trace_id, id, tag, pool_type, size, address, session_id, alloc_time,"
        " free_time, implicitly_freed, process_id, thread_id, alloc_stack_id, free_stack_id, module_id,"
        " attribution) VALUES ";
    BP_TRY(auto pool, st.db.prepare(pool_sql + "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"));
    BP_TRY(auto pool_batch, st.db.prepare(batch_of(pool_sql, Ingest::Impl::kPoolColumns)));
    const std::string late_free_sql =
        "INSERT INTO pool_late_frees (trace_id, id, free_time, implicitly_freed, free_stack_id) VALUES ";
    BP_TRY(auto late_free, st.db.prepare(late_free_sql + "(?1, ?2, ?3, ?4, ?5)"));
    BP_TRY(auto late_free_batch, st.db.prepare(batch_of(late_free_sql, Ingest::Impl::kLateFreeColumns)));
    BP_TRY(auto snap,
           st.db.prepare("INSERT INTO pool_snaps (trace_id, id, at_end, session_id, tag, paged_allocs,"
                         " paged_frees, paged_used, nonpaged_allocs, nonpaged_frees, nonpaged_used)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
    BP_TRY(auto resident,
           st.db.prepare("INSERT INTO resident (trace_id, id, snapshot, category, path, list, pages)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    BP_TRY(auto meminfo, st.db.prepare("INSERT INTO meminfo (trace_id, id, time, zero_pages, free_pages,"
                                       " modified_pages, standby_pages, paged_pool_commit, nonpaged_pool,"
                                       " commit_pages) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
    BP_TRY(auto module_insert, st.db.prepare("INSERT OR IGNORE INTO modules (name) VALUES (?1)"));
    BP_TRY(auto module_select, st.db.prepare("SELECT id FROM modules WHERE name = ?1"));
    BP_TRY(auto tag, st.db.prepare("INSERT OR IGNORE INTO pool_tags (tag, name) VALUES (?1, ?2)"));

    auto impl = std::make_unique<Ingest::Impl>(state_, std::move(tx), std::move(image), std::move(stack),
                                               std::move(pool), std::move(pool_batch), std::move(late_free), std::move(late_free_batch),
                                               std::move(snap), std::move(resident),
                                               std::move(meminfo), std::move(module_insert),
                                               std::move(module_select), std::move(tag));
    impl->trace_id = trace_id;
    impl->facts = facts;
    impl->known_digests = std::move(known_digests);
    st.ingest_active = true;
    return std::unique_ptr<Ingest>(new Ingest(std::move(impl)));
}

}  // namespace bp::store
