// When a template runs: a periodic schedule in UTC with deterministic slots. Every schedule is
// "offset + k * period" seconds since the Unix epoch, so the slot a moment falls in is a pure function
// of the text and the moment (any controller instance computes the same slot).
//
//   daily 01:00  |  nightly at 01:00  |  weekly sat 02:30  |  every 90 minutes  |  every 6 hours
//
//   BP_TRY(Schedule s, Schedule::parse("nightly at 01:00"));
//   UnixSeconds slot = s.latest_slot(now);    // the newest slot start <= now
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bootprint/common/result.hpp"

namespace bp::controller {

class Schedule {
public:
    // Errc::invalid_argument with the accepted forms when `text` is not one of them.
    static Result<Schedule> parse(std::string_view text);

    std::int64_t latest_slot(std::int64_t now) const;  // newest slot start <= now
    std::int64_t next_slot(std::int64_t now) const;    // first slot start > now
    std::int64_t period() const { return period_; }
    // The canonical form ("daily 01:00", "weekly sat 02:30", "every 90 minutes").
    const std::string& text() const { return text_; }

private:
    Schedule(std::int64_t period, std::int64_t offset, std::string text)
        : period_(period), offset_(offset), text_(std::move(text)) {}
    std::int64_t period_;
    std::int64_t offset_;
    std::string text_;
};

// "2025-01-31T01:00:00Z"
std::string iso_utc(std::int64_t unix_seconds);
// Parses "2025-01-31", "2025-01-31T01:00:00Z" (also without seconds or Z) or plain unix seconds.
Result<std::int64_t> parse_time(std::string_view text);

}  // namespace bp::controller
