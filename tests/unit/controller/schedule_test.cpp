#include "bootprint/controller/schedule.hpp"

#include <catch2/catch.hpp>

using bp::controller::iso_utc;
using bp::controller::parse_time;
using bp::controller::Schedule;

namespace {
std::int64_t at(const char* iso) { return *parse_time(iso); }
}  // namespace

TEST_CASE("daily and nightly schedules have one slot per day at the given UTC time") {
    for (const char* text : {"daily 01:00", "nightly at 01:00", "Nightly 01:00", "daily at 01:00"}) {
        auto s = Schedule::parse(text);
        REQUIRE(s);
        CHECK(s->text() == "daily 01:00");
        CHECK(iso_utc(s->latest_slot(at("2025-01-31T00:59:59Z"))) == "2025-01-30T01:00:00Z");
        CHECK(iso_utc(s->latest_slot(at("2025-01-31T01:00:00Z"))) == "2025-01-31T01:00:00Z");
        CHECK(iso_utc(s->latest_slot(at("2025-01-31T23:00:00Z"))) == "2025-01-31T01:00:00Z");
        CHECK(iso_utc(s->next_slot(at("2025-01-31T23:00:00Z"))) == "2025-02-01T01:00:00Z");
    }
}

TEST_CASE("weekly schedules fall on the named day") {
    auto s = Schedule::parse("weekly sat 02:30");
    REQUIRE(s);
    CHECK(s->text() == "weekly sat 02:30");
    // 2025-02-01 is a Saturday.
    CHECK(iso_utc(s->latest_slot(at("2025-02-05T12:00:00Z"))) == "2025-02-01T02:30:00Z");
    CHECK(iso_utc(s->latest_slot(at("2025-02-01T02:29:00Z"))) == "2025-01-25T02:30:00Z");
    auto monday = Schedule::parse("weekly Monday at 00:00");
    REQUIRE(monday);
    CHECK(iso_utc(monday->latest_slot(at("2025-02-05T12:00:00Z"))) == "2025-02-03T00:00:00Z");
}

TEST_CASE("every N minutes or hours: slots aligned to the epoch") {
    auto s = Schedule::parse("every 90 minutes");
    REQUIRE(s);
    CHECK(s->period() == 5400);
    CHECK(s->latest_slot(10000) == 5400);
    CHECK(s->latest_slot(5400) == 5400);
    CHECK(s->latest_slot(5399) == 0);
    auto h = Schedule::parse("every 6 hours");
    REQUIRE(h);
    CHECK(iso_utc(h->latest_slot(at("2025-01-31T13:00:00Z"))) == "2025-01-31T12:00:00Z");
}

TEST_CASE("slots are deterministic and before the epoch too") {
    auto s = Schedule::parse("daily 01:00");
    REQUIRE(s);
    CHECK(s->latest_slot(-1) == -86400 + 3600);
    CHECK(s->latest_slot(123456789) == s->latest_slot(123456789));
}

TEST_CASE("malformed schedules are refused with the accepted forms") {
    for (const char* bad : {"", "daily", "daily 25:00", "daily 1:00x", "weekly xyz 01:00", "every 0 minutes",
                            "every -5 minutes", "every 5 fortnights", "hourly", "daily 01:60", "cron * * * * *"}) {
        auto s = Schedule::parse(bad);
        INFO(bad);
        REQUIRE_FALSE(s);
        CHECK(s.error().message.find("expected 'daily HH:MM'") != std::string::npos);
    }
}

TEST_CASE("times parse from ISO-8601 UTC, dates and unix seconds") {
    CHECK(*parse_time("1970-01-01") == 0);
    CHECK(*parse_time("2025-01-31T01:00:00Z") == 1738285200);
    CHECK(*parse_time("2025-01-31T01:00") == 1738285200);
    CHECK(*parse_time("1738285200") == 1738285200);
    CHECK(iso_utc(1738285200) == "2025-01-31T01:00:00Z");
    for (const char* bad : {"yesterday", "2025-13-01", "2025-02-30", "2025-01-31T01:00:00Zjunk", "'; DROP TABLE x"}) {
        INFO(bad);
        CHECK_FALSE(parse_time(bad));
    }
}
