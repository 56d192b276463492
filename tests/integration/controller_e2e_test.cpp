// The controller as a real process on 127.0.0.1 and lab agents as threads using the agent's client
// library (ControllerClient + Outbox): a nightly template end to end, SIGKILL during uploads, an agent
// kept offline, bad input over real HTTP, HTTPS, and a graceful stop. On either store: ctest runs the
// [controller] tests again with BOOTPRINT_TEST_POSTGRES.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "bootprint/report/controller_client.hpp"
#include "bootprint/report/outbox.hpp"
#include "support/controller_support.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

using bp::report::ClientOptions;
using bp::report::ControllerClient;
using bp::report::Credentials;
using bp::report::Outbox;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* kSecret = "lab-secret";
constexpr const char* kAdmin = "admin-token";

class Controller {
public:
    explicit Controller(bp::test::TempDir& dir, std::vector<std::string> extra = {})
        : dir_(dir), store_(dir.path().string()), extra_(std::move(extra)) {}

    void start(int port = 0) {
        const std::string port_file = dir_.file("port");
        std::filesystem::remove(port_file);
        std::vector<std::string> argv = {BOOTPRINT_SERVICE,  "--db",           store_.location(),
                                         "--port",           std::to_string(port), "--port-file",
                                         port_file,          "--enrol-secret", kSecret,
                                         "--admin-token",    kAdmin,           "--log-level",
                                         "warn"};
        argv.insert(argv.end(), extra_.begin(), extra_.end());
        process_ = std::make_unique<bp::test::BackgroundProcess>(argv, dir_.file("service.log"));
        REQUIRE(process_->started());
        port_ = bp::test::wait_for_port_file(port_file);
        REQUIRE(port_ > 0);
    }
    int kill(int signal) { return process_->kill(signal); }
    int port() const { return port_; }
    std::string url(const char* scheme = "http", const char* host = "127.0.0.1") const {
        return std::string(scheme) + "://" + host + ":" + std::to_string(port_);
    }

    // An admin client (the admin token as its bearer; never enrols).
    ControllerClient admin() const {
        ClientOptions o;
        o.url = url();
        return ControllerClient(o, Credentials{0, kAdmin});
    }
    json get(const std::string& target) const {
        auto client = admin();
        auto r = client.request("GET", target);
        REQUIRE(r);
        INFO(target << " → " << r->status << " " << r->body);
        REQUIRE(r->status == 200);
        return json::parse(r->body);
    }
    json post(const std::string& target, const json& body, int expected = 201) const {
        auto client = admin();
        auto r = client.request("POST", target, body.dump());
        REQUIRE(r);
        INFO(target << " → " << r->status << " " << r->body);
        REQUIRE(r->status == expected);
        return json::parse(r->body);
    }
    std::int64_t rows(const char* table) const { return get("/v1/admin/stats")["rows"][table].get<std::int64_t>(); }

private:
    bp::test::TempDir& dir_;
    bp::test::TestStore store_;  // SQLite, or a PostgreSQL database in the PostgreSQL pass
    std::vector<std::string> extra_;
    std::unique_ptr<bp::test::BackgroundProcess> process_;
    int port_ = 0;
};

ClientOptions agent_options(const std::string& url, const std::string& machine) {
    ClientOptions o;
    o.url = url;
    o.enrol_secret = kSecret;
    o.machine = machine;
    o.group = "lab";
    o.agent_version = "0.1.0";
    o.os_build = "26100";
    o.timeout = 5s;
    return o;
}

Outbox::Options fast_backoff() {
    Outbox::Options o;
    o.backoff.initial = 20ms;
    o.backoff.max = 300ms;
    return o;
}

// Drains until the outbox is empty or the deadline passes; returns the number still pending.
std::size_t drain_until_empty(Outbox& outbox, ControllerClient& client, std::chrono::seconds limit = 90s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        auto s = outbox.drain(client);
        REQUIRE(s);
        if (s->pending == 0 || std::chrono::steady_clock::now() > deadline) return s->pending;
        std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(s->retry_after, 200ms) + 5ms);
    }
}

}  // namespace

