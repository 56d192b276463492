// Build-vs-build comparison, nightly alerts, campaign detail, fleet and the dashboard's files, through
// the router on a real store (SQLite, or PostgreSQL in ctest's PostgreSQL pass).
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>

#include "bootprint/controller/regressions.hpp"
#include "bootprint/controller/router.hpp"
#include "bootprint/controller/schedule.hpp"
#include "bootprint/controller/open_store.hpp"
#include "support/controller_support.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

using namespace bp::controller;
using nlohmann::json;

namespace {

struct Lab {
    bp::test::TempDir dir;
    bp::test::TestStore location{dir.path().string()};
    std::unique_ptr<ControllerStore> store;
    ManualClock clock{*parse_time("2025-01-31T12:00:00Z")};
    RouterConfig config;

    Lab() {
        auto s = open_store(location.location(), {});
        REQUIRE(s);
        store = std::move(*s);
        config.enrol_secret = "lab-secret";
        config.admin_token = "admin";
    }

    HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                      const std::string& token = "admin") {
        HttpRequest r;
        r.method = method;
        r.target = target;
        r.body = body;
        if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
        return route(r, *store, clock, config);
    }

    json get(const std::string& target, int expected = 200, const std::string& token = "admin") {
        HttpResponse r = call("GET", target, "", token);
        INFO("GET " << target << " → " << r.status << " " << r.body.substr(0, 400));
        REQUIRE(r.status == expected);
        return json::parse(r.body);
    }

    std::string enrol(const std::string& machine) {
        HttpResponse r = call("POST", "/v1/enrol", json{{"secret", "lab-secret"}, {"machine", machine}, {"group", "lab"}}.dump(), "");
        REQUIRE(r.status == 201);
        return json::parse(r.body)["token"].get<std::string>();
    }

    // Build "26100.2" grows tag Ntfx (paged) by 100 KB and brings a new non-paged tag Bpx1.
    void upload(const std::string& token, const std::string& machine, const std::string& campaign,
                const std::string& build, int iteration, std::int64_t base, bool new_tag,
                std::optional<std::int64_t> job = std::nullopt, std::int64_t start = 133800000000000000) {
        auto r = bp::test::make_report(machine, machine, campaign, build, iteration, base, start);
        json doc = json::parse(r.body);
        if (new_tag) {
            doc["pool"].push_back({{"tag", "Bpx1"}, {"module", "contoso.sys"}, {"paged", false}, {"type", "AIFO"},
                                   {"count", 30}, {"size", 300000 + iteration}, {"impacting_size", 300000 + iteration}});
        }
        if (job) doc["campaign"]["job_id"] = std::to_string(*job);
        HttpResponse res = call("POST", "/v1/reports", doc.dump(), token);
        INFO(res.body);
        REQUIRE(res.status == 201);
    }
};

}  // namespace

TEST_CASE("compare: the grown tag and the new tag lead, unchanged series are noise, CSV has every field") {
    Lab lab;
    const std::string t = lab.enrol("lab-01");
    for (int i = 1; i <= 5; ++i) {
        lab.upload(t, "lab-01", "n1", "26100.1", i, 100000, false);
        lab.upload(t, "lab-01", "n2", "26100.2", i, 200000, true, std::nullopt, 133900000000000000);
    }
    json c = lab.get("/v1/compare?a=26100.1&b=26100.2");
    const json& rows = c["rows"];
    REQUIRE(rows.size() >= 4);
    CHECK(rows[0]["key"] == "Bpx1");
    CHECK(rows[0]["metric"] == "nonpaged_impacting_size");
    CHECK(rows[0]["verdict"] == "regression");
    CHECK(rows[0]["presence"] == "new");
    CHECK(rows[0]["a"]["n"] == 5);
    CHECK(rows[0]["a"]["median"] == 0.0);
    CHECK(rows[0]["b"]["median"] == 300003.0);
    // Ntfx paged impacting size: medians 103000 → 203000.
    auto ntfx = std::find_if(rows.begin(), rows.end(), [](const json& r) {
        return r["key"] == "Ntfx" && r["metric"] == "paged_impacting_size";
    });
    REQUIRE(ntfx != rows.end());
    CHECK((*ntfx)["verdict"] == "regression");
    CHECK((*ntfx)["delta"] == 100000.0);
    CHECK((*ntfx)["p_value"].get<double>() == Approx(2.0 / 252));
    // Non-paged Ntfx is 0 in both builds: not listed. Irp and ACPI.sys did not change: noise.
    CHECK(std::none_of(rows.begin(), rows.end(), [](const json& r) {
        return r["key"] == "Ntfx" && r["metric"] == "nonpaged_impacting_size";
    }));
    for (const json& r : rows) {
        if (r["key"] == "Irp " || r["key"] == "ACPI.sys") CHECK(r["verdict"] == "noise");
    }
    CHECK(c["counts"]["regression"].get<int>() >= 2);

    json only = lab.get("/v1/compare?a=26100.1&b=26100.2&verdict=regression&kind=tag");
    for (const json& r : only["rows"]) {
        CHECK(r["verdict"] == "regression");
        CHECK(r["kind"] == "tag");
    }
    CHECK(only["rows"].size() == 2);

    // Thresholds from the query: a 200 KiB floor keeps the 100 KB growth quiet.
    json strict = lab.get("/v1/compare?a=26100.1&b=26100.2&kind=tag&floor=paged_impacting_size=200");
    for (const json& r : strict["rows"]) {
        if (r["key"] == "Ntfx") CHECK(r["verdict"] == "noise");
    }
    json few = lab.get("/v1/compare?a=26100.1&b=26100.2&min_iterations=6");
    for (const json& r : few["rows"]) CHECK(r["verdict"] == "insufficient");

    HttpResponse csv = lab.call("GET", "/v1/compare?a=26100.1&b=26100.2&format=csv");
    REQUIRE(csv.status == 200);
    CHECK(csv.body.rfind("kind,key,metric,verdict,presence,a.median,b.median,delta,relative,p_value,a.n,", 0) == 0);
    CHECK(csv.body.find("\ntag,Bpx1,nonpaged_impacting_size,regression,new,0,300003,300003,,") != std::string::npos);
    // The totals: only when asked for.
    CHECK(std::none_of(rows.begin(), rows.end(), [](const json& r) { return r["kind"] == "total"; }));
    json totals = lab.get("/v1/compare?a=26100.1&b=26100.2&kind=total");
    REQUIRE(totals["rows"].size() >= 1);
    CHECK(totals["rows"][0]["key"] == "pool");
    CHECK(totals["rows"][0]["verdict"] == "regression");

    lab.get("/v1/compare?a=26100.1", 400);
    lab.get("/v1/compare?a=26100.1&b=nope", 404);
    lab.get("/v1/compare?a=26100.1&b=26100.2&floor=bogus", 400);
    lab.get("/v1/compare?a=26100.1&b=26100.2", 401, "");
}

