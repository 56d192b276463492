// The lab end to end with real processes: bootprint-service on 127.0.0.1, two simulated lab machines
// connected with `bootprint-agent connect`, a template due now; `sim-lab run` takes each machine's job,
// runs its boots and delivers every report through the outbox exactly once.
#ifdef BOOTPRINT_SERVICE
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bootprint/report/controller_client.hpp"
#include "bootprint/report/outbox.hpp"
#include "campaign_sim_lab.hpp"
#include "support/controller_support.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

namespace {

using nlohmann::json;
using bp::test::ProcessResult;

constexpr const char* kSecret = "lab-secret";
constexpr const char* kAdmin = "admin-token";

json admin_call(const std::string& url, const char* method, const std::string& target, const json& body,
                int expected) {
    bp::report::ClientOptions o;
    o.url = url;
    bp::report::ControllerClient client(o, bp::report::Credentials{0, kAdmin});
    auto r = client.request(method, target, body.is_null() ? std::string() : body.dump());
    REQUIRE(r);
    INFO(method << " " << target << " → " << r->status << " " << r->body);
    REQUIRE(r->status == expected);
    return json::parse(r->body);
}

ProcessResult agent(const std::string& machine, std::vector<std::string> args) {
    args.insert(args.begin(), {bp::test::lab::agent_program(), "--machine", machine});
    return bp::test::run_process(args);
}

}  // namespace

TEST_CASE("lab: connected agents take their jobs and upload each report exactly once", "[lab][controller]") {
    bp::test::TempDir dir;
    const std::string port_file = dir.file("port");
    bp::test::TestStore store(dir.path().string());  // SQLite, or PostgreSQL in the PostgreSQL pass
    bp::test::BackgroundProcess service(
        {BOOTPRINT_SERVICE, "--db", store.location(), "--listen", "127.0.0.1", "--port", "0",
         "--port-file", port_file, "--enrol-secret", kSecret, "--admin-token", kAdmin, "--log-level", "warn"},
        dir.file("service.log"));
    REQUIRE(service.started());
    const int port = bp::test::wait_for_port_file(port_file);
    REQUIRE(port > 0);
    const std::string url = "http://127.0.0.1:" + std::to_string(port);

    constexpr int kIterations = 2;
    admin_call(url, "POST", "/v1/admin/templates",
               {{"name", "nightly"},
                {"spec",
                 {{"tags", {"AcpM", "Cnto"}},
                  {"iterations", kIterations},
                  {"resident_set", true},
                  {"labels", {{"build", "26100.1"}}}}}},
               201);
    // Due now: the newest daily slot is today's, and not_before lies in the past.
    admin_call(url, "POST", "/v1/admin/assignments",
               {{"template", "nightly"}, {"group", "lab"}, {"schedule", "daily 00:00"}, {"not_before", "2020-01-01"}},
               201);

    std::ofstream(dir.file("small.json")) << bp::test::lab::small_scenario();
    const std::vector<std::string> names = {"lab-01", "lab-02"};
    for (const std::string& name : names) {
        const std::string machine = dir.file(name);
        auto init = agent(machine, {"sim-lab", "init", "--name", name, "--scenario", dir.file("small.json"),
                                    "--busy-windows", "2", "--dpe", "0"});
        INFO(init.err);
        REQUIRE(init.exit_code == 0);
        auto connect = agent(machine, {"connect", "--server", url, "--enrol-secret", kSecret, "--group", "lab"});
        INFO(connect.out << connect.err);
        REQUIRE(connect.exit_code == 0);
    }
    for (const std::string& name : names) {
        auto run = agent(dir.file(name), {"sim-lab", "run", "--retry-backoff-ms", "1", "--max-boots", "40"});
        INFO(name << ": " << run.out << run.err);
        REQUIRE(run.exit_code == 0);
        const json status = json::parse(agent(dir.file(name), {"campaign", "status", "--json"}).out, nullptr, false);
        REQUIRE(status.is_object());
        CHECK(status["campaign"]["state"] == "done");
        CHECK(status["summary"]["results"] == kIterations);
    }

    const json stats = admin_call(url, "GET", "/v1/admin/stats", nullptr, 200);
    INFO(stats.dump());
    CHECK(stats["rows"]["reports"] == 2 * kIterations);
    const json reports = admin_call(url, "GET", "/v1/history/reports", nullptr, 200);
    REQUIRE(reports["reports"].size() == 2 * kIterations);
    for (const json& r : reports["reports"]) CHECK(r["build"] == "26100.1");

    // A second run: nothing due, nothing queued, nothing uploaded.
    for (const std::string& name : names) {
        auto run = agent(dir.file(name), {"sim-lab", "run", "--retry-backoff-ms", "1", "--max-boots", "40"});
        INFO(name << ": " << run.out << run.err);
        CHECK(run.exit_code == 0);
        auto outbox = bp::report::Outbox::open(dir.file(name) + "/agent.db");
        REQUIRE(outbox);
        auto pending = outbox->pending_count();
        REQUIRE(pending);
        CHECK(*pending == 0);
        auto delivered = outbox->items(std::string("delivered"));
        REQUIRE(delivered);
        CHECK(delivered->size() == static_cast<std::size_t>(kIterations));
    }
    CHECK(admin_call(url, "GET", "/v1/admin/stats", nullptr, 200)["rows"]["reports"] == 2 * kIterations);
    const json agents = admin_call(url, "GET", "/v1/admin/agents", nullptr, 200);
    CHECK(agents["agents"].size() == names.size());
    service.kill(SIGTERM);
}
#endif
