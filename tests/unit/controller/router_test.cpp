#include "bootprint/controller/router.hpp"

#include <catch2/catch.hpp>

#include "bootprint/controller/schedule.hpp"
#include "bootprint/controller/open_store.hpp"
#include "support/controller_support.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

using namespace bp::controller;
using nlohmann::json;

namespace {

std::int64_t at(const char* iso) { return *parse_time(iso); }

struct Lab {
    bp::test::TempDir dir;
    bp::test::TestStore location{dir.path().string()};  // SQLite, or PostgreSQL with BOOTPRINT_TEST_POSTGRES
    std::unique_ptr<ControllerStore> store;
    ManualClock clock{at("2025-01-31T12:00:00Z")};
    RouterConfig config;

    Lab() {
        auto s = open_store(location.location(), {});
        REQUIRE(s);
        store = std::move(*s);
        config.enrol_secret = "lab-secret";
        config.admin_token = "admin-token";
        config.body_limit = 64 * 1024;
    }

    HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                      const std::string& token = "", std::map<std::string, std::string> headers = {}) {
        HttpRequest r;
        r.method = method;
        r.target = target;
        r.body = body;
        r.headers = std::move(headers);
        if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
        return route(r, *store, clock, config);
    }

    json call_json(const std::string& method, const std::string& target, const std::string& body, const std::string& token,
                   int expected_status) {
        HttpResponse r = call(method, target, body, token);
        INFO(method << " " << target << " → " << r.status << " " << r.body);
        REQUIRE(r.status == expected_status);
        return json::parse(r.body);
    }

    std::pair<std::int64_t, std::string> enrol(const std::string& machine, const std::string& group = "lab") {
        json doc = call_json("POST", "/v1/enrol",
                             json{{"secret", "lab-secret"}, {"machine", machine}, {"group", group}}.dump(), "", 201);
        return {doc["agent_id"].get<std::int64_t>(), doc["token"].get<std::string>()};
    }

    std::map<std::string, std::int64_t> rows() {
        auto r = store->row_counts();
        REQUIRE(r);
        return *r;
    }

    void nightly(const std::string& not_before = "2025-01-01") {
        call_json("POST", "/v1/admin/templates",
                  R"({"name":"nightly","spec":{"tags":["Ntfx","Irp"],"iterations":3,"resident_set":true}})",
                  "admin-token", 201);
        call_json("POST", "/v1/admin/assignments",
                  json{{"template", "nightly"}, {"group", "lab"}, {"schedule", "nightly at 01:00"},
                       {"not_before", not_before}}
                      .dump(),
                  "admin-token", 201);
    }
};

}  // namespace

TEST_CASE("enrolment: the secret buys an id and a token, a wrong secret buys nothing") {
    Lab lab;
    auto [id, token] = lab.enrol("lab-01");
    CHECK(id > 0);
    CHECK(token.size() == 43);
    CHECK(lab.call("POST", "/v1/enrol", R"({"secret":"wrong","machine":"x"})").status == 401);
    CHECK(lab.call("POST", "/v1/enrol", R"({"secret":"lab-secret"})").status == 400);
    CHECK(lab.call("POST", "/v1/enrol", "not json").status == 400);
    CHECK(lab.rows()["agents"] == 1);
    CHECK(lab.rows()["tokens"] == 1);
    // Re-enrolling the same machine keeps its id and retires the old token.
    auto [id2, token2] = lab.enrol("lab-01");
    CHECK(id2 == id);
    CHECK(token2 != token);
    CHECK(lab.call("GET", "/v1/jobs", "", token).status == 401);
    CHECK(lab.call("GET", "/v1/jobs", "", token2).status == 200);
}

