// Several controller instances on one database (issue #9): two bootprint-service processes share one
// store — a PostgreSQL database in the PostgreSQL pass, one SQLite file otherwise — and three simulated
// agents alternate between them request by request. Exactly-once must come from the database, since the
// instances share no memory: every iteration is stored once (even when uploaded to both instances at the
// same moment), and each scheduled job exists once per machine whichever instance hands it out.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "bootprint/report/controller_client.hpp"
#include "bootprint/report/outbox.hpp"
#include "support/controller_support.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

using bp::report::ClientOptions;
using bp::report::ControllerClient;
using bp::report::Credentials;
using bp::report::UploadOutcome;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* kSecret = "lab-secret";
constexpr const char* kAdmin = "admin-token";

struct Instance {
    std::unique_ptr<bp::test::BackgroundProcess> process;
    std::string url;
};

Instance start_instance(bp::test::TempDir& dir, const std::string& db, const std::string& name) {
    const std::string port_file = dir.file(name + ".port");
    Instance i;
    i.process = std::make_unique<bp::test::BackgroundProcess>(
        std::vector<std::string>{BOOTPRINT_SERVICE, "--db", db, "--port", "0", "--port-file", port_file,
                                 "--enrol-secret", kSecret, "--admin-token", kAdmin, "--threads", "2",
                                 "--log-level", "warn"},
        dir.file(name + ".log"));
    REQUIRE(i.process->started());
    const int port = bp::test::wait_for_port_file(port_file);
    REQUIRE(port > 0);
    i.url = "http://127.0.0.1:" + std::to_string(port);
    return i;
}

ClientOptions agent_options(const std::string& url, const std::string& machine) {
    ClientOptions o;
    o.url = url;
    o.enrol_secret = kSecret;
    o.machine = machine;
    o.group = "lab";
    o.agent_version = "0.1.0";
    o.os_build = "26100";
    o.timeout = 10s;
    return o;
}

json admin_get(const std::string& url, const std::string& target) {
    ClientOptions o;
    o.url = url;
    ControllerClient admin(o, Credentials{0, kAdmin});
    auto r = admin.request("GET", target);
    REQUIRE(r);
    INFO(target << " → " << r->status << " " << r->body);
    REQUIRE(r->status == 200);
    return json::parse(r->body);
}

void admin_post(const std::string& url, const std::string& target, const json& body) {
    ClientOptions o;
    o.url = url;
    ControllerClient admin(o, Credentials{0, kAdmin});
    auto r = admin.request("POST", target, body.dump());
    REQUIRE(r);
    INFO(target << " → " << r->status << " " << r->body);
    REQUIRE(r->status == 201);
}

}  // namespace

