// `bootprint diff` and `bootprint query alerts|builds` against the controller as a real process.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "bootprint/report/controller_client.hpp"
#include "support/controller_support.hpp"
#include "support/process.hpp"

using nlohmann::json;

TEST_CASE("diff: build vs build through the controller, with a failing exit on regression", "[controller][diff]") {
    bp::test::TempDir dir;
    const std::string port_file = dir.file("port");
    bp::test::BackgroundProcess service({BOOTPRINT_SERVICE, "--database", dir.file("c.db"), "--port", "0", "--port-file",
                                         port_file, "--enrol-secret", "s", "--admin-token", "admin", "--log-level", "warn"},
                                        dir.file("service.log"));
    REQUIRE(service.started());
    const int port = bp::test::wait_for_port_file(port_file);
    REQUIRE(port > 0);
    const std::string url = "http://127.0.0.1:" + std::to_string(port);

    bp::report::ClientOptions o;
    o.url = url;
    bp::report::ControllerClient anonymous(o, bp::report::Credentials{0, ""});
    auto enrolled = anonymous.request("POST", "/v1/enrol", R"({"secret":"s","machine":"lab-01"})");
    REQUIRE(enrolled);
    REQUIRE(enrolled->status == 201);
    bp::report::ControllerClient agent(o, bp::report::Credentials{0, json::parse(enrolled->body)["token"]});
    // Build 2 grows Ntfx (paged) by 100 KB; 5 iterations each.
    for (int i = 1; i <= 5; ++i) {
        for (const auto& [campaign, build, base] :
             {std::tuple{"n1", "26100.1", 100000}, std::tuple{"n2", "26100.2", 200000}}) {
            auto r = agent.request("POST", "/v1/reports", bp::test::make_report("a", "lab-01", campaign, build, i, base).body);
            REQUIRE(r);
            REQUIRE(r->status == 201);
        }
    }
    const std::vector<std::string> common = {"--server", url, "--token", "admin"};
    auto run = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = {BOOTPRINT_CLI};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), common.begin(), common.end());
        return bp::test::run_process(argv);
    };

    auto table = run({"diff", "--build", "26100.1", "--build", "26100.2"});
    INFO(table.out << table.err);
    REQUIRE(table.exit_code == 0);
    CHECK(table.out.find("26100.1 → 26100.2 (every machine)") != std::string::npos);
    // The first data row is the regression: verdict, no flag, tag Ntfx, paged impacting size, +97.7 KiB.
    const auto line = table.out.find("\nregression");
    REQUIRE(line != std::string::npos);
    const std::string row = table.out.substr(line + 1, table.out.find('\n', line + 1) - line - 1);
    CHECK(row.find("Ntfx") != std::string::npos);
    CHECK(row.find("paged_impacting_size") != std::string::npos);
    CHECK(row.find("+97.7 KiB") != std::string::npos);
    CHECK(table.out.find("1 regression(s)") != std::string::npos);

    auto failing = run({"diff", "--build", "26100.1", "--build", "26100.2", "--fail-on-regression"});
    CHECK(failing.exit_code == 1);
    auto quiet = run({"diff", "--build", "26100.1", "--build", "26100.2", "--fail-on-regression", "--floor",
                      "paged_impacting_size=512"});
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.out.find("0 regression(s)") != std::string::npos);

    auto csv = run({"diff", "--build", "26100.1", "--build", "26100.2", "--format", "csv", "--verdict", "regression"});
    REQUIRE(csv.exit_code == 0);
    CHECK(csv.out.rfind("kind,key,metric,verdict,presence,a.median,b.median,delta,", 0) == 0);
    CHECK(std::count(csv.out.begin(), csv.out.end(), '\n') == 2);
    auto as_json = run({"diff", "--build", "26100.1", "--build", "26100.2", "--format", "json"});
    REQUIRE(as_json.exit_code == 0);
    CHECK(json::parse(as_json.out)["rows"][0]["verdict"] == "regression");

    auto unknown = run({"diff", "--build", "26100.1", "--build", "nope"});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("nope") != std::string::npos);
    auto one = run({"diff", "--build", "26100.1"});
    CHECK(one.exit_code == 2);

    auto builds = run({"query", "builds", "--format", "csv"});
    REQUIRE(builds.exit_code == 0);
    CHECK(builds.out.find("\n26100.1,") != std::string::npos);
    CHECK(builds.out.find("\n26100.2,") != std::string::npos);
}

TEST_CASE("diff --db: two builds ingested on one machine, no controller", "[diff]") {
    bp::test::TempDir dir;
    auto scenario = bp::test::run_process({BOOTPRINT_CLI, "trace", "scenario"});
    REQUIRE(scenario.exit_code == 0);
    json base = json::parse(scenario.out);
    json grown = base;
    for (auto& family : grown["pool"]) {
        if (family["tag"] == "Ntfx") family["count"] = family["count"].get<double>() * 3;
    }
    grown["pool"].push_back({{"tag", "Bpx1"}, {"driver", "contoso_filter.sys"}, {"size", 8192}, {"count", 64}, {"free_fraction", 0}});
    const std::string db = dir.file("agent.db");
    for (const auto& [build, doc] : {std::pair{"26100.1", base}, std::pair{"26100.2", grown}}) {
        const std::string file = dir.file(std::string(build) + ".json");
        std::ofstream(file) << doc.dump();
        for (int boot = 1; boot <= 4; ++boot) {
            const std::string etl = dir.file(std::string(build) + "-" + std::to_string(boot) + ".etl");
            auto w = bp::test::run_process({BOOTPRINT_CLI, "trace", "write", "--scenario", file, "--boot",
                                            std::to_string(boot), "-o", etl});
            REQUIRE(w.exit_code == 0);
            auto in = bp::test::run_process({BOOTPRINT_CLI, "ingest", etl, "--db", db, "--campaign", build, "--iteration",
                                             std::to_string(boot), "--build", build, "--machine", "bench-01"});
            INFO(in.err);
            REQUIRE(in.exit_code == 0);
        }
    }
    auto diff = bp::test::run_process({BOOTPRINT_CLI, "diff", "--db", db, "--build", "26100.1", "--build", "26100.2",
                                       "--format", "json", "--fail-on-regression"});
    INFO(diff.out << diff.err);
    CHECK(diff.exit_code == 1);  // regressions found
    const json doc = json::parse(diff.out);
    REQUIRE(doc["rows"].size() >= 2);
    CHECK(doc["rows"][0]["key"] == "Bpx1");
    CHECK(doc["rows"][0]["presence"] == "new");
    CHECK(doc["rows"][0]["b"]["median"] == 64.0 * 8192);
    CHECK(doc["rows"][1]["key"] == "Ntfx");
    CHECK(doc["rows"][1]["verdict"] == "regression");
    CHECK(doc["counts"]["regression"] == 2);
    // Same build on both sides: nothing but noise.
    auto same = bp::test::run_process({BOOTPRINT_CLI, "diff", "--db", db, "--build", "26100.1", "--build", "26100.1",
                                       "--fail-on-regression"});
    CHECK(same.exit_code == 0);
    CHECK(same.out.find("0 regression(s)") != std::string::npos);
}
