#include "bootprint/profiles/wpr_names.hpp"

#include <catch2/catch.hpp>

#include <regex>

#include "profiles_test_support.hpp"

using namespace bp::profiles;
namespace t = bp::profiles::testing;

namespace {
// The xs:enumeration values of one simpleType of the XSD, in order.
std::vector<std::string> xsd_enumeration(const std::string& xsd, const std::string& type) {
    const auto begin = xsd.find("<xs:simpleType name=\"" + type + "\">");
    const auto end = xsd.find("</xs:simpleType>", begin);
    std::vector<std::string> values;
    const std::regex value(R"re(<xs:enumeration value="([^"]*)"/>)re");
    const std::string body = xsd.substr(begin, end - begin);
    for (auto it = std::sregex_iterator(body.begin(), body.end(), value); it != std::sregex_iterator();
         ++it) {
        values.push_back((*it)[1]);
    }
    return values;
}
}  // namespace

TEST_CASE("wpr names: lookups") {
    CHECK(is_system_keyword("Pool"));
    CHECK_FALSE(is_system_keyword("ResidentSet"));
    CHECK(is_system_stack("PoolAllocationSession"));
    CHECK_FALSE(is_system_stack("Pool"));
}

TEST_CASE("wpr names: the tables equal the enumerations of WPR's XSD") {
    const auto xsd_path = t::wpr_xsd();
    if (!xsd_path) {
        WARN("skipped: " << BOOTPRINT_SHARED_DIR << "/wprp/xsd not found");
        return;
    }
    const std::string xsd = t::read_file(*xsd_path);
    CHECK(std::vector<std::string>(system_keywords().begin(), system_keywords().end()) ==
          xsd_enumeration(xsd, "SystemKeywordEnumeration"));
    CHECK(std::vector<std::string>(system_stacks().begin(), system_stacks().end()) ==
          xsd_enumeration(xsd, "SystemStackEnumeration"));
}
