#include "bootprint/store/agent_store.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>
#include <utility>

#include "bootprint/store/schema.hpp"
#include "store/migrations.hpp"
#include "store/sqlite.hpp"
#include "store/store_state.hpp"

namespace bp::store {

std::int64_t TraceRecord::ticks_at(double seconds) const {
    return clock_origin +
           static_cast<std::int64_t>(std::llround(seconds * static_cast<double>(clock_frequency)));
}

namespace {

Result<std::shared_ptr<detail::StoreState>> open_state(sqlite::Database db) {
    // Refuse a newer database before touching it in any way (journal mode included).
    BP_TRY(std::int64_t version, db.query_int("PRAGMA user_version"));
    if (version > latest_schema_version()) {
        return make_error(Errc::unsupported, "schema version " + std::to_string(version) +
                                                 " is newer than this bootprint understands (" +
                                                 std::to_string(latest_schema_version()) +
                                                 "); upgrade bootprint")
            .with_path(db.path());
    }
    // WAL: readers (the CLI, the controller's upload) do not block an ingest. synchronous=NORMAL is
    // durable in WAL mode except for the last transactions on power loss, and makes each ingest's
    // single commit cheap. The cache bounds memory (32 MiB) whatever the trace's size.
    BP_TRY_STATUS(
        db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768;"));
    auto state = std::make_shared<detail::StoreState>(std::move(db));
    BP_TRY(int migrated, detail::migrate(state->db));
    state->schema_version = migrated;
    return state;
}

std::optional<std::string> column_optional_text(const sqlite::Statement& s, int column) {
    if (s.is_null(column)) return std::nullopt;
    return s.column_text(column);
}

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", s);
    return buf;
}

footprint::PoolLifetimeType parse_type(const std::string& text) {
    for (int t = 0; t < 4; ++t) {
        const auto type = static_cast<footprint::PoolLifetimeType>(t);
        if (text == footprint::to_string(type)) return type;
    }
    return footprint::PoolLifetimeType::aifi;  // the CHECK constraint admits nothing else
}

}  // namespace

Result<AgentStore> AgentStore::open(const std::string& path, OpenOptions options) {
    if (path.empty()) return make_error(Errc::invalid_argument, "empty database path");
    BP_TRY(sqlite::Database db, sqlite::Database::open(path, options.create));
    BP_TRY(auto state, open_state(std::move(db)));
    return AgentStore(std::move(state));
}

Result<AgentStore> AgentStore::open_temporary() {
    BP_TRY(sqlite::Database db, sqlite::Database::open("", true));
    BP_TRY(auto state, open_state(std::move(db)));
    return AgentStore(std::move(state));
}

AgentStore::AgentStore(std::shared_ptr<detail::StoreState> state) : state_(std::move(state)) {}
AgentStore::AgentStore(AgentStore&&) noexcept = default;
AgentStore& AgentStore::operator=(AgentStore&&) noexcept = default;
AgentStore::~AgentStore() = default;

int AgentStore::schema_version() const {
    return state_->schema_version;
}

const std::string& AgentStore::path() const {
    return state_->db.path();
}

Result<std::optional<std::int64_t>> AgentStore::find_trace(const std::string& sha256) {
    BP_TRY(auto q, state_->db.prepare("SELECT id FROM traces WHERE sha256 = ?1"));
    q.bind(1, sha256);
    BP_TRY(bool found, q.step());
    if (!found) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(q.column_int(0));
}

Result<std::vector<TraceRecord>> AgentStore::traces(const TraceFilter& filter) {
    BP_TRY(auto q,
           state_->db.prepare(
               "SELECT id, sha256, file, bytes, campaign, iteration, build, machine, os_version, os_build,"
               " pointer_size, processors, start_time, end_time, boot_time, clock_origin, clock_frequency,"
               " window_start, window_end, events, events_lost, buffers_lost, lost_flagged_buffers,"
               " malformed_events, unknown_records, pool_rows, resident_rows, ingested_at FROM traces"
               " WHERE (?1 IS NULL OR id = ?1) AND (?2 IS NULL OR campaign = ?2)"
               " AND (?3 IS NULL OR iteration = ?3) AND (?4 IS NULL OR build = ?4)"
               " AND (?5 IS NULL OR machine = ?5) ORDER BY id"));
    q.bind(1, filter.trace_id);
    q.bind(2, filter.campaign);
    q.bind(3, filter.iteration);
    q.bind(4, filter.build);
    q.bind(5, filter.machine);
    std::vector<TraceRecord> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        TraceRecord t;
        int c = 0;
        t.id = q.column_int(c++);
        t.info.sha256 = q.column_text(c++);
        t.info.path = q.column_text(c++);
        t.info.bytes = q.column_uint(c++);
        t.labels.campaign = column_optional_text(q, c++).value_or("");
        t.labels.iteration = q.column_optional_int(c++).value_or(-1);
        t.labels.build = column_optional_text(q, c++).value_or("");
        t.labels.machine = column_optional_text(q, c++).value_or("");
        t.info.os_version = q.column_text(c++);
        t.info.os_build = static_cast<std::uint32_t>(q.column_int(c++));
        t.info.pointer_size = static_cast<std::uint32_t>(q.column_int(c++));
        t.info.processors = static_cast<std::uint32_t>(q.column_int(c++));
        t.info.start_time = q.column_int(c++);
        t.info.end_time = q.column_int(c++);
        t.info.boot_time = q.column_int(c++);
        t.clock_origin = q.column_int(c++);
        t.clock_frequency = q.column_int(c++);
        t.window.start = q.column_int(c++);
        t.window.end = q.column_int(c++);
        t.info.events = q.column_uint(c++);
        t.info.events_lost = q.column_uint(c++);
        t.info.buffers_lost = q.column_uint(c++);
        t.info.lost_flagged_buffers = q.column_uint(c++);
        t.info.malformed_events = q.column_uint(c++);
        t.info.unknown_records = q.column_uint(c++);
        t.pool_rows = q.column_uint(c++);
        t.resident_rows = q.column_uint(c++);
        t.ingested_at = q.column_text(c++);
        out.push_back(std::move(t));
    }
    return out;
}

