#include "bootprint/profiles/inspector.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "bootprint/profiles/generator.hpp"
#include "bootprint/profiles/source_text.hpp"
#include "profiles_test_support.hpp"

using namespace bp::profiles;
namespace t = bp::profiles::testing;

TEST_CASE("inspector: a generated profile lists what it records") {
    ProfileRequest r;
    r.pool_tags = {"Irp ", "Mm*"};
    r.triage = true;
    auto generated = generate(r);
    REQUIRE(generated);
    auto profiles = inspect_wprp(generated->xml);
    REQUIRE(profiles);
    REQUIRE(profiles->size() == 1);
    const ProfileSummary& p = profiles->front();
    CHECK(p.id == "Bootprint.Verbose.File");
    CHECK(p.logging_mode == "File");
    CHECK(p.detail_level == "Verbose");
    CHECK(p.pool_tags == std::vector<std::string>{"Irp ", "Mm*"});
    CHECK(p.keywords == generated->document.system_providers.front().keywords);
    CHECK(p.stacks == generated->document.system_providers.front().stacks);
    REQUIRE(p.collectors.size() == 2);
    CHECK(p.collectors[0].kind == "system");
    CHECK(p.collectors[0].name == "NT Kernel Logger");
    CHECK(p.collectors[0].buffer_size_kb == "1024");
    CHECK(p.collectors[1].kind == "event");
    CHECK(p.providers.size() == generated->document.event_providers.size());
    CHECK(p.providers.front().name == "Microsoft-Windows-Kernel-Boot");
    CHECK(p.notes.empty());
}

TEST_CASE("inspector: inheritance through Base and Operation") {
    const std::string text = R"(<WindowsPerformanceRecorder Version="1">
  <Profiles>
    <SystemCollector Id="SC" Name="K"><BufferSize Value="64"/><Buffers Value="8"/></SystemCollector>
    <SystemCollector Id="SC2" Base="SC" Name="K2"><Buffers Value="5" PercentageOfTotalMemory="true"/></SystemCollector>
    <EventCollector Id="EC" Name="E"/>
    <SystemProvider Id="Base"><Keywords><Keyword Value="Loader"/><Keyword Value="ProcessThread"/></Keywords></SystemProvider>
    <SystemProvider Id="Derived" Base="Base">
      <Keywords Operation="Add"><Keyword Value="Pool"/></Keywords>
      <Keywords Operation="Remove"><Keyword Value="Loader"/></Keywords>
      <Stacks><Stack Value="PoolFree"/></Stacks>
    </SystemProvider>
    <EventProvider Id="EP1" Name="Provider-One" Level="4"><Keywords><Keyword Value="0x1"/></Keywords></EventProvider>
    <EventProvider Id="EP2" Name="Provider-Two"/>
    <Profile Id="A.Verbose.File" Name="A" Description="a" LoggingMode="File" DetailLevel="Verbose">
      <Collectors>
        <SystemCollectorId Value="SC2"><SystemProviderId Value="Derived"/></SystemCollectorId>
        <EventCollectorId Value="EC"><EventProviders><EventProviderId Value="EP1"/></EventProviders></EventCollectorId>
      </Collectors>
    </Profile>
    <Profile Id="A.Verbose.Memory" Name="A" Description="a" Base="A.Verbose.File" LoggingMode="Memory" DetailLevel="Verbose">
      <Collectors Operation="Add">
        <SystemCollectorId Value="SC2"><SystemProviderId Value="X"><PoolTags><PoolTag Value="Abc"/></PoolTags></SystemProviderId></SystemCollectorId>
        <EventCollectorId Value="EC"><EventProviders Operation="Add"><EventProviderId Value="EP2"/></EventProviders></EventCollectorId>
      </Collectors>
    </Profile>
    <Profile Id="B.Light.File" Name="B" Description="b" Base="GeneralProfile.Light.File" LoggingMode="File" DetailLevel="Light"/>
  </Profiles>
</WindowsPerformanceRecorder>)";
    auto profiles = inspect_wprp(text);
    REQUIRE(profiles);
    REQUIRE(profiles->size() == 3);
    const ProfileSummary& a = (*profiles)[0];
    CHECK(a.keywords == std::vector<std::string>{"ProcessThread", "Pool"});
    CHECK(a.stacks == std::vector<std::string>{"PoolFree"});
    REQUIRE(a.collectors.size() == 2);
    CHECK(a.collectors[0].name == "K2");
    CHECK(a.collectors[0].buffer_size_kb == "64");
    CHECK(a.collectors[0].buffers == "5% of RAM");
    REQUIRE(a.providers.size() == 1);
    CHECK(a.providers[0].name == "Provider-One");
    CHECK(a.providers[0].level == "4");
    CHECK(a.providers[0].keywords == std::vector<std::string>{"0x1"});

    const ProfileSummary& memory = (*profiles)[1];
    CHECK(memory.base == "A.Verbose.File");
    CHECK(memory.logging_mode == "Memory");
    CHECK(memory.pool_tags == std::vector<std::string>{"Abc"});
    CHECK(memory.providers.size() == 2);
    CHECK_THAT(memory.notes.front(), Catch::Contains("<SystemProvider> 'X' is not defined in this file"));

    const ProfileSummary& b = (*profiles)[2];
    CHECK(b.collectors.empty());
    REQUIRE(b.notes.size() == 1);
    CHECK_THAT(b.notes[0], Catch::Contains("'GeneralProfile.Light.File' is not defined in this file"));
}

