// Controller benchmark: a generated history of one year × 1,000 machines (nightly campaigns of 3
// iterations, a new build every week), then real HTTP on loopback against bootprint-service: uploads/s
// from concurrent agents (ControllerClient, one report per request) and the latency of history queries
// (p50/p95 as the client sees them, connection set-up included).
//
//   bench_controller [--machines 1000] [--days 365] [--iterations 3] [--uploads 2000] [--agents 8]
//                    [--queries 200] [--threads 2] [--db PATH (kept and reused)] [--synchronous FULL]
//
// The history is written with the SQLite C API into the controller's own schema (migrated by
// SqliteControllerStore::open), in large transactions: ~1.1 M reports through HTTP would take hours and
// measure nothing new. Everything measured goes through the service.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bootprint/controller/auth.hpp"
#include "bootprint/controller/sqlite_controller_store.hpp"
#include "bootprint/report/controller_client.hpp"
#include "support/controller_support.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Options {
    int machines = 1000;
    int days = 365;
    int iterations = 3;
    int uploads = 2000;
    int agents = 8;
    int queries = 200;
    int threads = 2;
    std::string db;
    std::string synchronous = "FULL";
};

constexpr std::int64_t kStart = 1704074400;  // 2024-01-01T02:00:00Z, the first night's traces
const char* const kTags[] = {"Ntfx", "Irp ", "MmSt", "FMfn", "Wdf ", "Vi54"};
const char* const kDrivers[] = {"ACPI.sys", "ntfs.sys", "tcpip.sys", "storport.sys"};

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
void generate(const Options& o, const std::string& path) {
    {
        auto store = bp::controller::SqliteControllerStore::open(path);
        if (!store) {
            std::fprintf(stderr, "bench: %s\n", store.error().describe().c_str());
            std::exit(2);
        }
    }
    sqlite3* db = nullptr;
    check(sqlite3_open(path.c_str(), &db), db, "open");
    check(sqlite3_exec(db, "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; BEGIN", nullptr, nullptr, nullptr),
          db, "begin");
    auto agent = prepare(db, "INSERT INTO agents (id, machine, machine_group, enrolled_at, last_seen_at)"
                             " VALUES (?1, ?2, 'lab', ?3, ?3)");
    for (int m = 1; m <= o.machines; ++m) {
        char name[32];
        std::snprintf(name, sizeof name, "lab-%04d", m);
        sqlite3_bind_int(agent, 1, m);
        sqlite3_bind_text(agent, 2, name, -1, SQLITE_TRANSIENT);
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
    std::vector<std::pair<std::string, std::string>> series;  // (kind/key, metric), id = index + 1
    for (const char* t : kTags) series.emplace_back(std::string("tag|") + t, "impacting_size");
    for (const char* d : kDrivers) series.emplace_back(std::string("driver|") + d, "active_bytes");
    series.emplace_back("total|pool", "impacting_size");
    series.emplace_back("total|drivers", "active_bytes");
    auto ser = prepare(db, "INSERT INTO series (id, kind, key, metric) VALUES (?1, ?2, ?3, ?4)");
    for (std::size_t i = 0; i < series.size(); ++i) {
        const auto bar = series[i].first.find('|');
        sqlite3_bind_int(ser, 1, static_cast<int>(i + 1));
        sqlite3_bind_text(ser, 2, series[i].first.substr(0, bar).c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ser, 3, series[i].first.substr(bar + 1).c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ser, 4, series[i].second.c_str(), -1, SQLITE_TRANSIENT);
        step(db, ser);
    }
    auto camp = prepare(db, "INSERT INTO campaigns (id, agent_id, name, build_id, template, first_time)"
                            " VALUES (?1, ?2, ?3, ?4, 'nightly', ?5)");
    auto rep = prepare(db, "INSERT INTO reports (id, idempotency_key, body_sha256, agent_id, campaign_id, build_id,"
                           " iteration, schema_version, time, received_at, body)"
                           " VALUES (?1, ?2, '', ?3, ?4, ?5, ?6, 1, ?7, ?7, '{}')");
    auto sample = prepare(db, "INSERT INTO samples (series_id, agent_id, time, report_id, campaign_id, build_id, value)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    std::mt19937_64 rng(7);
    std::normal_distribution<double> noise(0, 2000);
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
                for (std::size_t s = 0; s < series.size(); ++s) {
                    // Each series drifts by build, with per-iteration noise.
                    const double v = 100000.0 * static_cast<double>(s + 1) + 500.0 * b + noise(rng);
                    sqlite3_bind_int64(sample, 1, static_cast<std::int64_t>(s + 1));
                    sqlite3_bind_int(sample, 2, m);
                    sqlite3_bind_int64(sample, 3, t);
                    sqlite3_bind_int64(sample, 4, report_id);
                    sqlite3_bind_int64(sample, 5, campaign_id);
                    sqlite3_bind_int(sample, 6, b);
                    sqlite3_bind_int64(sample, 7, static_cast<std::int64_t>(v));
                    step(db, sample);
                }
            }
        }
        if (day % 30 == 29) {
            check(sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr), db, "commit");
            std::fprintf(stderr, "  generated %d/%d days (%.0f s)\n", day + 1, o.days,
                         std::chrono::duration<double>(Clock::now() - t0).count());
        }
    }
    check(sqlite3_exec(db, "COMMIT; ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);", nullptr, nullptr, nullptr), db, "end");
    for (auto* s : {agent, build, ser, camp, rep, sample}) sqlite3_finalize(s);
    sqlite3_close(db);
    std::printf("history: %lld reports, %lld samples, %lld campaigns, generated in %.1f s\n",
                static_cast<long long>(report_id), static_cast<long long>(report_id) * static_cast<long long>(series.size()),
                static_cast<long long>(campaign_id), std::chrono::duration<double>(Clock::now() - t0).count());
}