TEST_CASE("controller e2e: a nightly template runs on three lab agents, every iteration arrives once", "[controller]") {
    bp::test::TempDir dir;
    Controller controller(dir);
    controller.start();
    controller.post("/v1/admin/templates",
                    {{"name", "nightly"}, {"spec", {{"tags", {"Ntfx", "Irp"}}, {"iterations", 3}, {"resident_set", true}}}});
    // Two days back, so that last night's 01:00 slot is due now, whatever the time of the test.
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    controller.post("/v1/admin/assignments",
                    {{"template", "nightly"}, {"group", "lab"}, {"schedule", "nightly at 01:00"},
                     {"not_before", now - 2 * 86400}});

    std::atomic<int> failures{0};
    auto agent = [&](int k) {
        const std::string machine = "lab-0" + std::to_string(k);
        ControllerClient client(agent_options(controller.url(), machine));
        auto outbox = Outbox::open(dir.file(machine + "-outbox.db"), fast_backoff());
        if (!outbox || !client.heartbeat({"idle"})) {
            ++failures;
            return;
        }
        auto jobs = client.poll_jobs();
        if (!jobs || jobs->size() != 1) {
            ++failures;
            return;
        }
        const auto& job = jobs->front();
        if (!client.set_job_state(job.id, "running")) ++failures;
        const int iterations = job.spec["iterations"].get<int>();
        for (int i = 0; i < iterations; ++i) {
            auto r = bp::test::make_report(std::to_string(client.credentials()->agent_id), machine, job.campaign,
                                           "26100.1", i, 100000 * k);
            if (!outbox->enqueue(r.key, r.body)) ++failures;
            (void)outbox->drain(client);  // as the campaign engine would after each iteration
        }
        if (drain_until_empty(*outbox, client) != 0) ++failures;
        if (!client.set_job_state(job.id, "done")) ++failures;
        auto after = client.poll_jobs();
        if (!after || !after->empty()) ++failures;  // one job per machine per slot
    };
    std::vector<std::thread> agents;
    for (int k = 1; k <= 3; ++k) agents.emplace_back(agent, k);
    for (auto& t : agents) t.join();
    CHECK(failures == 0);

    CHECK(controller.rows("reports") == 9);
    CHECK(controller.rows("samples") == 9 * 16);
    CHECK(controller.rows("jobs") == 3);
    json all = controller.get("/v1/history/series?kind=tag&key=Ntfx");
    REQUIRE(all["points"].size() == 3);
    for (int k = 1; k <= 3; ++k) {
        json one = controller.get("/v1/history/series?kind=tag&key=Ntfx&machine=lab-0" + std::to_string(k));
        REQUIRE(one["points"].size() == 1);
        const json& p = one["points"][0];
        CHECK(p["n"] == 3);
        CHECK(p["median"] == 100000.0 * k + 1000);
        CHECK(p["min"] == 100000.0 * k);
        CHECK(p["max"] == 100000.0 * k + 2000);
        CHECK(p["mad"] == 1000.0);
        CHECK(p["build"] == "26100.1");
        CHECK(p["campaign"].get<std::string>().rfind("nightly@", 0) == 0);
    }
    json agents_list = controller.get("/v1/admin/agents");
    CHECK(agents_list["agents"].size() == 3);
    CHECK(agents_list["agents"][0]["campaign_state"] == "idle");
    controller.kill(SIGTERM);
}

