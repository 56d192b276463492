// Controller benchmark: a generated history of one year × 1,000 machines (nightly campaigns of 2
// iterations, 6 series per report — --series 234 for a real report's count — a new build every week) on each store, then real HTTP on loopback
// against one and against two bootprint-service instances sharing that store: uploads/s from concurrent
// agents (ControllerClient, one report per request, agents spread over the instances) and the latency
// of history queries from concurrent readers (p50/p95 as the client sees them).
//
//   bench_controller [--store sqlite|postgresql|both] [--instances 1,2] [--machines 1000] [--days 365] [--series 6]
//                    [--iterations 2] [--uploads 2000] [--agents 8] [--queries 40] [--readers 2]
//                    [--threads 2] [--db PATH (SQLite, kept and reused)] [--synchronous FULL]
//
// The history is written directly into the controller's own schema (migrated by the store's open()):
// SQLite in large transactions, PostgreSQL with COPY and the samples indexes built after the load.
// ~730,000 reports through HTTP would take an hour and measure nothing new. Everything measured goes
// through the service. The PostgreSQL server is a throw-away one (tests/support/postgres_server.hpp)
// with fsync on and 1 GB shared_buffers.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bootprint/controller/auth.hpp"
#include "bootprint/controller/postgres_controller_store.hpp"
#include "bootprint/controller/report_facts.hpp"
#include "bootprint/controller/sqlite_controller_store.hpp"
#include "bootprint/report/controller_client.hpp"
#include "support/controller_support.hpp"
#include "support/postgres_server.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Options {
    int machines = 1000;
    int series = 6;
    int days = 365;
    int iterations = 2;
    int uploads = 2000;
    int agents = 8;
    int queries = 40;
    int readers = 2;
    int threads = 2;
    std::string store = "both";
    std::vector<int> instances = {1, 2};
    std::string db;
    std::string synchronous = "FULL";
};

constexpr std::int64_t kStart = 1704074400;  // 2024-01-01T02:00:00Z, the first night's traces
const char* const kTags[] = {"Ntfx", "Irp ", "MmSt", "FMfn"};
const char* const kDrivers[] = {"ACPI.sys"};

// The generated series: (kind, key, metric), id = index + 1.
struct SeriesName {
    std::string kind, key, metric;
};
// The six series the queries ask for, then (--series N) more tags' metrics up to N per report: a real
// report yields about 234 (kernel-events → report_facts), which is what a machine's history holds.
std::vector<SeriesName> series_names(int count = 6) {
    std::vector<SeriesName> out;
    for (const char* t : kTags) out.push_back({"tag", t, "impacting_size"});
    for (const char* d : kDrivers) out.push_back({"driver", d, "active_bytes"});
    out.push_back({"total", "pool", "impacting_size"});
    static const char* const kMetrics[] = {"impacting_size", "size", "count", "paged_impacting_size",
                                           "nonpaged_impacting_size"};
    for (int i = 0; static_cast<int>(out.size()) < count; ++i) {
        char tag[16];
        std::snprintf(tag, sizeof tag, "X%03d", (i / 5) % 1000);
        out.push_back({"tag", tag, kMetrics[i % 5]});
    }
    return out;
}

std::string machine_name(int m) {
    char name[32];
    std::snprintf(name, sizeof name, "lab-%04d", m);
    return name;
}

// Every generated sample in the SQLite table's order (machine, time, report, series), so that loading
// appends to the table instead of scattering inserts over it. Campaign d*machines+m is machine m's
// night d; its reports are numbered consecutively. Each series drifts by build, with per-iteration
// noise.
template <typename Fn>
void for_each_sample(const Options& o, std::size_t series_count, Fn&& fn) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> noise(0, 2000);
    for (int m = 1; m <= o.machines; ++m) {
        for (int day = 0; day < o.days; ++day) {
            const int b = day / 7 + 1;
            const std::int64_t cid = static_cast<std::int64_t>(day) * o.machines + m;
            for (int it = 0; it < o.iterations; ++it) {
                const std::int64_t rid = (cid - 1) * o.iterations + it + 1;
                const std::int64_t t = kStart + static_cast<std::int64_t>(day) * 86400 + it * 600;
                for (std::size_t s = 0; s < series_count; ++s) {
                    const double v = 100000.0 * static_cast<double>(s + 1) + 500.0 * b + noise(rng);
                    fn(static_cast<std::int64_t>(s + 1), m, t, rid, cid, b, static_cast<std::int64_t>(v));
                }
            }
        }
    }
}