TEST_CASE("auth: missing, wrong and revoked tokens are 401, admin API needs the admin token") {
    Lab lab;
    auto [id, token] = lab.enrol("lab-01");
    CHECK(lab.call("POST", "/v1/heartbeat", "{}").status == 401);
    CHECK(lab.call("POST", "/v1/heartbeat", "{}", "nope").status == 401);
    CHECK(lab.call("POST", "/v1/heartbeat", R"({"campaign_state":"idle","os_build":"26100"})", token).status == 200);
    CHECK(lab.call("GET", "/v1/admin/agents", "", token).status == 401);
    json agents = lab.call_json("GET", "/v1/admin/agents", "", "admin-token", 200);
    CHECK(agents["agents"][0]["campaign_state"] == "idle");
    CHECK(agents["agents"][0]["os_build"] == "26100");
    lab.call_json("POST", "/v1/admin/agents/" + std::to_string(id) + "/revoke", "", "admin-token", 200);
    CHECK(lab.call("POST", "/v1/heartbeat", "{}", token).status == 401);
    auto report = bp::test::make_report("1", "lab-01", "c", "b", 0);
    const auto before = lab.rows();
    CHECK(lab.call("POST", "/v1/reports", report.body, token).status == 401);
    CHECK(lab.rows() == before);
    // Disabled: enrolment itself is refused.
    lab.call_json("POST", "/v1/admin/agents/" + std::to_string(id) + "/revoke", R"({"disable":true})", "admin-token",
                  200);
    CHECK(lab.call("POST", "/v1/enrol", R"({"secret":"lab-secret","machine":"lab-01"})").status == 403);
    CHECK(lab.call("POST", "/v1/admin/agents/999/revoke", "", "admin-token").status == 404);
}

TEST_CASE("unknown paths are 404, wrong methods 405 with Allow") {
    Lab lab;
    CHECK(lab.call("GET", "/v1/nothing").status == 404);
    auto r = lab.call("DELETE", "/v1/reports");
    CHECK(r.status == 405);
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0].second == "POST");
    CHECK(lab.call("GET", "/v1/health").status == 200);
    CHECK(json::parse(lab.call("GET", "/v1/health").body)["supported_report_versions"] == json::array({1}));
}

TEST_CASE("uploads: stored once, a retry is acknowledged, a different body under the same key is 409") {
    Lab lab;
    auto [id, token] = lab.enrol("lab-01");
    auto report = bp::test::make_report(std::to_string(id), "lab-01", "nightly@2025-01-31T01:00Z", "26100.1", 0);
    json first = lab.call_json("POST", "/v1/reports", report.body, token, 201);
    CHECK(first["stored"] == true);
    const auto after_first = lab.rows();
    CHECK(after_first.at("reports") == 1);
    CHECK(after_first.at("samples") == 16);
    json again = lab.call_json("POST", "/v1/reports", report.body, token, 200);
    CHECK(again["duplicate"] == true);
    CHECK(again["report_id"] == first["report_id"]);
    CHECK(lab.rows() == after_first);
    json changed = json::parse(report.body);
    changed["pool"][0]["size"] = 1;
    CHECK(lab.call("POST", "/v1/reports", changed.dump(), token).status == 409);
    CHECK(lab.rows() == after_first);
    // The header key must match the body's.
    auto other = bp::test::make_report(std::to_string(id), "lab-01", "nightly@2025-01-31T01:00Z", "26100.1", 1);
    HttpResponse mismatch = lab.call("POST", "/v1/reports", other.body, token, {{"idempotency-key", "another-key"}});
    CHECK(mismatch.status == 400);
    CHECK(lab.rows() == after_first);
}

TEST_CASE("bad uploads: 400 with a message, 413 over the limit, none writes a row") {
    Lab lab;
    auto [id, token] = lab.enrol("lab-01");
    const auto before = lab.rows();
    auto expect = [&](const std::string& body, int status, const std::string& fragment) {
        HttpResponse r = lab.call("POST", "/v1/reports", body, token);
        INFO(r.body);
        CHECK(r.status == status);
        CHECK(json::parse(r.body)["error"].get<std::string>().find(fragment) != std::string::npos);
    };
    expect("{not json", 400, "malformed JSON");
    expect("[]", 400, "expected a JSON object");
    json v2 = json::parse(bp::test::make_report("1", "m", "c", "b", 0).body);
    v2["schema_version"] = 2;
    expect(v2.dump(), 400, "schema_version: 2 is not supported");
    json missing = json::parse(bp::test::make_report("1", "m", "c", "b", 0).body);
    missing.erase("trace");
    expect(missing.dump(), 400, "trace: required object is missing");
    expect(std::string(70 * 1024, ' '), 413, "larger than");
    CHECK(lab.rows() == before);
}

