#include "bootprint/report/report.hpp"

#include <catch2/catch.hpp>

#include "bootprint/report/controller_client.hpp"
#include "support/controller_support.hpp"

using bp::Errc;
using nlohmann::json;

namespace {

json valid() { return json::parse(bp::test::make_report("7", "lab-01", "nightly@x", "26100.1", 2).body); }

std::string message_of(const json& doc) {
    auto s = bp::report::validate_report(doc);
    REQUIRE_FALSE(s);
    return s.error().message;
}

}  // namespace

TEST_CASE("a generated version-1 report validates") {
    CHECK(bp::report::validate_report(valid()));
    auto parsed = bp::report::parse_report(valid().dump());
    REQUIRE(parsed);
    CHECK((*parsed)["iteration"] == 2);
}

TEST_CASE("schema and version are checked first") {
    json doc = valid();
    doc["schema"] = "something.else";
    CHECK(message_of(doc).find("schema") != std::string::npos);
    doc = valid();
    doc["schema_version"] = 2;
    auto s = bp::report::validate_report(doc);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == Errc::unsupported);
    CHECK(s.error().message.find("supported: 1") != std::string::npos);
    doc.erase("schema_version");
    CHECK(message_of(doc).find("schema_version") != std::string::npos);
}

TEST_CASE("field errors name the JSON path") {
    json doc = valid();
    doc["trace"]["sha256"] = "ABC";
    CHECK(message_of(doc) == "trace.sha256: expected 64 lower-case hex digits");
    doc = valid();
    doc["pool"][1]["type"] = "XXXX";
    CHECK(message_of(doc).rfind("pool[1].type: expected one of AIFI", 0) == 0);
    doc = valid();
    doc["pool"][0]["tag"] = "TOOLONG";
    CHECK(message_of(doc).rfind("pool[0].tag", 0) == 0);
    doc = valid();
    doc["drivers"][0]["active_bytes"] = -1;
    CHECK(message_of(doc).rfind("drivers[0].active_bytes", 0) == 0);
    doc = valid();
    doc["campaign"].erase("build");
    CHECK(message_of(doc) == "campaign.build: required string is missing");
    doc = valid();
    doc["idempotency_key"] = "short";
    CHECK(message_of(doc).rfind("idempotency_key", 0) == 0);
    doc = valid();
    doc["iteration"] = "3";
    CHECK(message_of(doc).rfind("iteration: expected an integer", 0) == 0);
    CHECK(message_of(json::array()).find("expected a JSON object") != std::string::npos);
}

TEST_CASE("malformed JSON is invalid_argument with an offset") {
    auto r = bp::report::parse_report("{\"schema\": ");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::invalid_argument);
    CHECK(r.error().has_offset);
}

TEST_CASE("idempotency key and FILETIME conversion") {
    CHECK(bp::report::idempotency_key("a1", "nightly", 3, "ff") == "a1/nightly/3/ff");
    CHECK(bp::report::filetime_to_unix(116444736000000000) == 0);
    CHECK(bp::report::filetime_to_unix(0) == 0);
}

TEST_CASE("controller URLs") {
    auto a = bp::report::parse_url("http://127.0.0.1:8420");
    REQUIRE(a);
    CHECK(a->host == "127.0.0.1");
    CHECK(a->port == 8420);
    CHECK_FALSE(a->tls);
    auto b = bp::report::parse_url("https://ctl.lab/");
    REQUIRE(b);
    CHECK(b->tls);
    CHECK(b->port == 443);
    auto c = bp::report::parse_url("https://[::1]:9000");
    REQUIRE(c);
    CHECK(c->host == "::1");
    CHECK(c->port == 9000);
    CHECK_FALSE(bp::report::parse_url("ftp://x"));
    CHECK_FALSE(bp::report::parse_url("http://x:0"));
    CHECK_FALSE(bp::report::parse_url("http://x:99999"));
    CHECK_FALSE(bp::report::parse_url("http://:80"));
}

TEST_CASE("HTTP statuses map to transient or permanent errors") {
    using bp::report::HttpReply;
    CHECK(bp::report::status_to_error(HttpReply{201, "", ""}, "x"));
    CHECK(bp::report::is_transient(bp::report::status_to_error(HttpReply{503, "", ""}, "x").error()));
    CHECK(bp::report::is_transient(bp::report::status_to_error(HttpReply{401, "", ""}, "x").error()));
    auto bad = bp::report::status_to_error(HttpReply{400, "application/json", R"({"error":"no"})"}, "upload");
    CHECK_FALSE(bp::report::is_transient(bad.error()));
    CHECK(bad.error().message == "upload: HTTP 400: no");
    CHECK_FALSE(bp::report::is_transient(bp::report::status_to_error(HttpReply{413, "", ""}, "x").error()));
    CHECK_FALSE(bp::report::is_transient(bp::report::status_to_error(HttpReply{409, "", ""}, "x").error()));
}