Result<std::vector<PoolTableRow>> AgentStore::pool_table(const PoolQuery& query) {
    if (query.from_seconds && query.to_seconds && !(*query.from_seconds < *query.to_seconds)) {
        return make_error(Errc::invalid_argument,
                          "empty time window: --to (" + seconds_text(*query.to_seconds) +
                              ") must be after --from (" + seconds_text(*query.from_seconds) + ")");
    }
    BP_TRY(auto selected, traces(query.traces));
    std::vector<PoolTableRow> out;
    const bool custom_window = query.from_seconds || query.to_seconds;
    BP_TRY(auto stored, state_->db.prepare(
                            "SELECT tag, module, paged, type, count, size, impacting_size, peak_outstanding,"
                            " attribution FROM pool_summary WHERE trace_id = ?1 AND (?2 IS NULL OR tag = ?2)"
                            " AND (?3 IS NULL OR paged = ?3) ORDER BY id"));
    for (const TraceRecord& t : selected) {
        if (custom_window) {
            footprint::Window w = t.window;
            if (query.from_seconds) w.start = t.ticks_at(*query.from_seconds);
            if (query.to_seconds) w.end = t.ticks_at(*query.to_seconds);
            if (w.end <= w.start) {
                return make_error(Errc::invalid_argument,
                                  "empty time window for trace " + std::to_string(t.id) +
                                      ": the window ends before it starts (the trace lasts " +
                                      seconds_text(static_cast<double>(t.window.end - t.clock_origin) /
                                                   static_cast<double>(t.clock_frequency)) +
                                      ")");
            }
            BP_TRY(auto rows, detail::summarize_pool_rows(state_->db, t.id, w, query.tag));
            for (PoolTableRow& r : rows) {
                if (query.paged && r.row.paged != *query.paged) continue;
                out.push_back(std::move(r));
            }
            continue;
        }
        stored.bind(1, t.id);
        stored.bind(2, query.tag);
        stored.bind(3, query.paged);
        for (;;) {
            BP_TRY(bool row, stored.step());
            if (!row) break;
            PoolTableRow r;
            r.trace_id = t.id;
            r.row.tag = stored.column_text(0);
            r.row.module = stored.column_text(1);
            r.row.paged = stored.column_int(2) != 0;
            r.row.type = parse_type(stored.column_text(3));
            r.row.count = stored.column_uint(4);
            r.row.size = stored.column_uint(5);
            r.row.impacting_size = stored.column_int(6);
            r.row.peak_outstanding = stored.column_uint(7);
            r.attribution = stored.column_text(8);
            out.push_back(std::move(r));
        }
        stored.reset();
    }
    return out;
}

Result<std::vector<ResidentTableRow>> AgentStore::resident_set(const ResidentQuery& query) {
    BP_TRY(auto selected, traces(query.traces));
    BP_TRY(
        auto q,
        state_->db.prepare(
            "SELECT snapshot, category, path, list, pages FROM resident WHERE trace_id = ?1"
            " AND (?2 IS NULL OR category = ?2 COLLATE NOCASE) AND (?3 IS NULL OR list = ?3 COLLATE NOCASE)"
            " AND (?4 IS NULL OR snapshot = ?4) ORDER BY snapshot, pages DESC, category, path, list"));
    std::vector<ResidentTableRow> out;
    for (const TraceRecord& t : selected) {
        q.bind(1, t.id);
        q.bind(2, query.category);
        q.bind(3, query.list);
        q.bind(4, query.snapshot);
        for (;;) {
            BP_TRY(bool row, q.step());
            if (!row) break;
            ResidentTableRow r;
            r.trace_id = t.id;
            r.row.snapshot = static_cast<std::uint32_t>(q.column_int(0));
            r.row.category = q.column_text(1);
            r.row.path = q.column_text(2);
            r.row.list = q.column_text(3);
            r.row.pages = q.column_uint(4);
            out.push_back(std::move(r));
        }
        q.reset();
    }
    return out;
}