void check(int rc, sqlite3* db, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        std::fprintf(stderr, "bench: %s: %s\n", what, sqlite3_errmsg(db));
        std::exit(2);
    }
}

sqlite3_stmt* prepare(sqlite3* db, const char* sql) {
    sqlite3_stmt* s = nullptr;
    check(sqlite3_prepare_v2(db, sql, -1, &s, nullptr), db, sql);
    return s;
}

void step(sqlite3* db, sqlite3_stmt* s) {
    check(sqlite3_step(s), db, sqlite3_sql(s));
    sqlite3_reset(s);
}

// Fills the controller schema with the history of `o.days` nights on `o.machines` machines.
void generate_sqlite(const Options& o, const std::string& path) {
    {
        auto store = bp::controller::SqliteControllerStore::open(path);
        if (!store) {
            std::fprintf(stderr, "bench: %s\n", store.error().describe().c_str());
            std::exit(2);
        }
    }
    sqlite3* db = nullptr;
    check(sqlite3_open(path.c_str(), &db), db, "open");
    check(sqlite3_exec(db, "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY",
                       nullptr, nullptr, nullptr), db, "pragmas");
    // The samples' secondary indexes are built after the load, from their definitions in the migrated
    // schema (sorting once beats maintaining three B-trees row by row).
    std::vector<std::string> index_definitions, index_names;
    {
        auto q = prepare(db, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'samples'"
                             " AND sql IS NOT NULL");
        while (sqlite3_step(q) == SQLITE_ROW) {
            index_names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)));
            index_definitions.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 1)));
        }
        sqlite3_finalize(q);
    }
    for (const auto& name : index_names) check(sqlite3_exec(db, ("DROP INDEX " + name).c_str(), nullptr, nullptr, nullptr), db, "drop");
    check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
    auto agent = prepare(db, "INSERT INTO agents (id, machine, machine_group, enrolled_at, last_seen_at)"
                             " VALUES (?1, ?2, 'lab', ?3, ?3)");
    for (int m = 1; m <= o.machines; ++m) {
        const std::string name = machine_name(m);
        sqlite3_bind_int(agent, 1, m);
        sqlite3_bind_text(agent, 2, name.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(agent, 3, kStart);
        step(db, agent);
    }
    const int builds = (o.days + 6) / 7;
    auto build = prepare(db, "INSERT INTO builds (id, name) VALUES (?1, ?2)");
    for (int b = 1; b <= builds; ++b) {
        const std::string name = "26100." + std::to_string(b);
        sqlite3_bind_int(build, 1, b);
        sqlite3_bind_text(build, 2, name.c_str(), -1, SQLITE_TRANSIENT);
        step(db, build);
    }
    const auto series = series_names(o.series);
    auto ser = prepare(db, "INSERT INTO series (id, kind, key, metric) VALUES (?1, ?2, ?3, ?4)");
    for (std::size_t i = 0; i < series.size(); ++i) {
        sqlite3_bind_int(ser, 1, static_cast<int>(i + 1));
        sqlite3_bind_text(ser, 2, series[i].kind.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ser, 3, series[i].key.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ser, 4, series[i].metric.c_str(), -1, SQLITE_TRANSIENT);
        step(db, ser);
    }
    auto camp = prepare(db, "INSERT INTO campaigns (id, agent_id, name, build_id, template, first_time)"
                            " VALUES (?1, ?2, ?3, ?4, 'nightly', ?5)");
    auto rep = prepare(db, "INSERT INTO reports (id, idempotency_key, body_sha256, agent_id, campaign_id, build_id,"
                           " iteration, schema_version, time, received_at, body)"
                           " VALUES (?1, ?2, '', ?3, ?4, ?5, ?6, 1, ?7, ?7, '{}')");
    auto sample = prepare(db, "INSERT INTO samples (series_id, agent_id, time, report_id, campaign_id, build_id, value)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    std::int64_t campaign_id = 0, report_id = 0;
    const auto t0 = Clock::now();
    for (int day = 0; day < o.days; ++day) {
        const int b = day / 7 + 1;
        for (int m = 1; m <= o.machines; ++m) {
            const std::int64_t night = kStart + static_cast<std::int64_t>(day) * 86400;
            const std::string cname = "nightly@" + std::to_string(night);
            ++campaign_id;
            sqlite3_bind_int64(camp, 1, campaign_id);
            sqlite3_bind_int(camp, 2, m);
            sqlite3_bind_text(camp, 3, cname.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int(camp, 4, b);
            sqlite3_bind_int64(camp, 5, night);
            step(db, camp);
            for (int it = 0; it < o.iterations; ++it) {
                ++report_id;
                const std::int64_t t = night + it * 600;
                const std::string key = std::to_string(m) + "/" + cname + "/" + std::to_string(it);
                sqlite3_bind_int64(rep, 1, report_id);
                sqlite3_bind_text(rep, 2, key.c_str(), -1, SQLITE_TRANSIENT);
                sqlite3_bind_int(rep, 3, m);
                sqlite3_bind_int64(rep, 4, campaign_id);
                sqlite3_bind_int(rep, 5, b);
                sqlite3_bind_int(rep, 6, it);
                sqlite3_bind_int64(rep, 7, t);
                step(db, rep);
            }
        }
    }
    std::fprintf(stderr, "  campaigns and reports (%.0f s)\n", std::chrono::duration<double>(Clock::now() - t0).count());
    for_each_sample(o, series.size(), [&](std::int64_t series_id, int m, std::int64_t t, std::int64_t rid,
                                          std::int64_t cid, int b, std::int64_t value) {
        sqlite3_bind_int64(sample, 1, series_id);
        sqlite3_bind_int(sample, 2, m);
        sqlite3_bind_int64(sample, 3, t);
        sqlite3_bind_int64(sample, 4, rid);
        sqlite3_bind_int64(sample, 5, cid);
        sqlite3_bind_int(sample, 6, b);
        sqlite3_bind_int64(sample, 7, value);
        step(db, sample);
    });
    std::fprintf(stderr, "  samples (%.0f s)\n", std::chrono::duration<double>(Clock::now() - t0).count());
    check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
    for (const auto& def : index_definitions) check(sqlite3_exec(db, def.c_str(), nullptr, nullptr, nullptr), db, def.c_str());
    std::fprintf(stderr, "  indexes (%.0f s)\n", std::chrono::duration<double>(Clock::now() - t0).count());
    check(sqlite3_exec(db, "ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);", nullptr, nullptr, nullptr), db, "end");
    for (auto* s : {agent, build, ser, camp, rep, sample}) sqlite3_finalize(s);
    sqlite3_close(db);
    std::printf("history (sqlite): %lld reports, %lld samples, %lld campaigns, generated in %.1f s, %.0f MB\n",
                static_cast<long long>(report_id), static_cast<long long>(report_id) * static_cast<long long>(series.size()),
                static_cast<long long>(campaign_id), std::chrono::duration<double>(Clock::now() - t0).count(),
                static_cast<double>(std::filesystem::file_size(path)) / 1e6);
}

// ---- PostgreSQL: COPY --------------------------------------------------------------------------------

void pg_check(PGconn* c, PGresult* r, const char* what) {
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_COPY_IN) {
        std::fprintf(stderr, "bench: %s: %s\n", what, PQerrorMessage(c));
        std::exit(2);
    }
}

std::vector<std::string> pg_column(PGconn* c, const char* sql) {
    PGresult* r = PQexec(c, sql);
    pg_check(c, r, sql);
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(r); ++i) out.emplace_back(PQgetvalue(r, i, 0));
    PQclear(r);
    return out;
}