TEST_CASE("a nightly job that completes records its alerts against the machine's previous build") {
    Lab lab;
    const std::string t = lab.enrol("lab-01");
    // Night 1 without a job (a manual campaign), night 2 from the schedule.
    for (int i = 1; i <= 4; ++i) lab.upload(t, "lab-01", "manual", "26100.1", i, 100000, false);
    REQUIRE(lab.call("POST", "/v1/admin/templates",
                     R"({"name":"nightly","spec":{"tags":["Ntfx","Irp","Bpx1"],"iterations":4,"labels":{"build":"26100.2"}}})")
                .status == 201);
    REQUIRE(lab.call("POST", "/v1/admin/assignments",
                     R"({"template":"nightly","group":"lab","schedule":"nightly at 01:00","not_before":"2025-01-01"})")
                .status == 201);
    json jobs = lab.get("/v1/jobs", 200, t);
    REQUIRE(jobs["jobs"].size() == 1);
    const std::int64_t job = jobs["jobs"][0]["id"];
    REQUIRE(lab.call("POST", "/v1/jobs/" + std::to_string(job) + "/state", R"({"state":"running"})", t).status == 200);
    for (int i = 1; i <= 4; ++i) lab.upload(t, "lab-01", "nightly@2025-01-31T01:00", "26100.2", i, 200000, true, job, 133900000000000000);
    HttpResponse done = lab.call("POST", "/v1/jobs/" + std::to_string(job) + "/state", R"({"state":"done"})", t);
    REQUIRE(done.status == 200);
    // Bpx1 (new) and Ntfx paged grew; Irp and ACPI.sys did not change.
    CHECK(json::parse(done.body)["alerts"] == 2);

    json alerts = lab.get("/v1/alerts?machine=lab-01");
    REQUIRE(alerts["alerts"].size() == 2);
    std::set<std::string> keys;
    for (const json& a : alerts["alerts"]) {
        keys.insert(a["key"].get<std::string>() + "/" + a["metric"].get<std::string>());
        CHECK(a["baseline_build"] == "26100.1");
        CHECK(a["build"] == "26100.2");
        CHECK(a["verdict"] == "regression");
    }
    // Bpx1 is non-paged only: its paged series is 0 throughout and never listed.
    CHECK(keys == std::set<std::string>{"Bpx1/nonpaged_impacting_size", "Ntfx/paged_impacting_size"});

    // Recomputing replaces, never doubles.
    const std::int64_t campaign = alerts["alerts"][0]["campaign_id"];
    json again = json::parse(lab.call("POST", "/v1/admin/campaigns/" + std::to_string(campaign) + "/alerts").body);
    CHECK(again["alerts"] == 2);
    CHECK(lab.get("/v1/alerts")["alerts"].size() == 2);
    auto counts = lab.store->row_counts();
    REQUIRE(counts);
    CHECK(counts->at("alerts") == 2);
    CHECK(lab.call("POST", "/v1/admin/campaigns/999/alerts").status == 404);
}

