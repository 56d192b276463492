// `bootprint etl stats FILE --json` against every real trace of the shared corpus: each field listed
// in NAME.expected.json (written by an independent parser) must match. The damaged file must be
// refused with exit status 2 and a message naming the file and a byte offset.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/process.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<fs::path> expected_files() {
    std::vector<fs::path> out;
    const std::string shared = bp::test::shared_dir();
    if (shared.empty()) return out;
    for (const auto& entry : fs::directory_iterator(fs::path(shared) / "etl")) {
        const std::string name = entry.path().filename().string();
        if (name.size() > 14 && name.substr(name.size() - 14) == ".expected.json") out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

json load(const fs::path& p) {
    std::ifstream in(p);
    return json::parse(in);
}

}  // namespace

TEST_CASE("etl stats --json matches every expected file of the shared corpus", "[integration][etl][corpus]") {
    const auto files = expected_files();
    if (files.empty()) {
        WARN("skipped: ../shared/etl is absent (set BOOTPRINT_SHARED_DIR); the corpus test needs it");
        return;
    }
    int readable = 0;
    int unreadable = 0;
    for (const auto& exp_path : files) {
        const json expected = load(exp_path);
        std::string etl = exp_path.string();
        etl.replace(etl.size() - 14, 14, ".etl");
        const auto r = bp::test::run_process({BOOTPRINT_CLI, "etl", "stats", etl, "--json"});
        INFO(etl << "\nstderr: " << r.err);
        REQUIRE(r.signal == 0);
        if (!expected.value("readable", true)) {
            ++unreadable;
            CHECK(r.exit_code == 2);
            CHECK(r.err.find(fs::path(etl).filename().string()) != std::string::npos);
            CHECK(r.err.find("offset 0x") != std::string::npos);
            continue;
        }
        ++readable;
        REQUIRE(r.exit_code == 0);
        const json got = json::parse(r.out);
        for (const auto& [key, value] : expected["header"].items()) {
            INFO("header." << key);
            CHECK(got["header"][key] == value);
        }
        CHECK(got["buffers"]["total"] == expected["buffers"]["total"]);
        CHECK(got["buffers"]["compressed"] == expected["buffers"]["compressed"]);
        CHECK(got["events"]["total"] == expected["events"]["total"]);
        CHECK(got["events"]["by_header"] == expected["events"]["by_header"]);
        CHECK(got["counts"] == expected["counts"]);
        CHECK(got["bytes"] == expected["bytes"]);
    }
    CHECK(readable >= 20);
    CHECK(unreadable >= 1);
}

TEST_CASE("etl dump is time ordered and decodes the corpus' kernel events without length mismatches",
          "[integration][etl][corpus]") {
    const std::string shared = bp::test::shared_dir();
    if (shared.empty()) {
        WARN("skipped: ../shared/etl is absent");
        return;
    }
    for (const char* name : {"perfview_net.4.5.2.x64.etl", "airbus_ShutdownPerfDiagLogger.etl",
                             "perfview_net.4.5.x86_PerfViewData.etl", "perfview_diaghub.kernel.1.etl"}) {
        const std::string etl = shared + "/etl/" + name;
        const auto r = bp::test::run_process({BOOTPRINT_CLI, "etl", "dump", etl, "--json"});
        INFO(etl << "\nstderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        std::istringstream lines(r.out);
        std::string line;
        std::int64_t previous = 0;
        std::size_t n = 0;
        std::size_t inversions = 0;
        std::size_t malformed = 0;
        std::size_t typed = 0;
        while (std::getline(lines, line)) {
            const json j = json::parse(line);
            const std::int64_t t = j["filetime"];
            if (n++ > 0 && t < previous) ++inversions;
            previous = t;
            if (j["fields"].contains("malformed")) ++malformed;
            if (!j["fields"].empty()) ++typed;
        }
        const json stats = json::parse(bp::test::run_process({BOOTPRINT_CLI, "etl", "stats", etl, "--json"}).out);
        CHECK(n == stats["events"]["total"].get<std::size_t>());
        CHECK(inversions == 0);
        CHECK(malformed == 0);
        CHECK(typed > 100);
        // Every event lies within the session (± 1 s for events flushed after EndTime was taken).
        CHECK(stats["events"]["first_event_filetime"].get<std::int64_t>() >=
              stats["header"]["start_time_filetime"].get<std::int64_t>() - 10'000'000);
    }
}
