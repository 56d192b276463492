#include "bootprint/profiles/pool_tag.hpp"

#include <catch2/catch.hpp>

using namespace bp::profiles;

namespace {
std::string refusal(const bp::Status& s) {
    return s ? std::string() : s.error().message;
}
}  // namespace

TEST_CASE("pool tags: accepted forms") {
    for (const char* tag : {"A", "Irp ", "Mm*", "Nt?f", "a?c*", "&<\">", "Ab c"}) {
        INFO(tag);
        CHECK(check_pool_tag(tag));
    }
}

TEST_CASE("pool tags: every refusal names the tag and says why") {
    CHECK(refusal(check_pool_tag("ABCDE")) == "pool tag 'ABCDE': has 5 characters; a pool tag has 1 to 4");
    CHECK_THAT(refusal(check_pool_tag("")), Catch::Contains("is empty"));
    CHECK_THAT(refusal(check_pool_tag("A\x01")),
               Catch::Contains("'A\\x01'") && Catch::Contains("character 2"));
    CHECK_THAT(refusal(check_pool_tag("\xC3\xA9t")), Catch::Contains("not printable ASCII"));
    CHECK_THAT(refusal(check_pool_tag(" Irp")), Catch::Contains("starts with a space"));
    CHECK_THAT(refusal(check_pool_tag("A*b")), Catch::Contains("'*'") && Catch::Contains("last character"));
    CHECK_THAT(refusal(check_pool_tag("*")), Catch::Contains("matches every tag"));
    CHECK(check_pool_tag("ABCDE").error().code == bp::Errc::invalid_argument);
}

TEST_CASE("pool tags: list parsing keeps spaces, refuses duplicates with positions") {
    auto tags = parse_pool_tag_list("Irp ,Mm*,Ntf?");
    REQUIRE(tags);
    CHECK(*tags == std::vector<std::string>{"Irp ", "Mm*", "Ntf?"});
    CHECK(parse_pool_tag_list("")->empty());

    auto dup = parse_pool_tag_list("Abc,Def,Abc");
    REQUIRE_FALSE(dup);
    CHECK(dup.error().message == "pool tag 'Abc' (#3): repeats #1; each tag may appear once");

    auto empty = parse_pool_tag_list("Abc,,Def");
    REQUIRE_FALSE(empty);
    CHECK_THAT(empty.error().message, Catch::StartsWith("pool tag '' (#2): is empty"));

    auto stray_space = parse_pool_tag_list("Abc, Def");
    REQUIRE_FALSE(stray_space);
    CHECK_THAT(stray_space.error().message, Catch::Contains("' Def' (#2)") && Catch::Contains("stray space"));

    auto long_tag = parse_pool_tag_list("Abc,Defgh");
    REQUIRE_FALSE(long_tag);
    CHECK(long_tag.error().message == "pool tag 'Defgh' (#2): has 5 characters; a pool tag has 1 to 4");
}

TEST_CASE("pool tags: groups of at most four, in input order") {
    CHECK(group_pool_tags({}).empty());
    CHECK(group_pool_tags({"a", "b", "c", "d"}) ==
          std::vector<std::vector<std::string>>{{"a", "b", "c", "d"}});
    CHECK(group_pool_tags({"a", "b", "c", "d", "e", "f", "g", "h", "i"}) ==
          std::vector<std::vector<std::string>>{{"a", "b", "c", "d"}, {"e", "f", "g", "h"}, {"i"}});
}