void pg_exec(PGconn* c, const std::string& sql) {
    PGresult* r = PQexec(c, sql.c_str());
    pg_check(c, r, sql.c_str());
    PQclear(r);
}

// COPY table FROM STDIN (text format), fed in 1 MB chunks.
class Copy {
public:
    Copy(PGconn* c, const std::string& table_and_columns) : c_(c) {
        PGresult* r = PQexec(c, ("COPY " + table_and_columns + " FROM STDIN").c_str());
        pg_check(c, r, "COPY");
        PQclear(r);
    }
    template <typename... Fields>
    void row(const Fields&... fields) {
        bool first = true;
        ((buf_ += (first ? "" : "\t"), buf_ += to_text(fields), first = false), ...);
        buf_ += '\n';
        if (buf_.size() > (1u << 20)) flush();
    }
    void finish() {
        flush();
        if (PQputCopyEnd(c_, nullptr) != 1) pg_check(c_, nullptr, "COPY end");
        PGresult* r = PQgetResult(c_);
        pg_check(c_, r, "COPY result");
        PQclear(r);
    }

private:
    static std::string to_text(const std::string& v) { return v; }  // generated names need no escaping
    static std::string to_text(const char* v) { return v; }
    template <typename T>
    static std::string to_text(T v) { return std::to_string(v); }
    void flush() {
        if (!buf_.empty() && PQputCopyData(c_, buf_.data(), static_cast<int>(buf_.size())) != 1) {
            std::fprintf(stderr, "bench: COPY: %s\n", PQerrorMessage(c_));
            std::exit(2);
        }
        buf_.clear();
    }
    PGconn* c_;
    std::string buf_;
};