TEST_CASE("jobs: a due slot is claimed once per machine, an offline machine gets it when it returns") {
    Lab lab;
    lab.nightly();
    auto [a, ta] = lab.enrol("lab-01");
    auto [b, tb] = lab.enrol("lab-02");
    auto [c, tc] = lab.enrol("other-01", "elsewhere");
    lab.clock.set(at("2025-01-31T00:30:00Z"));
    json ja = lab.call_json("GET", "/v1/jobs", "", ta, 200);
    REQUIRE(ja["jobs"].size() == 1);
    CHECK(ja["jobs"][0]["slot_time"] == "2025-01-30T01:00:00Z");
    CHECK(ja["jobs"][0]["campaign"] == "nightly@2025-01-30T01:00Z");
    CHECK(ja["jobs"][0]["spec"]["iterations"] == 3);
    CHECK(ja["jobs"][0]["spec"]["tags"] == json::array({"Ntfx", "Irp"}));
    const auto job = ja["jobs"][0]["id"].get<std::int64_t>();
    // Polling again in the same slot returns the same job, not a new one.
    CHECK(lab.call_json("GET", "/v1/jobs", "", ta, 200)["jobs"][0]["id"] == job);
    lab.call_json("POST", "/v1/jobs/" + std::to_string(job) + "/state", R"({"state":"running"})", ta, 200);
    lab.call_json("POST", "/v1/jobs/" + std::to_string(job) + "/state", R"({"state":"done"})", ta, 200);
    CHECK(lab.call_json("GET", "/v1/jobs", "", ta, 200)["jobs"].empty());
    CHECK(lab.call("POST", "/v1/jobs/" + std::to_string(job) + "/state", R"({"state":"running"})", ta).status == 409);
    // Another agent cannot touch it.
    CHECK(lab.call("POST", "/v1/jobs/" + std::to_string(job) + "/state", R"({"state":"failed"})", tb).status == 404);
    // Another group's machine gets nothing.
    CHECK(lab.call_json("GET", "/v1/jobs", "", tc, 200)["jobs"].empty());
    // Next night: one new job for lab-01.
    lab.clock.set(at("2025-01-31T01:00:00Z"));
    json next = lab.call_json("GET", "/v1/jobs", "", ta, 200);
    REQUIRE(next["jobs"].size() == 1);
    CHECK(next["jobs"][0]["slot_time"] == "2025-01-31T01:00:00Z");
    // lab-02 was offline for three nights: it gets the newest slot only, once.
    lab.clock.set(at("2025-02-03T09:00:00Z"));
    json late = lab.call_json("GET", "/v1/jobs", "", tb, 200);
    REQUIRE(late["jobs"].size() == 1);
    CHECK(late["jobs"][0]["slot_time"] == "2025-02-03T01:00:00Z");
    // lab-01 never started the 01-31 job: the newer slot supersedes it.
    json superseded = lab.call_json("GET", "/v1/jobs", "", ta, 200);
    REQUIRE(superseded["jobs"].size() == 1);
    CHECK(superseded["jobs"][0]["slot_time"] == "2025-02-03T01:00:00Z");
    CHECK(lab.rows()["jobs"] == 4);
}

TEST_CASE("slots before not_before are never claimed") {
    Lab lab;
    lab.clock.set(at("2025-01-31T15:00:00Z"));
    lab.nightly("2025-01-31T15:00:00Z");
    auto [a, ta] = lab.enrol("lab-01");
    CHECK(lab.call_json("GET", "/v1/jobs", "", ta, 200)["jobs"].empty());
    lab.clock.set(at("2025-02-01T01:00:00Z"));
    CHECK(lab.call_json("GET", "/v1/jobs", "", ta, 200)["jobs"].size() == 1);
}

