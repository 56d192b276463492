// The validator against the 21 real profiles of ../shared/wprp/profiles and against mutated copies of
// them, side by side with xmllint and WPR's XSD: both must accept the originals and refuse each mutation
// at the same line and element, for the same reason.
#include "bootprint/profiles/validator.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <pugixml.hpp>
#include <set>

#include "bootprint/profiles/source_text.hpp"
#include "profiles_test_support.hpp"

using namespace bp::profiles;
namespace t = bp::profiles::testing;

namespace {

struct Mutation {
    std::string name;
    // Changes the document; false if the file has nothing to mutate.
    std::function<bool(pugi::xml_document&)> apply;
    std::string element;           // the element both tools must name
    std::string bootprint_phrase;  // in our message
    std::string xmllint_phrase;    // in xmllint's message
};

pugi::xml_node first(pugi::xml_document& doc, const char* xpath) {
    return doc.select_node(xpath).node();
}

bool add_pool_tags(pugi::xml_document& doc, const std::vector<std::string>& tags) {
    pugi::xml_node provider = first(doc, "//SystemProvider[not(PoolTags)]");
    if (!provider) return false;
    pugi::xml_node list = provider.append_child("PoolTags");
    for (const std::string& tag : tags) {
        list.append_child(pugi::node_pcdata).set_value("\n");
        list.append_child("PoolTag").append_attribute("Value").set_value(tag.c_str());
    }
    return true;
}

std::vector<Mutation> mutations() {
    return {
        {"five tags",
         [](pugi::xml_document& d) {
             return add_pool_tags(d, {"a", "b", "c", "d", "e"});
         },
         "PoolTag", "too many: <PoolTags> holds at most 4 <PoolTag>", "This element is not expected"},
        {"five-character tag", [](pugi::xml_document& d) { return add_pool_tags(d, {"ABCDE"}); }, "PoolTag",
         "value 'ABCDE' has 5 characters; a pool tag has 1 to 4", "[facet 'maxLength']"},
        {"duplicate id across types",
         [](pugi::xml_document& d) {
             pugi::xml_node collector = first(d, "/WindowsPerformanceRecorder/Profiles/SystemCollector");
             pugi::xml_node provider = first(d, "/WindowsPerformanceRecorder/Profiles/SystemProvider");
             if (!collector || !provider) return false;
             provider.attribute("Id").set_value(collector.attribute("Id").value());
             return true;
         },
         "SystemProvider", "duplicate Id", "Duplicate key-sequence"},
        {"duplicate id",
         [](pugi::xml_document& d) {
             pugi::xml_node definition = first(d, "/WindowsPerformanceRecorder/Profiles/*[@Id][1]");
             if (!definition) return false;
             pugi::xml_node copy = definition.parent().insert_copy_after(definition, definition);
             definition.parent().insert_child_before(pugi::node_pcdata, copy).set_value("\n");
             return true;
         },
         "", "duplicate Id", "Duplicate key-sequence"},
        {"unknown keyword",
         [](pugi::xml_document& d) {
             pugi::xml_node keyword = first(d, "//SystemProvider/Keywords/Keyword");
             if (!keyword) return false;
             keyword.attribute("Value").set_value("ResidentSet");
             return true;
         },
         "Keyword", "value 'ResidentSet' is not a system keyword WPR knows", "[facet 'enumeration']"},
        {"elements out of order",
         [](pugi::xml_document& d) {
             pugi::xml_node profiles = first(d, "/WindowsPerformanceRecorder/Profiles");
             pugi::xml_node profile = profiles.child("Profile");
             pugi::xml_node head =
                 profiles.find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; });
             if (!profile || head == profile) return false;
             profiles.insert_move_before(profile, head);
             return true;
         },
         "", "out of order: <", "This element is not expected"},
    };
}

}  // namespace

TEST_CASE("validator corpus: all real profiles are valid, as for xmllint") {
    const auto files = t::real_profiles();
    if (files.empty()) {
        WARN("skipped: no real profiles under " << BOOTPRINT_SHARED_DIR << "/wprp/profiles");
        return;
    }
    CHECK(files.size() == 21);
    for (const auto& file : files) {
        INFO(file.string());
        auto text = read_source_file(file);
        REQUIRE(text);
        auto report = validate_wprp(*text);
        REQUIRE(report);
        for (const Diagnostic& d : report->diagnostics) UNSCOPED_INFO(format_diagnostic(file.string(), d));
        CHECK(report->diagnostics.empty());
        CHECK(report->profile_count > 0);
    }
}