void generate_postgresql(const Options& o, const std::string& url) {
    {
        auto store = bp::controller::PostgresControllerStore::open(url);
        if (!store) {
            std::fprintf(stderr, "bench: %s\n", store.error().describe().c_str());
            std::exit(2);
        }
    }
    PGconn* c = PQconnectdb(url.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
        std::fprintf(stderr, "bench: %s\n", PQerrorMessage(c));
        std::exit(2);
    }
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
    const auto t0 = Clock::now();
    // replica role: the generated rows are consistent by construction, so the per-row foreign key
    // triggers are skipped during the load (the test server's user is a superuser).
    pg_exec(c, "SET maintenance_work_mem = '1GB'; SET synchronous_commit = off; SET session_replication_role = replica");
    // The samples indexes are built after the load (much faster than maintaining them row by row),
    // from their own definitions in the migrated schema.
    const auto pk = pg_column(c, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'samples'::regclass"
                                 " AND contype = 'p'");
    const auto indexes = pg_column(c, "SELECT indexdef FROM pg_indexes WHERE tablename = 'samples'"
                                      " AND indexname <> 'samples_pkey'");
    pg_exec(c, "ALTER TABLE samples DROP CONSTRAINT samples_pkey");
    for (const auto& name : pg_column(c, "SELECT indexname FROM pg_indexes WHERE tablename = 'samples'")) {
        pg_exec(c, "DROP INDEX " + name);
    }
    {
        Copy agents(c, "agents (id, machine, machine_group, enrolled_at, last_seen_at)");
        for (int m = 1; m <= o.machines; ++m) agents.row(m, machine_name(m), "lab", kStart, kStart);
        agents.finish();
    }
    const int builds = (o.days + 6) / 7;
    {
        Copy b(c, "builds (id, name)");
        for (int i = 1; i <= builds; ++i) b.row(i, "26100." + std::to_string(i));
        b.finish();
    }
    const auto series = series_names(o.series);
    {
        Copy ser(c, "series (id, kind, key, metric)");
        for (std::size_t i = 0; i < series.size(); ++i) ser.row(i + 1, series[i].kind, series[i].key, series[i].metric);
        ser.finish();
    }
    std::int64_t campaign_id = 0, report_id = 0;
    {
        // Campaigns, reports and samples in three passes over the same deterministic loop.
        Copy camp(c, "campaigns (id, agent_id, name, build_id, template, first_time)");
        for (int day = 0; day < o.days; ++day) {
            for (int m = 1; m <= o.machines; ++m) {
                const std::int64_t night = kStart + static_cast<std::int64_t>(day) * 86400;
                camp.row(++campaign_id, m, "nightly@" + std::to_string(night), day / 7 + 1, "nightly", night);
            }
        }
        camp.finish();
    }
    std::fprintf(stderr, "  campaigns loaded (%.0f s)\n", std::chrono::duration<double>(Clock::now() - t0).count());
    {
        Copy rep(c, "reports (id, idempotency_key, body_sha256, agent_id, campaign_id, build_id, iteration,"
                    " schema_version, time, received_at, body)");
        std::int64_t cid = 0;
        for (int day = 0; day < o.days; ++day) {
            for (int m = 1; m <= o.machines; ++m) {
                const std::int64_t night = kStart + static_cast<std::int64_t>(day) * 86400;
                ++cid;
                for (int it = 0; it < o.iterations; ++it) {
                    const std::int64_t t = night + it * 600;
                    rep.row(++report_id, std::to_string(m) + "/nightly@" + std::to_string(night) + "/" + std::to_string(it),
                            "", m, cid, day / 7 + 1, it, 1, t, t, "{}");
                }
            }
        }
        rep.finish();
    }
    std::fprintf(stderr, "  reports loaded (%.0f s)\n", std::chrono::duration<double>(Clock::now() - t0).count());
    {
        Copy sample(c, "samples (series_id, agent_id, time, report_id, campaign_id, build_id, value)");
        for_each_sample(o, series.size(), [&](std::int64_t series_id, int m, std::int64_t t, std::int64_t rid,
                                              std::int64_t cid, int b, std::int64_t value) {
            sample.row(series_id, m, t, rid, cid, b, value);
        });
        sample.finish();
    }
    std::fprintf(stderr, "  samples loaded (%.0f s)\n", std::chrono::duration<double>(Clock::now() - t0).count());
    pg_exec(c, "ALTER TABLE samples ADD CONSTRAINT samples_pkey " + pk.at(0));
    for (const auto& def : indexes) pg_exec(c, def);
    for (const char* table : {"agents", "builds", "series", "campaigns", "reports"}) {
        pg_exec(c, std::string("SELECT setval(pg_get_serial_sequence('") + table + "', 'id'), (SELECT max(id) FROM " +
                       table + "))");
    }
    std::fprintf(stderr, "  indexes built (%.0f s)\n", std::chrono::duration<double>(Clock::now() - t0).count());
    pg_exec(c, "SET session_replication_role = DEFAULT");
    pg_exec(c, "VACUUM ANALYZE");  // statistics, and the visibility map that index-only scans need
    const auto size = pg_column(c, "SELECT pg_database_size(current_database())");
    PQfinish(c);
    std::printf("history (postgresql): %lld reports, %lld samples, %lld campaigns, generated in %.1f s, %.0f MB\n",
                static_cast<long long>(report_id), static_cast<long long>(report_id) * static_cast<long long>(series.size()),
                static_cast<long long>(campaign_id), std::chrono::duration<double>(Clock::now() - t0).count(),
                std::stod(size.at(0)) / 1e6);
}