TEST_CASE("controller e2e: SIGKILL during uploads loses nothing acknowledged and stores nothing twice", "[controller]") {
    bp::test::TempDir dir;
    Controller controller(dir);
    controller.start();
    constexpr int kAgents = 3;
    constexpr int kReports = 60;
    std::atomic<bool> go{false};
    std::atomic<int> failures{0};
    auto agent = [&](int k) {
        const std::string machine = "lab-0" + std::to_string(k);
        ControllerClient client(agent_options(controller.url(), machine));
        auto outbox = Outbox::open(dir.file(machine + "-outbox.db"), fast_backoff());
        if (!outbox) {
            ++failures;
            return;
        }
        for (int i = 0; i < kReports; ++i) {
            auto r = bp::test::make_report(machine, machine, "nightly@2025-01-31T01:00Z", "26100.1", i);
            if (!outbox->enqueue(r.key, r.body)) ++failures;
        }
        while (!go) std::this_thread::sleep_for(1ms);
        if (drain_until_empty(*outbox, client, 120s) != 0) ++failures;
        auto delivered = outbox->items("delivered");
        if (!delivered || delivered->size() != kReports) ++failures;
    };
    std::vector<std::thread> agents;
    for (int k = 1; k <= kAgents; ++k) agents.emplace_back(agent, k);
    go = true;
    // Kill the controller once uploads are flowing.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (controller.rows("reports") < 20 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    const auto before_kill = controller.rows("reports");
    const int status = controller.kill(SIGKILL);
    CHECK(WIFSIGNALED(status));
    INFO("killed with " << before_kill << " reports stored");
    CHECK(before_kill < kAgents * kReports);  // the kill landed during the uploads

    // Meanwhile an agent that has never reached the controller queues its reports.
    ControllerClient offline(agent_options(controller.url(), "lab-offline"));
    auto offline_box = Outbox::open(dir.file("offline-outbox.db"), fast_backoff());
    REQUIRE(offline_box);
    for (int i = 0; i < 10; ++i) {
        auto r = bp::test::make_report("off", "lab-offline", "nightly@2025-01-31T01:00Z", "26100.1", i);
        REQUIRE(*offline_box->enqueue(r.key, r.body));
    }
    auto attempt = offline_box->drain(offline);
    REQUIRE(attempt);
    CHECK(attempt->failed == 1);
    CHECK(attempt->pending == 10);

    std::this_thread::sleep_for(300ms);
    controller.start(controller.port());
    for (auto& t : agents) t.join();
    CHECK(failures == 0);
    CHECK(drain_until_empty(*offline_box, offline) == 0);

    CHECK(controller.rows("reports") == kAgents * kReports + 10);
    CHECK(controller.rows("samples") == (kAgents * kReports + 10) * 16);
    json list = controller.get("/v1/history/reports?machine=lab-offline&limit=100");
    CHECK(list["reports"].size() == 10);
    // Replaying every agent's whole outbox changes nothing: all duplicates.
    for (int k = 1; k <= kAgents; ++k) {
        const std::string machine = "lab-0" + std::to_string(k);
        ControllerClient client(agent_options(controller.url(), machine));
        auto outbox = Outbox::open(dir.file(machine + "-outbox.db"));
        REQUIRE(outbox);
        auto items = outbox->items();
        REQUIRE(items);
        for (const auto& item : *items) {
            auto r = client.upload(item.key, item.body);
            REQUIRE(r);
            CHECK(*r == bp::report::UploadOutcome::duplicate);
        }
    }
    CHECK(controller.rows("reports") == kAgents * kReports + 10);
    controller.kill(SIGTERM);
}

