#include "bootprint/profiles/generator.hpp"

#include <catch2/catch.hpp>

#include "bootprint/profiles/model_reader.hpp"
#include "bootprint/profiles/validator.hpp"
#include "profiles_test_support.hpp"

using namespace bp::profiles;
namespace t = bp::profiles::testing;

namespace {

ProfileRequest request(std::vector<std::string> tags, bool resident_set = false, bool triage = false) {
    ProfileRequest r;
    r.pool_tags = std::move(tags);
    r.resident_set = resident_set;
    r.triage = triage;
    return r;
}

// The golden files pin the exact bytes. To accept new output: BOOTPRINT_UPDATE_GOLDEN=1 ctest -R profiles
void check_golden(const std::string& name, const std::string& actual) {
    const t::fs::path golden = t::fs::path(BOOTPRINT_SOURCE_DIR) / "tests" / "data" / "wprp" / name;
    if (std::getenv("BOOTPRINT_UPDATE_GOLDEN") != nullptr) t::write_file(golden, actual);
    const std::string expected = t::read_file(golden);
    if (expected != actual) {
        const t::fs::path produced = t::fs::current_path() / name;
        t::write_file(produced, actual);
        FAIL_CHECK("output differs from " << golden.string() << "; new output written to "
                                          << produced.string()
                                          << "; accept with: BOOTPRINT_UPDATE_GOLDEN=1 ctest -R profiles");
    }
}

}  // namespace

TEST_CASE("generator: one profile for up to four tags, named for wpr -addboot") {
    auto out = generate(request({"Irp ", "Mm*", "Ntf?"}));
    REQUIRE(out);
    REQUIRE(out->profiles.size() == 1);
    const GeneratedProfile& p = out->profiles.front();
    CHECK(p.name == "Bootprint");
    CHECK(p.id == "Bootprint.Verbose.File");
    CHECK(p.selector == "Bootprint.Verbose");
    CHECK(p.pool_tags == std::vector<std::string>{"Irp ", "Mm*", "Ntf?"});
    CHECK(addboot_argument(R"(C:\bp\c.wprp)", p) == R"(C:\bp\c.wprp!Bootprint.Verbose)");

    const WprDocument& doc = out->document;
    REQUIRE(doc.system_providers.size() == 1);
    const SystemProviderDef& sp = doc.system_providers.front();
    for (const char* k : {"Pool", "Loader", "ProcessThread"}) {
        CHECK(std::find(sp.keywords.begin(), sp.keywords.end(), k) != sp.keywords.end());
    }
    CHECK(sp.stacks ==
          std::vector<std::string>{"PoolAllocation", "PoolAllocationSession", "PoolFree", "PoolFreeSession"});
    CHECK(doc.profiles.front().logging_mode == LoggingMode::file);
    CHECK(doc.profiles.front().detail_level == DetailLevel::verbose);
    CHECK(doc.event_collectors.empty());
}

TEST_CASE("generator: more than four tags give one profile per group of four") {
    auto out = generate(request({"a", "b", "c", "d", "e", "f", "g", "h", "i"}));
    REQUIRE(out);
    REQUIRE(out->profiles.size() == 3);
    CHECK(out->profiles[0].id == "Bootprint.g1.Verbose.File");
    CHECK(out->profiles[1].selector == "Bootprint.g2.Verbose");
    CHECK(out->profiles[2].pool_tags == std::vector<std::string>{"i"});
    CHECK(out->document.system_providers.size() == 3);
    CHECK(out->document.system_collectors.size() == 1);
    CHECK(out->document.system_providers[1].pool_tags == std::vector<std::string>{"e", "f", "g", "h"});
}

TEST_CASE("generator: refusals name the tag or setting and say why") {
    ProfileRequest single = request({"a", "b", "c", "d", "e"});
    single.single = true;
    auto refused = generate(single);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == bp::Errc::invalid_argument);
    CHECK(refused.error().message ==
          "pool tag 'e' (#5) does not fit: a single profile holds at most 4 pool tags "
          "(WPR's limit), and 5 tags were given");

    CHECK(generate(request({"ABCDE"})).error().message ==
          "pool tag 'ABCDE' (#1): has 5 characters; a pool tag has 1 to 4");
    CHECK_THAT(generate(request({"a", "b", "a"})).error().message,
               Catch::StartsWith("pool tag 'a' (#3): repeats #1"));

    ProfileRequest bad_name = request({});
    bad_name.name = "my profile";
    CHECK_THAT(generate(bad_name).error().message,
               Catch::StartsWith("profile name 'my profile': character 3"));
    bad_name.name = "1st";
    CHECK(generate(bad_name).error().message == "profile name '1st' must start with a letter");

    ProfileRequest buffers = request({});
    buffers.buffer_size_kb = 4096;
    CHECK(generate(buffers).error().message == "buffer size 4096 KB is outside 4..1024 KB");
    buffers.buffer_size_kb.reset();
    buffers.buffers = 1;
    CHECK(generate(buffers).error().message == "buffer count 1 is outside 2..4096");
}

