#include "bootprint/profiles/templates.hpp"

#include <catch2/catch.hpp>

#include "bootprint/profiles/validator.hpp"
#include "profiles_test_support.hpp"

using namespace bp::profiles;
namespace t = bp::profiles::testing;

TEST_CASE("templates: embedded copies equal profiles/templates/ and load into the model") {
    for (BaseTemplate base : kBaseTemplates) {
        const std::string name(template_file_name(base));
        INFO(name);
        const t::fs::path source = t::fs::path(BOOTPRINT_SOURCE_DIR) / "profiles" / "templates" / name;
        CHECK(template_text(base) == t::read_file(source));
        auto doc = load_template(base);
        REQUIRE(doc);
        CHECK(doc->system_collectors.size() == 1);
        CHECK(doc->system_providers.size() == 1);
        CHECK(validate_wprp(template_text(base))->diagnostics.empty());
    }
}

TEST_CASE("templates: each is a valid WPR profile for xmllint") {
    const auto xsd = t::wpr_xsd();
    if (!xsd || !t::have_xmllint()) {
        WARN("skipped: needs xmllint and " << BOOTPRINT_SHARED_DIR << "/wprp/xsd");
        return;
    }
    for (BaseTemplate base : kBaseTemplates) {
        const t::fs::path source = t::fs::path(BOOTPRINT_SOURCE_DIR) / "profiles" / "templates" /
                                   std::string(template_file_name(base));
        const auto result = t::run({"xmllint", "--noout", "--schema", xsd->string(), source.string()});
        INFO(result.err);
        CHECK(result.exit_code == 0);
    }
}