TEST_CASE("campaign detail: iterations, lost events, DisablePagingExecutive, per-tag and per-driver spread") {
    Lab lab;
    const std::string t = lab.enrol("lab-01");
    for (int i = 1; i <= 3; ++i) lab.upload(t, "lab-01", "n1", "26100.1", i, 100000, i == 2);
    json list = lab.get("/v1/campaigns?machine=lab-01");
    REQUIRE(list["campaigns"].size() == 1);
    CHECK(list["campaigns"][0]["iterations"] == 3);
    const std::int64_t id = list["campaigns"][0]["id"];
    json d = lab.get("/v1/campaigns/" + std::to_string(id));
    CHECK(d["campaign"]["build"] == "26100.1");
    REQUIRE(d["iterations"].size() == 3);
    CHECK(d["iterations"][0]["events"] == 1000);
    CHECK(d["iterations"][0]["events_lost"] == 0);
    json ntfx;
    json bpx;
    for (const json& row : d["tags"]) {
        if (row["tag"] == "Ntfx") ntfx = row;
        if (row["tag"] == "Bpx1") bpx = row;
    }
    REQUIRE(ntfx.is_object());
    CHECK(ntfx["paged_impacting_size"]["median"] == 102000.0);
    CHECK(ntfx["paged_impacting_size"]["min"] == 101000.0);
    CHECK(ntfx["nonpaged_impacting_size"]["max"] == 0.0);
    // A tag seen in one iteration of three: 0 in the others.
    REQUIRE(bpx.is_object());
    CHECK(bpx["nonpaged_impacting_size"]["n"] == 3);
    CHECK(bpx["nonpaged_impacting_size"]["median"] == 0.0);
    CHECK(bpx["nonpaged_impacting_size"]["max"] == 300002.0);
    REQUIRE(d["drivers"].size() == 1);
    CHECK(d["drivers"][0]["active_bytes"]["median"] == 500002.0);

    HttpResponse csv = lab.call("GET", "/v1/campaigns/" + std::to_string(id) + "?table=iterations&format=csv");
    REQUIRE(csv.status == 200);
    CHECK(csv.body.rfind("iteration,time,events,events_lost,buffers_lost,", 0) == 0);
    CHECK(std::count(csv.body.begin(), csv.body.end(), '\n') == 4);
    lab.get("/v1/campaigns/" + std::to_string(id) + "?table=secrets", 400);
    lab.get("/v1/campaigns/424242", 404);

    json fleet = lab.get("/v1/fleet", 200, t);
    REQUIRE(fleet["machines"].size() == 1);
    CHECK(fleet["machines"][0]["machine"] == "lab-01");
    CHECK(fleet["machines"][0]["last_campaign"] == "n1");
    CHECK(fleet["machines"][0]["last_iterations"] == 3);
    json builds = lab.get("/v1/builds");
    REQUIRE(builds["builds"].size() == 1);
    CHECK(builds["builds"][0]["reports"] == 3);
}

TEST_CASE("the dashboard's files are served from the web root, nothing outside it") {
    Lab lab;
    lab.get("/", 404, "");  // no web root configured
    const auto root = lab.dir.path() / "web";
    std::filesystem::create_directories(root / "lib");
    std::ofstream(root / "index.html") << "<!doctype html><title>Bootprint</title>";
    std::ofstream(root / "app.js") << "console.log(1)";  // "/ui/X" is X in the web root
    std::ofstream(root / "lib" / "chart.js") << "console.log(2)";
    std::ofstream(root / "notes.txt") << "not a served type";
    std::ofstream(lab.dir.path() / "secret.js") << "nope";
    lab.config.web_root = root.string();
    HttpResponse index = lab.call("GET", "/", "", "");
    CHECK(index.status == 200);
    CHECK(index.content_type == "text/html; charset=utf-8");
    CHECK(index.body.find("Bootprint") != std::string::npos);
    HttpResponse js = lab.call("GET", "/ui/app.js", "", "");
    CHECK(js.status == 200);
    CHECK(js.content_type.rfind("text/javascript", 0) == 0);
    CHECK(js.body == "console.log(1)");
    CHECK(lab.call("GET", "/ui/lib/chart.js", "", "").body == "console.log(2)");
    for (const char* bad : {"/ui/../secret.js", "/ui/%2e%2e/secret.js", "/ui/notes.txt", "/ui/.hidden.js", "/ui//etc/passwd",
                            "/ui/missing.js"}) {
        INFO(bad);
        CHECK(lab.call("GET", bad, "", "").status == 404);
    }
    CHECK(lab.call("POST", "/", "", "").status == 405);
}

TEST_CASE("csv_of flattens nested objects and quotes hostile text") {
    json rows = json::array({{{"k", "=cmd"}, {"a", {{"n", 1}, {"m", 2.5}}}}, {{"k", "x,y"}, {"a", {{"n", 2}}}}});
    CHECK(csv_of(rows) == "a.m,a.n,k\n2.5,1,'=cmd\n,2,\"x,y\"\n");
    CHECK(csv_of(rows, {"k", "a.n", "missing"}) == "k,a.n,a.m\n'=cmd,1,2.5\n\"x,y\",2,\n");
    CHECK(csv_of(json::array()) == "\n");
}