TEST_CASE("controller e2e: bad input over HTTP is refused and writes no row", "[controller]") {
    bp::test::TempDir dir;
    Controller controller(dir);
    controller.start();
    ControllerClient agent(agent_options(controller.url(), "lab-01"));
    auto good = bp::test::make_report("a", "lab-01", "c1", "b1", 0);
    REQUIRE(*agent.upload(good.key, good.body) == bp::report::UploadOutcome::stored);
    const json before = controller.get("/v1/admin/stats");

    auto raw = [&](const std::string& method, const std::string& target, const std::string& body,
                   const std::string& token) {
        ClientOptions o;
        o.url = controller.url();
        ControllerClient c(o, token.empty() ? std::optional<Credentials>() : Credentials{0, token});
        auto r = c.request(method, target, body);
        REQUIRE(r);
        return *r;
    };
    const std::string token = agent.credentials()->token;
    CHECK(raw("POST", "/v1/reports", good.body, "").status == 401);
    CHECK(raw("POST", "/v1/reports", good.body, "not-a-token").status == 401);
    auto malformed = raw("POST", "/v1/reports", "{\"schema\":", token);
    CHECK(malformed.status == 400);
    CHECK(malformed.error_message().find("malformed JSON") != std::string::npos);
    json v9 = json::parse(good.body);
    v9["schema_version"] = 9;
    auto version = raw("POST", "/v1/reports", v9.dump(), token);
    CHECK(version.status == 400);
    CHECK(version.error_message().find("schema_version: 9 is not supported") != std::string::npos);
    // 9 MiB: over the default 8 MiB limit; the answer arrives although the body is not read.
    auto big = raw("POST", "/v1/reports", std::string(9u << 20, 'x'), token);
    CHECK(big.status == 413);
    auto hostile = raw("GET", "/v1/history/series?kind=tag&key=x%27%3B%20DROP%20TABLE%20reports%3B--&machine=%27%20OR%201%3D1",
                       "", token);
    CHECK(hostile.status == 200);
    CHECK(json::parse(hostile.body)["points"].empty());
    CHECK(raw("GET", "/v1/history/series?key=x&evil=%27", "", token).status == 400);
    CHECK(controller.get("/v1/admin/stats") == before);

    // A revoked token is refused; the client re-enrols with the secret and the upload goes through.
    const auto agent_id = agent.credentials()->agent_id;
    controller.post("/v1/admin/agents/" + std::to_string(agent_id) + "/revoke", json::object(), 200);
    CHECK(raw("POST", "/v1/heartbeat", "{}", token).status == 401);
    auto second = bp::test::make_report("a", "lab-01", "c1", "b1", 1);
    auto r = agent.upload(second.key, second.body);
    REQUIRE(r);
    CHECK(*r == bp::report::UploadOutcome::stored);
    CHECK(agent.credentials()->token != token);
    CHECK(agent.credentials()->agent_id == agent_id);
    controller.kill(SIGTERM);
}

TEST_CASE("controller e2e: graceful stop on SIGTERM, state kept across restarts", "[controller]") {
    bp::test::TempDir dir;
    Controller controller(dir);
    controller.start();
    ControllerClient agent(agent_options(controller.url(), "lab-01"));
    REQUIRE(agent.heartbeat({"idle"}));
    const int status = controller.kill(SIGTERM);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    controller.start(controller.port());
    REQUIRE(agent.heartbeat({"still here"}));  // the same token works after the restart
    CHECK(controller.get("/v1/admin/agents")["agents"][0]["campaign_state"] == "still here");
    controller.kill(SIGTERM);
}

TEST_CASE("controller e2e: HTTPS with a certificate and key", "[controller]") {
    if (!std::filesystem::exists("/usr/bin/openssl")) {
        WARN("skipped: /usr/bin/openssl is needed to make a test certificate");
        return;
    }
    bp::test::TempDir dir;
    auto made = bp::test::run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                                       dir.file("key.pem"), "-out", dir.file("cert.pem"), "-days", "2", "-subj",
                                       "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"});
    REQUIRE(made.exit_code == 0);
    Controller controller(dir, {"--tls-certificate", dir.file("cert.pem"), "--tls-private-key", dir.file("key.pem")});
    controller.start();
    ClientOptions o = agent_options(controller.url("https", "localhost"), "lab-tls");
    o.ca_file = dir.file("cert.pem");
    ControllerClient agent(o);
    auto r = bp::test::make_report("t", "lab-tls", "c", "b", 0);
    auto up = agent.upload(r.key, r.body);
    REQUIRE(up);
    CHECK(*up == bp::report::UploadOutcome::stored);
    // Without trusting the certificate the client refuses the connection.
    ClientOptions untrusted = agent_options(controller.url("https", "localhost"), "lab-tls2");
    ControllerClient stranger(untrusted);
    CHECK_FALSE(stranger.heartbeat({"x"}));
    // Plain HTTP to the TLS port is not served.
    ClientOptions plain = agent_options(controller.url("http", "127.0.0.1"), "lab-plain");
    plain.timeout = 2s;
    ControllerClient wrong(plain);
    CHECK_FALSE(wrong.heartbeat({"x"}));
    controller.kill(SIGTERM);
}