TEST_CASE("inspector: circular Base chains end with a note") {
    const std::string text = R"(<WindowsPerformanceRecorder Version="1"><Profiles>
      <SystemProvider Id="A" Base="B"/><SystemProvider Id="B" Base="A"/>
      <Profile Id="P.Light.File" Name="P" Description="" LoggingMode="File" DetailLevel="Light">
        <Collectors><SystemCollectorId Value="S"><SystemProviderId Value="A"/></SystemCollectorId></Collectors>
      </Profile></Profiles></WindowsPerformanceRecorder>)";
    auto profiles = inspect_wprp(text);
    REQUIRE(profiles);
    CHECK_THAT(profiles->front().notes.back(), Catch::Contains("circular"));
}

TEST_CASE("inspector: not XML, or not a WPR profile") {
    CHECK(inspect_wprp("garbage").error().code == bp::Errc::corrupt);
    CHECK(inspect_wprp("<Foo/>").error().message ==
          "the root element is <Foo>; a WPR profile's root element is <WindowsPerformanceRecorder>");
}

TEST_CASE("inspector: all real profiles, as a table and as JSON") {
    const auto files = t::real_profiles();
    if (files.empty()) {
        WARN("skipped: no real profiles under " << BOOTPRINT_SHARED_DIR << "/wprp/profiles");
        return;
    }
    for (const auto& file : files) {
        INFO(file.string());
        auto text = read_source_file(file);
        REQUIRE(text);
        auto profiles = inspect_wprp(*text);
        REQUIRE(profiles);
        CHECK_FALSE(profiles->empty());
        for (const ProfileSummary& p : *profiles) {
            CHECK_FALSE(p.id.empty());
            CHECK((p.logging_mode == "File" || p.logging_mode == "Memory"));
            CHECK((p.detail_level == "Light" || p.detail_level == "Verbose"));
        }

        const auto table = t::run({BOOTPRINT_CLI, "profile", "inspect", file.string()});
        CHECK(table.exit_code == 0);
        CHECK(table.err.empty());
        CHECK_THAT(table.out,
                   Catch::StartsWith(file.string() + ": " + std::to_string(profiles->size()) + " profile"));
        for (const ProfileSummary& p : *profiles) CHECK_THAT(table.out, Catch::Contains(p.id));

        const auto json = t::run({BOOTPRINT_CLI, "profile", "inspect", "--json", file.string()});
        CHECK(json.exit_code == 0);
        const auto parsed = nlohmann::json::parse(json.out);
        REQUIRE(parsed["profiles"].size() == profiles->size());
        for (std::size_t i = 0; i < profiles->size(); ++i) {
            CHECK(parsed["profiles"][i]["id"] == (*profiles)[i].id);
            CHECK(parsed["profiles"][i]["keywords"].size() == (*profiles)[i].keywords.size());
        }
    }
}

TEST_CASE("inspector: the CLI refuses what is not a profile with exit status 2") {
    t::TempDir dir;
    const std::string file = (dir.path() / "x.wprp").string();
    t::write_file(file, std::string("\x7F"
                                    "ELF\x02\x01",
                                    6));
    const auto result = t::run({BOOTPRINT_CLI, "profile", "inspect", file});
    CHECK(result.exit_code == 2);
    CHECK(result.err == file + ": line 1: not XML: the first character is not '<'\n");
}