// A realistic upload: 40 pool rows, 15 drivers (~6 KB; the history samples it yields are counted below).
std::string upload_body(const std::string& key, const std::string& machine, int n) {
    json pool = json::array();
    for (int t = 0; t < 40; ++t) {
        char tag[8];
        std::snprintf(tag, sizeof tag, "T%03d", t);
        pool.push_back({{"tag", tag}, {"module", "drv" + std::to_string(t) + ".sys"}, {"paged", t % 2 == 0},
                        {"type", "AOFI"}, {"count", 10 + t}, {"size", 4096 * (t + 1)}, {"impacting_size", 2048 * (t + 1) + n}});
    }
    json drivers = json::array();
    for (int d = 0; d < 15; ++d) drivers.push_back({{"name", "drv" + std::to_string(d) + ".sys"}, {"active_bytes", 65536 * (d + 1)}});
    json doc = {{"schema", "bootprint.report"}, {"schema_version", 1}, {"idempotency_key", key},
                {"agent", {{"machine", machine}}}, {"campaign", {{"id", "bench@" + machine}, {"build", "26100.999"}}},
                {"iteration", n}, {"trace", {{"sha256", std::string(64, 'a')}, {"bytes", 1}, {"events", 1}, {"start_time", 0}}},
                {"pool", pool}, {"drivers", drivers}};
    return doc.dump();
}

