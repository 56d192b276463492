#include "bootprint/profiles/validator.hpp"

#include <catch2/catch.hpp>

using namespace bp::profiles;

namespace {

// A minimal valid profile with hooks to vary each part.
std::string profile(
    const std::string& provider_body, const std::string& extra_definitions = "",
    const std::string& profile_attributes =
        R"(Id="P.Verbose.File" Name="P" Description="d" LoggingMode="File" DetailLevel="Verbose")") {
    return R"(<?xml version="1.0" encoding="utf-8"?>
<WindowsPerformanceRecorder Version="1.0">
  <Profiles>
    <SystemCollector Id="SC" Name="NT Kernel Logger"/>
    <SystemProvider Id="SP">)" +
           provider_body + R"(</SystemProvider>
)" + extra_definitions +
           R"(    <Profile )" + profile_attributes + R"(>
      <Collectors><SystemCollectorId Value="SC"><SystemProviderId Value="SP"/></SystemCollectorId></Collectors>
    </Profile>
  </Profiles>
</WindowsPerformanceRecorder>
)";
}

std::vector<std::string> errors(const std::string& text) {
    auto report = validate_wprp(text);
    REQUIRE(report);
    std::vector<std::string> out;
    for (const Diagnostic& d : report->diagnostics) out.push_back(format_diagnostic("f", d));
    return out;
}

}  // namespace

TEST_CASE("validator: a minimal profile is valid") {
    auto report = validate_wprp(profile("<Keywords><Keyword Value=\"Pool\"/></Keywords>"));
    REQUIRE(report);
    CHECK(report->ok());
    CHECK(report->diagnostics.empty());
    CHECK(report->profile_count == 1);
}

TEST_CASE("validator: pool tags") {
    CHECK(errors(profile("<PoolTags><PoolTag Value=\"ABCDE\"/></PoolTags>")) ==
          std::vector<std::string>{"f:5: <PoolTag>: value 'ABCDE' has 5 characters; a pool tag has 1 to 4"});
    CHECK(errors(profile("<PoolTags><PoolTag Value=\"\"/></PoolTags>")) ==
          std::vector<std::string>{"f:5: <PoolTag>: value '' is empty; a pool tag has 1 to 4 characters"});
    // Characters, not bytes, as in XSD: four accented letters are fine.
    CHECK(errors(profile("<PoolTags><PoolTag Value=\"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\"/></PoolTags>"))
              .empty());
    CHECK(errors(profile("<PoolTags><PoolTag Value=\"a\"/><PoolTag Value=\"b\"/><PoolTag Value=\"c\"/>"
                         "<PoolTag Value=\"d\"/><PoolTag Value=\"e\"/></PoolTags>")) ==
          std::vector<std::string>{
              "f:5: <PoolTag>: too many: <PoolTags> holds at most 4 <PoolTag>; this is the 5th "
              "(WPR filters on at most 4 pool tags per profile)"});
    CHECK(errors(profile("<PoolTags><PoolTag Value=\"a\"/><PoolTag Value=\"a\"/></PoolTags>")) ==
          std::vector<std::string>{
              "f:5: <PoolTag>: duplicate pool tag 'a' in <PoolTags> (first at line 5); each may "
              "appear once"});
    CHECK(errors(profile("<PoolTags/>")) ==
          std::vector<std::string>{
              "f:5: <PoolTags>: missing required child: <PoolTags> needs at least 1 <PoolTag>"});
}

TEST_CASE("validator: keyword and stack names") {
    CHECK(errors(profile("<Keywords><Keyword Value=\"ResidentSet\"/></Keywords>")) ==
          std::vector<std::string>{"f:5: <Keyword>: value 'ResidentSet' is not a system keyword WPR knows"});
    CHECK(errors(profile("<Keywords><Keyword Value=\"pool\"/></Keywords>")) ==
          std::vector<std::string>{
              "f:5: <Keyword>: value 'pool' is not a system keyword WPR knows; did you mean "
              "'Pool'? (names are case-sensitive)"});
    CHECK(errors(profile("<Stacks><Stack Value=\"PoolAlocation\"/></Stacks>")) ==
          std::vector<std::string>{
              "f:5: <Stack>: value 'PoolAlocation' is not a system stack WPR knows; did you "
              "mean 'PoolAllocation'?"});
    CHECK(errors(profile("<Keywords><Keyword Value=\"Pool\"/><Keyword Value=\"Pool\"/></Keywords>")).size() ==
          1);
    CHECK(errors(profile("<Stacks><CustomStack Value=\"0x0E20\"/><Stack Value=\"PoolFree\"/></Stacks>"))
              .empty());
    CHECK(errors(profile("<Keywords><CustomKeyword Value=\"0x1\"/></Keywords>")) ==
          std::vector<std::string>{"f:5: <CustomKeyword>: cannot come yet: <Keywords> needs <Keyword> before "
                                   "<CustomKeyword>"});
}

TEST_CASE("validator: element order and unknown elements") {
    CHECK(errors(profile(
              "<PoolTags><PoolTag Value=\"a\"/></PoolTags><Keywords><Keyword Value=\"Pool\"/></Keywords>")) ==
          std::vector<std::string>{
              "f:5: <Keywords>: out of order: <Keywords> must come before <PoolTags> inside "
              "<SystemProvider>"});
    CHECK(errors(profile("<Bogus/>")) ==
          std::vector<std::string>{
              "f:5: <Bogus>: not allowed inside <SystemProvider>; expected <Keywords>, "
              "<CaptureStateOnStart>, <CaptureStateOnSave>, <CaptureStateOnDemand>, <Stacks> "
              "or <PoolTags>"});
    const std::string no_profile =
        R"(<WindowsPerformanceRecorder Version="1"><Profiles/></WindowsPerformanceRecorder>)";
    CHECK(errors(no_profile) ==
          std::vector<std::string>{
              "f:1: <Profiles>: missing required child: <Profiles> needs at least 1 <Profile>"});
}