// A realistic upload: 40 pool rows, 15 drivers (~6 KB, 154 history samples).
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

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const std::string v = argv[i + 1];
        if (a == "--machines") o.machines = std::stoi(v);
        else if (a == "--days") o.days = std::stoi(v);
        else if (a == "--iterations") o.iterations = std::stoi(v);
        else if (a == "--uploads") o.uploads = std::stoi(v);
        else if (a == "--agents") o.agents = std::stoi(v);
        else if (a == "--queries") o.queries = std::stoi(v);
        else if (a == "--threads") o.threads = std::stoi(v);
        else if (a == "--db") o.db = v;
        else if (a == "--synchronous") o.synchronous = v;
        else {
            std::fprintf(stderr, "bench_controller: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    const auto dir = std::filesystem::temp_directory_path() / ("bench-controller-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string db = o.db.empty() ? (dir / "controller.db").string() : o.db;
    std::printf("bench_controller: %d machines x %d days x %d iterations, %d uploads from %d agents, %d service threads,"
                " synchronous=%s\n", o.machines, o.days, o.iterations, o.uploads, o.agents, o.threads, o.synchronous.c_str());
    if (!std::filesystem::exists(db)) {
        generate(o, db);
    } else {
        std::printf("history: reusing %s\n", db.c_str());
    }

    const std::string port_file = (dir / "port").string();
    bp::test::BackgroundProcess service({BOOTPRINT_SERVICE, "--database", db, "--port", "0", "--port-file", port_file,
                                         "--enrol-secret", "bench", "--admin-token", "admin", "--threads",
                                         std::to_string(o.threads), "--synchronous", o.synchronous, "--log-level",
                                         "warn"},
                                        (dir / "service.log").string());
    const int port = bp::test::wait_for_port_file(port_file, std::chrono::seconds(60));
    if (port == 0) {
        std::fprintf(stderr, "bench: the service did not start (see %s)\n", (dir / "service.log").c_str());
        return 1;
    }
    const std::string url = "http://127.0.0.1:" + std::to_string(port);

    // ---- uploads ----------------------------------------------------------------------------------
    std::atomic<int> next{0}, errors{0};
    std::vector<std::thread> agents;
    std::vector<std::vector<std::string>> bodies(static_cast<std::size_t>(o.agents));
    std::vector<std::vector<std::string>> keys(static_cast<std::size_t>(o.agents));
    for (int a = 0; a < o.agents; ++a) {
        for (int n = a; n < o.uploads; n += o.agents) {
            const std::string machine = "bench-" + std::to_string(a);
            const std::string key = machine + "/upload/" + std::to_string(n) + "/" + std::to_string(::getpid());
            keys[static_cast<std::size_t>(a)].push_back(key);
            bodies[static_cast<std::size_t>(a)].push_back(upload_body(key, machine, n));
        }
    }
    const double cpu0 = cpu_seconds(service.pid());
    const auto u0 = Clock::now();
    for (int a = 0; a < o.agents; ++a) {
        agents.emplace_back([&, a] {
            bp::report::ClientOptions co;
            co.url = url;
            co.enrol_secret = "bench";
            co.machine = "bench-" + std::to_string(a);
            bp::report::ControllerClient client(co);
            const auto& k = keys[static_cast<std::size_t>(a)];
            for (std::size_t i = 0; i < k.size(); ++i) {
                auto r = client.upload(k[i], bodies[static_cast<std::size_t>(a)][i]);
                if (!r || *r != bp::report::UploadOutcome::stored) ++errors;
                ++next;
            }
        });
    }
    for (auto& t : agents) t.join();
    const double upload_s = std::chrono::duration<double>(Clock::now() - u0).count();
    const double cpu = cpu_seconds(service.pid()) - cpu0;
    std::printf("uploads: %d in %.2f s = %.0f uploads/s (%d errors; ~6 KB, 154 samples each, enrolment included)\n",
                o.uploads, upload_s, o.uploads / upload_s, errors.load());
    std::printf("uploads: the service used %.2f CPU s = %.2f ms CPU per upload (%.0f uploads/s per busy core)\n", cpu,
                1000.0 * cpu / o.uploads, cpu > 0 ? o.uploads / cpu : 0.0);

    // ---- queries ----------------------------------------------------------------------------------
    bp::report::ClientOptions qo;
    qo.url = url;
    bp::report::ControllerClient reader(qo, bp::report::Credentials{0, "admin"});
    std::mt19937 rng(11);
    auto machine = [&] {
        char name[32];
        std::snprintf(name, sizeof name, "lab-%04d", static_cast<int>(rng() % static_cast<unsigned>(o.machines)) + 1);
        return std::string(name);
    };
    auto day = [&](int d) { return std::to_string(kStart - 7200 + static_cast<std::int64_t>(d) * 86400); };
    struct Kind {
        const char* name;
        std::function<std::string()> target;
        std::vector<double> ms;
        std::size_t bytes = 0;
    };
    std::vector<Kind> kinds;
    auto add = [&kinds](const char* name, std::function<std::string()> target) {
        Kind k;
        k.name = name;
        k.target = std::move(target);
        kinds.push_back(std::move(k));
    };
    add("tag x machine, 1 year (365 campaigns)", [&] {
                         return "/v1/history/series?kind=tag&key=Ntfx&machine=" + machine();
                     });
    add("driver x machine x 30 days", [&] {
                         const int d = static_cast<int>(rng() % static_cast<unsigned>(std::max(1, o.days - 30)));
                         return "/v1/history/series?kind=driver&key=ACPI.sys&machine=" + machine() + "&from=" + day(d) +
                                "&to=" + day(d + 30);
                     });
    add("tag, all machines, 1 night (1000 campaigns)", [&] {
                         const int d = static_cast<int>(rng() % static_cast<unsigned>(o.days));
                         return "/v1/history/series?kind=tag&key=MmSt&from=" + day(d) + "&to=" + day(d + 1);
                     });
    add("tag x build x machine", [&] {
                         const int b = static_cast<int>(rng() % static_cast<unsigned>((o.days + 6) / 7)) + 1;
                         return "/v1/history/series?kind=tag&key=Irp%20&build=26100." + std::to_string(b) +
                                "&machine=" + machine();
                     });
    add("tag x build, all machines (7000 campaigns)", [&] {
                         const int b = static_cast<int>(rng() % static_cast<unsigned>((o.days + 6) / 7)) + 1;
                         return "/v1/history/series?kind=tag&key=Ntfx&build=26100." + std::to_string(b);
                     });
    add("reports x machine x 7 days", [&] {
                         const int d = static_cast<int>(rng() % static_cast<unsigned>(std::max(1, o.days - 7)));
                         return "/v1/history/reports?machine=" + machine() + "&from=" + day(d) + "&to=" + day(d + 7);
                     });
    std::vector<double> all;
    for (int q = 0; q < o.queries; ++q) {
        for (auto& k : kinds) {
            const std::string target = k.target();
            const auto t0 = Clock::now();
            auto r = reader.request("GET", target);
            const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
            if (!r || r->status != 200) {
                std::fprintf(stderr, "query failed: %s\n", target.c_str());
                ++errors;
                continue;
            }
            k.ms.push_back(ms);
            k.bytes += r->body.size();
            all.push_back(ms);
        }
    }
    std::printf("queries (%d of each kind, sequential):\n", o.queries);
    for (const auto& k : kinds) {
        std::printf("  %-46s p50 %7.2f ms  p95 %7.2f ms  (%.0f KB per answer)\n", k.name, percentile(k.ms, 0.5),
                    percentile(k.ms, 0.95), static_cast<double>(k.bytes) / 1024.0 / std::max<std::size_t>(1, k.ms.size()));
    }
    std::printf("  %-46s p50 %7.2f ms  p95 %7.2f ms\n", "all queries", percentile(all, 0.5), percentile(all, 0.95));
    service.kill(SIGTERM);
    if (o.db.empty()) std::filesystem::remove_all(dir);
    return errors.load() == 0 ? 0 : 1;
}