Result<CampaignSummary> AgentStore::campaign_summary(const CampaignQuery& query) {
    TraceFilter filter;
    filter.campaign = query.campaign;
    filter.build = query.build;
    filter.machine = query.machine;
    BP_TRY(auto selected, traces(filter));
    if (selected.empty()) {
        return make_error(Errc::not_found,
                          std::string("no traces in campaign '").append(query.campaign).append("'"))
            .with_path(path());
    }
    std::stable_sort(selected.begin(), selected.end(), [](const TraceRecord& a, const TraceRecord& b) {
        return std::tie(a.labels.build, a.labels.iteration, a.id) <
               std::tie(b.labels.build, b.labels.iteration, b.id);
    });

    BP_TRY(auto tag_query,
           state_->db.prepare("SELECT tag, SUM(impacting_size) FROM pool_summary WHERE trace_id = ?1"
                              " GROUP BY tag"));
    BP_TRY(auto driver_query,
           state_->db.prepare("SELECT path, active_pages FROM driver_code WHERE trace_id = ?1"));

    // Per build: key → one value per trace of that build (absent → 0), and in how many it appeared.
    struct Series {
        std::vector<double> values;
        std::size_t present = 0;
    };
    struct BuildSeries {
        std::size_t traces = 0;
        std::map<std::string, Series> tags;
        std::map<std::string, Series> drivers;
    };
    std::map<std::string, BuildSeries> builds;
    auto add = [](std::map<std::string, Series>& m, const std::string& key, std::size_t index, double value) {
        Series& s = m[key];
        s.values.resize(index + 1, 0.0);
        s.values[index] += value;
        s.present += 1;
    };
    for (const TraceRecord& t : selected) {
        BuildSeries& b = builds[t.labels.build];
        const std::size_t index = b.traces++;
        tag_query.bind(1, t.id);
        for (;;) {
            BP_TRY(bool row, tag_query.step());
            if (!row) break;
            add(b.tags, tag_query.column_text(0), index, static_cast<double>(tag_query.column_int(1)));
        }
        tag_query.reset();
        driver_query.bind(1, t.id);
        for (;;) {
            BP_TRY(bool row, driver_query.step());
            if (!row) break;
            add(b.drivers, driver_query.column_text(0), index,
                static_cast<double>(driver_query.column_int(1)) * 4096.0);
        }
        driver_query.reset();
    }

    CampaignSummary summary;
    summary.campaign = query.campaign;
    summary.iterations = std::move(selected);
    auto finish = [](const std::string& build, std::size_t traces, std::map<std::string, Series>& m,
                     std::vector<SeriesStats>& out) {
        for (auto& [key, s] : m) {
            s.values.resize(traces, 0.0);  // iterations after the last one that had the key
            SeriesStats st;
            st.build = build;
            st.key = key;
            st.present = s.present;
            st.spread = footprint::spread_of(std::move(s.values));
            out.push_back(std::move(st));
        }
    };
    for (auto& [build, b] : builds) {
        finish(build, b.traces, b.tags, summary.tags);
        finish(build, b.traces, b.drivers, summary.drivers);
    }
    auto order = [](const SeriesStats& a, const SeriesStats& b) {
        if (a.build != b.build) return a.build < b.build;
        if (a.spread.median != b.spread.median) return a.spread.median > b.spread.median;
        return a.key < b.key;
    };
    std::sort(summary.tags.begin(), summary.tags.end(), order);
    std::sort(summary.drivers.begin(), summary.drivers.end(), order);
    return summary;
}

Result<std::map<std::string, std::int64_t>> AgentStore::table_row_counts() {
    BP_TRY(auto tables,
           state_->db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name"));
    std::vector<std::string> names;
    for (;;) {
        BP_TRY(bool row, tables.step());
        if (!row) break;
        names.push_back(tables.column_text(0));
    }
    std::map<std::string, std::int64_t> out;
    for (const std::string& name : names) {
        // Names come from sqlite_schema itself; quote them as identifiers anyway.
        std::string quoted = "\"";
        for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        quoted += '"';
        BP_TRY(std::int64_t n, state_->db.query_int("SELECT count(*) FROM " + quoted));
        out[name] = n;
    }
    return out;
}

}  // namespace bp::store