// CPU seconds (user + system) a process has used so far, from /proc.
double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(stat.substr(close + 2));
    std::string skip;
    for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt (fields 3-13)
    double utime = 0, stime = 0;
    fields >> utime >> stime;
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(std::min<double>(static_cast<double>(v.size() - 1), p * static_cast<double>(v.size())));
    return v[i];
}

// One measurement: `instances` services on one store, uploads then queries.
int measure(const Options& o, const std::string& store_name, const std::string& db, int instances,
            const std::filesystem::path& dir) {
    std::vector<std::unique_ptr<bp::test::BackgroundProcess>> services;
    std::vector<std::string> urls;
    for (int i = 0; i < instances; ++i) {
        const std::string port_file = (dir / ("port-" + std::to_string(i))).string();
        std::filesystem::remove(port_file);
        services.push_back(std::make_unique<bp::test::BackgroundProcess>(
            std::vector<std::string>{BOOTPRINT_SERVICE, "--db", db, "--port", "0", "--port-file", port_file,
                                     "--enrol-secret", "bench", "--admin-token", "admin", "--threads",
                                     std::to_string(o.threads), "--synchronous", o.synchronous, "--log-level", "warn"},
            (dir / ("service-" + std::to_string(i) + ".log")).string()));
        const int port = bp::test::wait_for_port_file(port_file, std::chrono::seconds(60));
        if (port == 0) {
            std::fprintf(stderr, "bench: the service did not start (see %s)\n", (dir / "service-0.log").c_str());
            return 1;
        }
        urls.push_back("http://127.0.0.1:" + std::to_string(port));
    }
    std::printf("\n== %s, %d instance%s (%d I/O threads each) ==\n", store_name.c_str(), instances,
                instances == 1 ? "" : "s", o.threads);

    // ---- uploads: agent a talks to instance a % instances ----------------------------------------
    std::atomic<int> errors{0};
    std::vector<std::vector<std::string>> bodies(static_cast<std::size_t>(o.agents));
    std::vector<std::vector<std::string>> keys(static_cast<std::size_t>(o.agents));
    for (int a = 0; a < o.agents; ++a) {
        for (int n = a; n < o.uploads; n += o.agents) {
            const std::string machine = "bench-" + std::to_string(a);
            const std::string key = machine + "/upload/" + std::to_string(n) + "/" + std::to_string(::getpid()) + "/" +
                                    std::to_string(instances);
            keys[static_cast<std::size_t>(a)].push_back(key);
            bodies[static_cast<std::size_t>(a)].push_back(upload_body(key, machine, n));
        }
    }
    double cpu0 = 0;
    for (const auto& s : services) cpu0 += cpu_seconds(s->pid());
    const auto u0 = Clock::now();
    std::vector<std::thread> agents;
    for (int a = 0; a < o.agents; ++a) {
        agents.emplace_back([&, a] {
            bp::report::ClientOptions co;
            co.url = urls[static_cast<std::size_t>(a % instances)];
            co.enrol_secret = "bench";
            co.machine = "bench-" + std::to_string(a);
            bp::report::ControllerClient client(co);
            const auto& k = keys[static_cast<std::size_t>(a)];
            for (std::size_t i = 0; i < k.size(); ++i) {
                auto r = client.upload(k[i], bodies[static_cast<std::size_t>(a)][i]);
                if (!r || *r != bp::report::UploadOutcome::stored) ++errors;
            }
        });
    }
    for (auto& t : agents) t.join();
    const double upload_s = std::chrono::duration<double>(Clock::now() - u0).count();
    double cpu = -cpu0;
    for (const auto& s : services) cpu += cpu_seconds(s->pid());
    std::size_t samples_each = 0;
    if (auto facts = bp::controller::report_facts(json::parse(bodies[0][0]), bodies[0][0])) {
        samples_each = facts->samples.size();
    }
    std::printf("uploads: %d in %.2f s = %.0f uploads/s (%d errors; %.1f KB, %zu samples each, %d agents)\n", o.uploads,
                upload_s, o.uploads / upload_s, errors.load(), static_cast<double>(bodies[0][0].size()) / 1024.0,
                samples_each, o.agents);
    std::printf("uploads: the service%s used %.2f CPU s = %.2f ms CPU per upload (database server not counted)\n",
                instances == 1 ? "" : "s", cpu, 1000.0 * cpu / o.uploads);

    // ---- queries: reader r asks instance r % instances -------------------------------------------
    auto day = [&](int d) { return std::to_string(kStart - 7200 + static_cast<std::int64_t>(d) * 86400); };
    struct Kind {
        const char* name;
        std::function<std::string(std::mt19937&)> target;
        std::vector<double> ms;
        std::size_t bytes = 0;
    };
    auto machine = [&](std::mt19937& rng) {
        return machine_name(static_cast<int>(rng() % static_cast<unsigned>(o.machines)) + 1);
    };
    const unsigned weeks = static_cast<unsigned>((o.days + 6) / 7);
    std::vector<Kind> kinds;
    auto add = [&kinds](const char* name, std::function<std::string(std::mt19937&)> target) {
        Kind k;
        k.name = name;
        k.target = std::move(target);
        kinds.push_back(std::move(k));
    };
    add("tag x machine, 1 year", [&](std::mt19937& rng) {
        return "/v1/history/series?kind=tag&key=Ntfx&machine=" + machine(rng);
    });
    add("driver x machine x 30 days", [&](std::mt19937& rng) {
        const int d = static_cast<int>(rng() % static_cast<unsigned>(std::max(1, o.days - 30)));
        return "/v1/history/series?kind=driver&key=ACPI.sys&machine=" + machine(rng) + "&from=" + day(d) + "&to=" +
               day(d + 30);
    });
    add("tag, all machines, 1 night", [&](std::mt19937& rng) {
        const int d = static_cast<int>(rng() % static_cast<unsigned>(o.days));
        return "/v1/history/series?kind=tag&key=MmSt&from=" + day(d) + "&to=" + day(d + 1);
    });
    add("tag x build x machine", [&](std::mt19937& rng) {
        const unsigned b = rng() % weeks + 1;
        return "/v1/history/series?kind=tag&key=Irp%20&build=26100." + std::to_string(b) + "&machine=" + machine(rng);
    });
    add("tag x build, all machines (newest 1000)", [&](std::mt19937& rng) {
        const unsigned b = rng() % weeks + 1;
        return "/v1/history/series?kind=tag&key=Ntfx&limit=1000&build=26100." + std::to_string(b);
    });
    add("reports x machine x 7 days", [&](std::mt19937& rng) {
        const int d = static_cast<int>(rng() % static_cast<unsigned>(std::max(1, o.days - 7)));
        return "/v1/history/reports?machine=" + machine(rng) + "&from=" + day(d) + "&to=" + day(d + 7);
    });
    std::mutex results_mutex;
    std::vector<double> all;
    const auto q0 = Clock::now();
    std::vector<std::thread> readers;
    for (int r = 0; r < o.readers; ++r) {
        readers.emplace_back([&, r] {
            bp::report::ClientOptions qo;
            qo.url = urls[static_cast<std::size_t>(r % instances)];
            qo.timeout = std::chrono::seconds(120);
            bp::report::ControllerClient reader(qo, bp::report::Credentials{0, "admin"});
            std::mt19937 rng(11 + static_cast<unsigned>(r));
            for (int q = r; q < o.queries; q += o.readers) {
                for (std::size_t k = 0; k < kinds.size(); ++k) {
                    const std::string target = kinds[k].target(rng);
                    const auto t0 = Clock::now();
                    auto resp = reader.request("GET", target);
                    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
                    std::lock_guard lock(results_mutex);
                    if (!resp || resp->status != 200) {
                        std::fprintf(stderr, "query failed: %s\n", target.c_str());
                        ++errors;
                        continue;
                    }
                    kinds[k].ms.push_back(ms);
                    kinds[k].bytes += resp->body.size();
                    all.push_back(ms);
                }
            }
        });
    }
    for (auto& t : readers) t.join();
    const double query_s = std::chrono::duration<double>(Clock::now() - q0).count();
    std::printf("queries: %d of each kind from %d concurrent readers, %.0f queries/s overall:\n", o.queries, o.readers,
                static_cast<double>(all.size()) / query_s);
    for (const auto& k : kinds) {
        std::printf("  %-42s p50 %8.2f ms  p95 %8.2f ms  (%.0f KB per answer)\n", k.name, percentile(k.ms, 0.5),
                    percentile(k.ms, 0.95), static_cast<double>(k.bytes) / 1024.0 / std::max<std::size_t>(1, k.ms.size()));
    }
    std::printf("  %-42s p50 %8.2f ms  p95 %8.2f ms\n", "all queries", percentile(all, 0.5), percentile(all, 0.95));
    std::fflush(stdout);
    for (auto& s : services) s->kill(SIGTERM);
    return errors.load() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const std::string v = argv[i + 1];
        if (a == "--machines") o.machines = std::stoi(v);
        else if (a == "--series") o.series = std::stoi(v);
        else if (a == "--days") o.days = std::stoi(v);
        else if (a == "--iterations") o.iterations = std::stoi(v);
        else if (a == "--uploads") o.uploads = std::stoi(v);
        else if (a == "--agents") o.agents = std::stoi(v);
        else if (a == "--queries") o.queries = std::stoi(v);
        else if (a == "--readers") o.readers = std::stoi(v);
        else if (a == "--threads") o.threads = std::stoi(v);
        else if (a == "--store") o.store = v;
        else if (a == "--db") o.db = v;
        else if (a == "--synchronous") o.synchronous = v;
        else if (a == "--instances") {
            o.instances.clear();
            std::stringstream list(v);
            for (std::string n; std::getline(list, n, ',');) o.instances.push_back(std::stoi(n));
        } else {
            std::fprintf(stderr, "bench_controller: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    if (o.store != "sqlite" && o.store != "postgresql" && o.store != "both") {
        std::fprintf(stderr, "bench_controller: --store sqlite|postgresql|both\n");
        return 2;
    }
    const auto dir = std::filesystem::temp_directory_path() / ("bench-controller-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::printf("bench_controller: history of %d machines x %d days x %d iterations x %zu series; %d uploads from %d"
                " agents, %d queries of each kind, synchronous=%s\n",
                o.machines, o.days, o.iterations, series_names(o.series).size(), o.uploads, o.agents, o.queries,
                o.synchronous.c_str());
    std::fflush(stdout);
    int rc = 0;
    if (o.store != "postgresql") {
        const std::string db = o.db.empty() ? (dir / "controller.db").string() : o.db;
        if (!std::filesystem::exists(db)) {
            generate_sqlite(o, db);
        } else {
            std::printf("history (sqlite): reusing %s\n", db.c_str());
        }
        for (int n : o.instances) rc |= measure(o, "sqlite", "sqlite:" + db, n, dir);
    }
    if (o.store != "sqlite") {
        bp::test::PostgresServer::Options po;
        po.durable = true;  // fsync on: figures a real server would give
        po.shared_buffers = "1GB";
        std::string error;
        auto server = bp::test::PostgresServer::start(po, error);
        if (!server) {
            std::fprintf(stderr, "bench: %s\n", error.c_str());
            return 1;
        }
        const std::string url = server->url();
        generate_postgresql(o, url);
        for (int n : o.instances) rc |= measure(o, "postgresql", url, n, dir);
    }
    std::filesystem::remove_all(dir);
    return rc;
}
