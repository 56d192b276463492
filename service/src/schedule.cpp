#include "bootprint/controller/schedule.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <vector>

namespace bp::controller {

namespace {

constexpr std::int64_t kMinute = 60;
constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kWeek = 7 * kDay;
constexpr std::array<const char*, 7> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
    const std::int64_t r = a % b;
    return r < 0 ? r + b : r;
}

std::vector<std::string> words_of(std::string_view text) {
    std::vector<std::string> words;
    std::string word;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (!word.empty()) words.push_back(std::move(word));
            word.clear();
        } else {
            word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
    }
    if (!word.empty()) words.push_back(std::move(word));
    return words;
}

bool parse_int(std::string_view s, std::int64_t& out) {
    if (s.empty()) return false;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

// "01:00" → seconds after midnight.
bool parse_hhmm(const std::string& s, std::int64_t& seconds) {
    const auto colon = s.find(':');
    if (colon == std::string::npos) return false;
    std::int64_t h = 0, m = 0;
    if (!parse_int(std::string_view(s).substr(0, colon), h) || !parse_int(std::string_view(s).substr(colon + 1), m)) {
        return false;
    }
    if (h < 0 || h > 23 || m < 0 || m > 59 || s.size() - colon != 3) return false;
    seconds = h * kHour + m * kMinute;
    return true;
}

std::string hhmm(std::int64_t seconds) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(seconds / kHour),
                  static_cast<int>(seconds % kHour / kMinute));
    return buf;
}

Error syntax_error(std::string_view text) {
    return make_error(Errc::invalid_argument,
                      "schedule '" + std::string(text) +
                          "': expected 'daily HH:MM', 'nightly at HH:MM', 'weekly DAY HH:MM' (DAY mon..sun), "
                          "'every N minutes' or 'every N hours' (UTC)");
}

}  // namespace

Result<Schedule> Schedule::parse(std::string_view text) {
    std::vector<std::string> w = words_of(text);
    // "at" is decoration: "nightly at 01:00", "weekly sat at 02:30".
    std::erase(w, std::string("at"));
    if (w.size() == 2 && (w[0] == "daily" || w[0] == "nightly")) {
        std::int64_t t = 0;
        if (!parse_hhmm(w[1], t)) return syntax_error(text);
        return Schedule(kDay, t, "daily " + hhmm(t));
    }
    if (w.size() == 3 && w[0] == "weekly") {
        std::int64_t t = 0;
        if (!parse_hhmm(w[2], t)) return syntax_error(text);
        for (std::size_t d = 0; d < kDays.size(); ++d) {
            if (w[1].size() >= 3 && w[1].compare(0, 3, kDays[d]) == 0) {
                // The epoch (1970-01-01) was a Thursday (d = 3).
                const auto offset = floor_mod(static_cast<std::int64_t>(d) - 3, 7) * kDay + t;
                return Schedule(kWeek, offset, std::string("weekly ") + kDays[d] + " " + hhmm(t));
            }
        }
        return syntax_error(text);
    }
    if (w.size() == 3 && w[0] == "every") {
        std::int64_t n = 0;
        if (!parse_int(w[1], n) || n < 1) return syntax_error(text);
        if ((w[2] == "minutes" || w[2] == "minute" || w[2] == "min") && n <= 7 * 24 * 60) {
            return Schedule(n * kMinute, 0, "every " + std::to_string(n) + " minutes");
        }
        if ((w[2] == "hours" || w[2] == "hour") && n <= 7 * 24) {
            return Schedule(n * kHour, 0, "every " + std::to_string(n) + " hours");
        }
    }
    return syntax_error(text);
}

std::int64_t Schedule::latest_slot(std::int64_t now) const { return now - floor_mod(now - offset_, period_); }

std::int64_t Schedule::next_slot(std::int64_t now) const { return latest_slot(now) + period_; }

std::string iso_utc(std::int64_t unix_seconds) {
    using namespace std::chrono;
    const sys_seconds t{seconds{unix_seconds}};
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss<seconds> hms{t - day};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

Result<std::int64_t> parse_time(std::string_view text) {
    std::int64_t plain = 0;
    if (parse_int(text, plain)) return plain;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    const std::string t(text);
    char tail[4] = {};
    const int n = std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%3s", &y, &mo, &d, &h, &mi, &s, tail);
    const bool shape_ok = (n == 3 && t.size() == 10) || n == 5 || n == 6 || (n == 7 && std::string(tail) == "Z");
    if (!shape_ok || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
        s > 60) {
        return make_error(Errc::invalid_argument,
                          "time '" + t + "': expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z] (UTC) or unix seconds");
    }
    using namespace std::chrono;
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return make_error(Errc::invalid_argument, "time '" + t + "': no such date");
    const auto base = sys_days{ymd}.time_since_epoch();
    return duration_cast<seconds>(base).count() + h * kHour + mi * kMinute + s;
}

}  // namespace bp::controller