TEST_CASE("validator: Ids are unique across element types") {
    const auto e = errors(profile("", "    <EventProvider Id=\"SC\" Name=\"x\"/>\n"));
    CHECK(e == std::vector<std::string>{
                   "f:6: <EventProvider>: duplicate Id 'SC': already used by <SystemCollector> "
                   "at line 4; Ids must be unique across all collectors, providers and profiles"});
}

TEST_CASE("validator: naming rules") {
    CHECK(
        errors(profile(
            "", "",
            R"(Id="P.Verbose.File" Name="P x" Description="d" LoggingMode="File" DetailLevel="Verbose")")) ==
        std::vector<std::string>{"f:6: <Profile>: Name 'P x' contains whitespace; WPR Ids and names cannot"});
    CHECK(errors(profile(
              "", "",
              R"(Id="P.Light.File" Name="P" Description="d" LoggingMode="File" DetailLevel="Verbose")")) ==
          std::vector<std::string>{
              "f:6: <Profile>: Id 'P.Light.File' breaks WPR's naming rule "
              "Name.DetailLevel.LoggingMode; expected 'P.Verbose.File' (wpr selects profiles as "
              "file.wprp!Name.DetailLevel)"});
    CHECK(errors(profile("", "    <EventProvider Id=\"a:b\" Name=\"x\"/>\n")) ==
          std::vector<std::string>{"f:6: <EventProvider>: Id 'a:b' contains ':'; WPR Ids and names cannot"});
}

TEST_CASE("validator: attributes") {
    const auto e = errors(
        profile("", "", R"(Id="P.Verbose.File" Name="P" LoggingMode="Disk" DetailLevel="Verbose" X="1")"));
    REQUIRE(e.size() == 3);
    CHECK(e[0] == "f:6: <Profile>: LoggingMode 'Disk' is not a logging mode");
    CHECK(e[1] ==
          "f:6: <Profile>: attribute 'X' is not allowed; <Profile> takes Id, Name, Description, Base, "
          "LoggingMode, DetailLevel, Internal, Default");
    CHECK(e[2] == "f:6: <Profile>: missing required attribute 'Description'");
    const std::string buffers = R"(<WindowsPerformanceRecorder Version="x">
  <Profiles><SystemCollector Id="S"><Buffers Value="1e3"/><FileMax Value="17"/></SystemCollector>
  <Profile Id="P.Light.Memory" Name="P" Description="" LoggingMode="Memory" DetailLevel="Light"/></Profiles>
</WindowsPerformanceRecorder>)";
    CHECK(errors(buffers) ==
          std::vector<std::string>{"f:1: <WindowsPerformanceRecorder>: Version 'x' is not a number",
                                   "f:2: <Buffers>: value '1e3' is not a decimal number",
                                   "f:2: <FileMax>: value '17' is not an integer from 0 to 16"});
}

TEST_CASE("validator: text content, namespaces and foreign roots") {
    CHECK(errors(profile("hello")) ==
          std::vector<std::string>{
              "f:5: <SystemProvider>: text 'hello' is not allowed; <SystemProvider> contains "
              "only elements"});
    CHECK(errors("<Foo/>") ==
          std::vector<std::string>{"f:1: <Foo>: the root element is <Foo>; a WPR profile's root "
                                   "element is <WindowsPerformanceRecorder>"});
    CHECK(errors(R"(<WindowsPerformanceRecorder xmlns="urn:x" Version="1"/>)") ==
          std::vector<std::string>{
              "f:1: <WindowsPerformanceRecorder>: declares the namespace 'urn:x'; WPR profiles "
              "use no namespace (the schema has no target namespace)"});
}

TEST_CASE("validator: lines are those xmllint reports (end of the start tag)") {
    const std::string text =
        "<WindowsPerformanceRecorder\n Version=\"1\">\n<Profiles>\n<Profile\n Id=\"P.Verbose.File\""
        "\n Name=\"P\" Description=\"\" LoggingMode=\"File\" DetailLevel=\"Verbose\" Bad=\">\"\n/>"
        "</Profiles></WindowsPerformanceRecorder>";
    const auto e = errors(text);
    REQUIRE(e.size() == 1);
    CHECK_THAT(e[0], Catch::StartsWith("f:7: <Profile>: attribute 'Bad'"));
}

TEST_CASE("validator: garbage is an error, not a report") {
    for (const std::string& bad :
         {std::string(""), std::string("garbage"), std::string("<a><b></a>"), std::string("\x00\x01\x02", 3),
          std::string("<a/><b/>"), std::string("<a x=\"1\" x=\"2\"/>")}) {
        auto report = validate_wprp(bad);
        REQUIRE_FALSE(report);
        CHECK(report.error().code == bp::Errc::corrupt);
        CHECK_THAT(report.error().message, Catch::Contains("XML"));
    }
    CHECK(validate_wprp("<a x=\"1\" x=\"2\"/>").error().message ==
          "line 1: not well-formed XML: attribute 'x' appears twice in <a>");
}