TEST_CASE("admin input is validated") {
    Lab lab;
    CHECK(lab.call("POST", "/v1/admin/templates", R"({"name":"t","spec":{"tags":[]}})", "admin-token").status == 400);
    CHECK(lab.call("POST", "/v1/admin/templates", R"({"name":"t","spec":{"tags":["TOOLONG"]}})", "admin-token").status ==
          400);
    CHECK(lab.call("POST", "/v1/admin/templates", R"({"name":"t","spec":{"tags":["Ntfx"],"iterations":0}})",
                   "admin-token")
              .status == 400);
    lab.call_json("POST", "/v1/admin/templates", R"({"name":"t","spec":{"tags":["Ntfx"]}})", "admin-token", 201);
    CHECK(lab.call("POST", "/v1/admin/assignments", R"({"template":"t","group":"g","schedule":"sometimes"})",
                   "admin-token")
              .status == 400);
    CHECK(lab.call("POST", "/v1/admin/assignments", R"({"template":"nope","group":"g","schedule":"daily 01:00"})",
                   "admin-token")
              .status == 404);
    json ok = lab.call_json("POST", "/v1/admin/assignments",
                            R"({"template":"t","group":"g","schedule":"weekly sat 02:30"})", "admin-token", 201);
    CHECK(ok["schedule"] == "weekly sat 02:30");
    CHECK(lab.call_json("GET", "/v1/admin/assignments", "", "admin-token", 200)["assignments"].size() == 1);
    CHECK(lab.call_json("GET", "/v1/admin/templates", "", "admin-token", 200)["templates"][0]["spec"]["iterations"] == 5);
    RouterConfig closed = lab.config;
    closed.admin_token.clear();
    HttpRequest r{"GET", "/v1/admin/agents", {{"authorization", "Bearer "}}, "", ""};
    CHECK(route(r, *lab.store, lab.clock, closed).status == 403);
}

TEST_CASE("history: per-campaign median and spread, by tag, driver, build, machine and dates, JSON and CSV") {
    Lab lab;
    auto [a, ta] = lab.enrol("lab-01");
    auto [b, tb] = lab.enrol("lab-02");
    // Two builds on lab-01, one on lab-02; three iterations each.
    for (int i = 0; i < 3; ++i) {
        lab.call_json("POST", "/v1/reports", bp::test::make_report("a", "lab-01", "n1", "26100.1", i, 100000).body, ta, 201);
        lab.call_json("POST", "/v1/reports",
                      bp::test::make_report("a", "lab-01", "n2", "26100.2", i, 200000, 133900000000000000).body, ta,
                      201);
        lab.call_json("POST", "/v1/reports", bp::test::make_report("b", "lab-02", "n1", "26100.1", i, 300000).body, tb, 201);
    }
    json all = lab.call_json("GET", "/v1/history/series?kind=tag&key=Ntfx", "", "admin-token", 200);
    REQUIRE(all["points"].size() == 3);
    CHECK(all["metric"] == "impacting_size");
    json by_machine = lab.call_json("GET", "/v1/history/series?kind=tag&key=Ntfx&machine=lab-01", "", ta, 200);
    REQUIRE(by_machine["points"].size() == 2);
    const json& p0 = by_machine["points"][0];
    CHECK(p0["build"] == "26100.1");
    CHECK(p0["n"] == 3);
    CHECK(p0["median"] == 101000.0);
    CHECK(p0["min"] == 100000.0);
    CHECK(p0["max"] == 102000.0);
    CHECK(p0["mad"] == 1000.0);
    CHECK(by_machine["points"][1]["median"] == 201000.0);
    json by_build = lab.call_json("GET", "/v1/history/series?kind=tag&key=Ntfx&build=26100.1", "", ta, 200);
    REQUIRE(by_build["points"].size() == 2);
    json drivers = lab.call_json("GET", "/v1/history/series?kind=driver&key=ACPI.sys&machine=lab-02", "", ta, 200);
    REQUIRE(drivers["points"].size() == 1);
    CHECK(drivers["points"][0]["median"] == 500001.0);
    // Dates: the second build's traces start ~116 days later.
    json early = lab.call_json("GET", "/v1/history/series?kind=tag&key=Ntfx&machine=lab-01&to=2025-01-01", "", ta, 200);
    CHECK(early["points"].size() == 1);
    json csv_like = lab.call_json("GET", "/v1/history/keys?kind=tag", "", ta, 200);
    CHECK(csv_like["keys"] == json::array({"Irp ", "Ntfx"}));
    HttpResponse csv = lab.call("GET", "/v1/history/series?kind=tag&key=Ntfx&machine=lab-02&format=csv", "", ta);
    CHECK(csv.status == 200);
    CHECK(csv.content_type.rfind("text/csv", 0) == 0);
    CHECK(csv.body.rfind("campaign,build,machine,time,n,median,min,max,mad\nn1,26100.1,lab-02,", 0) == 0);
    json reports = lab.call_json("GET", "/v1/history/reports?machine=lab-01&build=26100.2", "", ta, 200);
    CHECK(reports["reports"].size() == 3);
    HttpResponse reports_csv = lab.call("GET", "/v1/history/reports?format=csv&limit=2", "", ta);
    CHECK(std::count(reports_csv.body.begin(), reports_csv.body.end(), '\n') == 3);
}