TEST_CASE("two controller instances on one database: agents alternate, every iteration arrives once, "
          "each scheduled job runs once per machine", "[controller][instances]") {
    bp::test::TempDir dir;
    bp::test::TestStore store(dir.path().string());
    INFO("store: " << store.location());
    Instance a = start_instance(dir, store.location(), "a");
    Instance b = start_instance(dir, store.location(), "b");
    const std::string urls[2] = {a.url, b.url};

    // The schedule is set up through one instance and handed out by both.
    constexpr int kIterations = 4;
    admin_post(a.url, "/v1/admin/templates",
               {{"name", "nightly"}, {"spec", {{"tags", {"Ntfx", "Irp"}}, {"iterations", kIterations}}}});
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    admin_post(b.url, "/v1/admin/assignments",
               {{"template", "nightly"}, {"group", "lab"}, {"schedule", "nightly at 01:00"},
                {"not_before", now - 2 * 86400}});

    std::atomic<int> failures{0}, stored{0}, duplicates{0};
    std::mutex problems_mutex;
    std::vector<std::string> problems;  // Catch's macros are not for worker threads: collect, report below
    auto fail = [&](const char* what, const std::string& machine) {
        ++failures;
        std::lock_guard lock(problems_mutex);
        problems.push_back(machine + ": " + what);
    };
    auto agent = [&](int k) {
        const std::string machine = "lab-0" + std::to_string(k);
        // One client per instance, one identity: enrol through instance k % 2, reuse the token on the other.
        ControllerClient first(agent_options(urls[k % 2], machine));
        if (!first.heartbeat({"idle"}) || !first.credentials()) return fail("enrol", machine);
        ControllerClient second(agent_options(urls[(k + 1) % 2], machine), first.credentials());
        ControllerClient* clients[2] = {&first, &second};

        // Both instances are asked for jobs, at the same moment, twice: one job exists and both hand out
        // that same one.
        std::vector<std::int64_t> seen[2];
        for (int round = 0; round < 2; ++round) {
            std::thread other([&] {
                auto jobs = clients[1]->poll_jobs();
                if (jobs) {
                    for (const auto& j : *jobs) seen[1].push_back(j.id);
                }
            });
            auto jobs = clients[0]->poll_jobs();
            other.join();
            if (!jobs) return fail("poll", machine);
            for (const auto& j : *jobs) seen[0].push_back(j.id);
        }
        if (seen[0].size() != 2 || seen[1].size() != 2) return fail("each poll sees one job", machine);
        const std::int64_t job = seen[0][0];
        for (auto id : {seen[0][1], seen[1][0], seen[1][1]}) {
            if (id != job) return fail("both instances hand out the same job", machine);
        }
        if (!clients[1]->set_job_state(job, "running")) return fail("running", machine);

        auto campaign = "nightly@" + std::to_string(job);
        for (int i = 0; i < kIterations; ++i) {
            auto r = bp::test::make_report(std::to_string(first.credentials()->agent_id), machine, campaign, "26100.7",
                                           i, 100000 * k);
            // The same iteration to both instances at once (a retry that overtook its original): the
            // database keeps one.
            std::optional<bp::Result<UploadOutcome>> racing;
            std::thread other([&] { racing = clients[(i + 1) % 2]->upload(r.key, r.body); });
            auto mine = clients[i % 2]->upload(r.key, r.body);
            other.join();
            if (!mine || !*racing) return fail("upload", machine);
            for (UploadOutcome o : {*mine, **racing}) {
                if (o == UploadOutcome::stored) ++stored;
                else if (o == UploadOutcome::duplicate) ++duplicates;
                else fail("unexpected upload outcome", machine);
            }
        }
        if (!clients[0]->set_job_state(job, "done")) return fail("done", machine);
        for (ControllerClient* c : clients) {
            auto after = c->poll_jobs();
            if (!after || !after->empty()) return fail("no job after done", machine);
        }
    };
    std::vector<std::thread> agents;
    for (int k = 1; k <= 3; ++k) agents.emplace_back(agent, k);
    for (auto& t : agents) t.join();
    for (const auto& p : problems) UNSCOPED_INFO(p);
    CHECK(failures == 0);
    CHECK(stored == 3 * kIterations);
    CHECK(duplicates == 3 * kIterations);

    // Both instances read the same history: one report per iteration, one job per machine.
    for (const std::string& url : urls) {
        const json stats = admin_get(url, "/v1/admin/stats");
        CHECK(stats["rows"]["reports"] == 3 * kIterations);
        CHECK(stats["rows"]["samples"] == 3 * kIterations * 16);
        CHECK(stats["rows"]["jobs"] == 3);
        CHECK(stats["rows"]["agents"] == 3);
        for (int k = 1; k <= 3; ++k) {
            const json one = admin_get(url, "/v1/history/series?kind=tag&key=Ntfx&machine=lab-0" + std::to_string(k));
            REQUIRE(one["points"].size() == 1);
            CHECK(one["points"][0]["n"] == kIterations);
            CHECK(one["points"][0]["min"] == 100000.0 * k);
            CHECK(one["points"][0]["max"] == 100000.0 * k + 1000 * (kIterations - 1));
        }
    }
    a.process->kill(SIGTERM);
    b.process->kill(SIGTERM);
}

TEST_CASE("bootprint-service --db: a location of neither form, or two locations, is a usage error (exit 2)",
          "[controller]") {
    auto bad = bp::test::run_process({BOOTPRINT_SERVICE, "--db", "mysql://db/x", "--port", "0"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("expected sqlite:PATH or postgresql://") != std::string::npos);
    bp::test::TempDir dir;
    auto both = bp::test::run_process(
        {BOOTPRINT_SERVICE, "--db", "sqlite:" + dir.file("a.db"), "--database", dir.file("b.db"), "--port", "0"});
    CHECK(both.exit_code == 2);
    auto unreachable = bp::test::run_process(
        {BOOTPRINT_SERVICE, "--db", "postgresql://bp:secret@127.0.0.1:1/x?connect_timeout=2", "--port", "0"});
    CHECK(unreachable.exit_code == 2);
    CHECK(unreachable.err.find("cannot connect") != std::string::npos);
    CHECK(unreachable.err.find("secret") == std::string::npos);
}