TEST_CASE("validator corpus: mutated copies are refused by bootprint and xmllint alike") {
    const auto files = t::real_profiles();
    const auto xsd = t::wpr_xsd();
    if (files.empty() || !xsd) {
        WARN("skipped: " << BOOTPRINT_SHARED_DIR << "/wprp not found");
        return;
    }
    if (!t::have_xmllint()) {
        WARN("skipped: xmllint not installed (apt-get install libxml2-utils)");
        return;
    }
    t::TempDir dir;
    for (const Mutation& mutation : mutations()) {
        int mutated = 0;
        for (const auto& original : files) {
            pugi::xml_document doc;
            const unsigned options =
                pugi::parse_default | pugi::parse_ws_pcdata | pugi::parse_comments | pugi::parse_declaration;
            REQUIRE(doc.load_file(original.c_str(), options));
            if (!mutation.apply(doc)) continue;
            ++mutated;
            const std::string file = (dir.path() / original.filename()).string();
            REQUIRE(doc.save_file(file.c_str(), "", pugi::format_raw));
            INFO(mutation.name << ": " << original.filename().string());

            const auto ours = t::run({BOOTPRINT_CLI, "profile", "validate", file});
            const auto theirs = t::run({"xmllint", "--noout", "--schema", xsd->string(), file});
            INFO("bootprint:\n" << ours.err << "xmllint:\n" << theirs.err);
            CHECK(ours.exit_code == 1);
            CHECK(theirs.exit_code != 0);

            const auto our_errors = t::bootprint_errors(file, ours.err);
            const auto their_errors = t::xmllint_errors(file, theirs.err);
            REQUIRE_FALSE(our_errors.empty());
            REQUIRE_FALSE(their_errors.empty());

            // Both report on the same lines.
            std::set<std::size_t> our_lines, their_lines;
            for (const auto& m : our_errors) our_lines.insert(m.line);
            for (const auto& m : their_errors) their_lines.insert(m.line);
            CHECK(our_lines == their_lines);

            // On the first of them, both name the same element and give the mutation's reason.
            const std::size_t line = *their_lines.begin();
            auto at_line = [line](const std::vector<t::Message>& ms, const std::string& phrase) {
                return std::any_of(ms.begin(), ms.end(), [&](const t::Message& m) {
                    return m.line == line && m.text.find(phrase) != std::string::npos;
                });
            };
            CHECK(at_line(our_errors, mutation.bootprint_phrase));
            CHECK(at_line(their_errors, mutation.xmllint_phrase));
            for (const auto& m : our_errors) {
                if (m.line != line) continue;
                const bool same_element = std::any_of(
                    their_errors.begin(), their_errors.end(),
                    [&](const t::Message& x) { return x.line == line && x.element == m.element; });
                CHECK(same_element);
                if (!mutation.element.empty()) CHECK(m.element == mutation.element);
            }
        }
        INFO(mutation.name);
        CHECK(mutated >= 10);  // most of the 21 files have something to mutate
    }
}

TEST_CASE("validator corpus: the CLI's exit statuses") {
    t::TempDir dir;
    const std::string garbage = (dir.path() / "garbage.wprp").string();
    t::write_file(garbage, "this is not XML\n");
    auto result = t::run({BOOTPRINT_CLI, "profile", "validate", garbage});
    CHECK(result.exit_code == 2);
    CHECK(result.err == garbage + ": line 1: not XML: the first character is not '<'\n");

    result = t::run({BOOTPRINT_CLI, "profile", "validate", (dir.path() / "missing.wprp").string()});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("cannot open file for reading"));

    const std::string bad = (dir.path() / "bad.wprp").string();
    t::write_file(bad,
                  "<WindowsPerformanceRecorder Version=\"1\"><Profiles/></WindowsPerformanceRecorder>\n");
    result = t::run({BOOTPRINT_CLI, "profile", "validate", bad});
    CHECK(result.exit_code == 1);
    CHECK(result.err ==
          bad + ":1: <Profiles>: missing required child: <Profiles> needs at least 1 <Profile>\n" + bad +
              ": invalid (1 error)\n");
}