TEST_CASE("hostile query parameters are inert and write nothing") {
    Lab lab;
    auto [a, ta] = lab.enrol("lab-01");
    lab.call_json("POST", "/v1/reports", bp::test::make_report("a", "lab-01", "n1", "b1", 0).body, ta, 201);
    const auto before = lab.rows();
    for (const char* target : {
             "/v1/history/series?kind=tag&key=Ntfx'%20OR%201=1--",
             "/v1/history/series?kind=tag&key=Ntfx&machine=x%27%3B%20DROP%20TABLE%20reports%3B--",
             "/v1/history/series?kind=tag&key=Ntfx&build=%27%20UNION%20SELECT%20*%20FROM%20tokens--",
             "/v1/history/reports?campaign=1%27);DELETE%20FROM%20reports;--",
             "/v1/history/keys?kind=tag%27--&metric=%00",
         }) {
        HttpResponse r = lab.call("GET", target, "", ta);
        INFO(target << " → " << r.body);
        CHECK(r.status == 200);
        const json doc = json::parse(r.body);
        if (doc.contains("points")) CHECK(doc["points"].empty());
        if (doc.contains("reports")) CHECK(doc["reports"].empty());
        if (doc.contains("keys")) CHECK(doc["keys"].empty());
    }
    for (const char* target : {"/v1/history/series?kind=tag;DROP&key=x", "/v1/history/series?key=x&limit=1;DELETE",
                               "/v1/history/series?key=x&from=yesterday", "/v1/history/series?key=x&unknown=1",
                               "/v1/history/series?key=x&key=y", "/v1/history/series?key=%zz",
                               "/v1/history/series?key=x&format=xml"}) {
        HttpResponse r = lab.call("GET", target, "", ta);
        INFO(target << " → " << r.body);
        CHECK(r.status == 400);
        CHECK(json::parse(r.body).contains("error"));
    }
    CHECK(lab.rows() == before);
}

TEST_CASE("targets and CSV fields") {
    auto t = parse_target("/v1/x?a=1&b=%20two+three&c");
    REQUIRE(t);
    CHECK(t->path == "/v1/x");
    CHECK(t->query.at("a") == "1");
    CHECK(t->query.at("b") == " two three");
    CHECK(t->query.at("c").empty());
    CHECK_FALSE(parse_target("/v1/x?a=%4"));
    CHECK_FALSE(parse_target("v1"));
    CHECK(csv_field("plain") == "plain");
    CHECK(csv_field("a,b") == "\"a,b\"");
    CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csv_field("=cmd()") == "'=cmd()");
}