TEST_CASE("generator: templates compose without duplicates and overrides apply to the system collector") {
    ProfileRequest r = request({"Irp "}, true, true);
    r.name = "Campaign42";
    r.buffer_size_kb = 512;
    r.buffers = 300;
    auto out = generate(r);
    REQUIRE(out);
    const WprDocument& doc = out->document;
    const auto& keywords = doc.system_providers.front().keywords;
    for (const char* k : {"Pool", "Memory", "VAMap", "Session", "CSwitch", "SampledProfile"}) {
        CHECK(std::count(keywords.begin(), keywords.end(), k) == 1);
    }
    CHECK(doc.system_collectors.front().id == "Campaign42_SystemCollector");
    CHECK(doc.system_collectors.front().buffers == BufferSettings{512, 300});
    REQUIRE(doc.event_collectors.size() == 1);
    CHECK(doc.event_providers.size() == doc.profiles.front().event_provider_ids.size());
    CHECK(doc.event_providers.front().id.starts_with("Campaign42_EventProvider_"));
}

TEST_CASE("generator: output is deterministic and reads back to the same model") {
    const ProfileRequest r = request({"a", "b", "c", "d", "e"}, true, true);
    auto first = generate(r);
    auto second = generate(r);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->xml == second->xml);
    auto model = read_model(first->xml);
    REQUIRE(model);
    CHECK(*model == first->document);
}

TEST_CASE("generator: golden files pin the exact output") {
    check_golden("pool.wprp", generate(request({}))->xml);
    check_golden("pool_tags.wprp", generate(request({"Irp ", "Mm*", "Ntf?", "&<\">"}))->xml);
    check_golden("pool_groups.wprp", generate(request({"a", "b", "c", "d", "e", "f", "g", "h", "i"}))->xml);
    ProfileRequest full = request({"Irp ", "Vi*"}, true, true);
    full.name = "Campaign42";
    full.buffer_size_kb = 512;
    full.buffers = 256;
    check_golden("full.wprp", generate(full)->xml);
}

TEST_CASE("generator: every variant validates against WPR's XSD with xmllint") {
    const auto xsd = t::wpr_xsd();
    if (!xsd) {
        WARN("skipped: " << BOOTPRINT_SHARED_DIR << "/wprp/xsd not found");
        return;
    }
    if (!t::have_xmllint()) {
        WARN("skipped: xmllint not installed (apt-get install libxml2-utils)");
        return;
    }
    const std::vector<std::vector<std::string>> tag_sets = {{},
                                                            {"A"},
                                                            {"Irp ", "Mm*", "Ntf?", "&<\">"},
                                                            {"a", "b", "c", "d", "e"},
                                                            {"a", "b", "c", "d", "e", "f", "g", "h", "i"}};
    t::TempDir dir;
    std::vector<std::string> command = {"xmllint", "--noout", "--schema", xsd->string()};
    int n = 0;
    for (const auto& tags : tag_sets) {
        for (int mask = 0; mask < 8; ++mask) {
            ProfileRequest r = request(tags, (mask & 1) != 0, (mask & 2) != 0);
            if ((mask & 4) != 0) {
                r.name = "Lab-Run_7";
                r.buffer_size_kb = 64;
                r.buffers = 4096;
            }
            auto out = generate(r);
            REQUIRE(out);
            const t::fs::path file = dir.path() / ("variant" + std::to_string(n++) + ".wprp");
            t::write_file(file, out->xml);
            command.push_back(file.string());
            // Our own validator agrees.
            CHECK(validate_wprp(out->xml)->diagnostics.empty());
        }
    }
    const auto result = t::run(command);
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == n);  // one "validates" line per file
}

TEST_CASE("generator: the CLI writes the file and prints the plan") {
    t::TempDir dir;
    const std::string file = (dir.path() / "campaign.wprp").string();
    auto result =
        t::run({BOOTPRINT_CLI, "profile", "create", "--tags", "a,b,c,d,e", "--name", "Lab", "-o", file});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(
        result.out ==
        "Wrote " + file +
            "\n"
            "Plan: 5 pool tags need 2 profiles (WPR filters on at most 4 pool tags per profile); record one "
            "per boot:\n"
            "  boot 1: wpr -addboot " +
            file +
            "!Lab.g1.Verbose -filemode    # 'a' 'b' 'c' 'd'\n"
            "  boot 2: wpr -addboot " +
            file + "!Lab.g2.Verbose -filemode    # 'e'\n");
    ProfileRequest same;
    same.name = "Lab";
    same.pool_tags = {"a", "b", "c", "d", "e"};
    CHECK(t::read_file(file) == generate(same)->xml);

    // Without -o the profile goes to stdout and the plan to stderr.
    result = t::run({BOOTPRINT_CLI, "profile", "create", "--tags", "Irp "});
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::StartsWith("<?xml"));
    CHECK_THAT(result.err, Catch::Contains("wpr -addboot FILE.wprp!Bootprint.Verbose -filemode"));
}

TEST_CASE("generator: the CLI refuses bad requests with exit status 2, naming the tag") {
    auto result = t::run({BOOTPRINT_CLI, "profile", "create", "--tags", "a,b,c,d,e", "--single"});
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK(result.err ==
          "bootprint profile create: pool tag 'e' (#5) does not fit: a single profile holds at most 4 "
          "pool tags (WPR's limit), and 5 tags were given\n");
    result = t::run({BOOTPRINT_CLI, "profile", "create", "--tags", "Irp,ABCDE"});
    CHECK(result.exit_code == 2);
    CHECK(result.err ==
          "bootprint profile create: pool tag 'ABCDE' (#2): has 5 characters; a pool tag has 1 to 4\n");
    result = t::run({BOOTPRINT_CLI, "profile", "create", "--buffers", "many"});
    CHECK(result.exit_code == 2);
}
