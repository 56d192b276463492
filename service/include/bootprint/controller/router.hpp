// The controller's HTTP API as one function from request to response (docs/controller.md). No sockets
// and no Beast here: the server (http_server.hpp) calls route() for every request, and unit tests call
// it directly.
//
//   RouterConfig config{.enrol_secret = "lab", .admin_token = "admin"};
//   HttpResponse r = route(HttpRequest{"GET", "/v1/health", {}, ""}, store, clock, config);
//
// Every error answer is JSON {"error": "..."} with 400, 401, 403, 404, 405, 409, 413 or 500; a
// request that is refused writes nothing.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bootprint/common/result.hpp"
#include "bootprint/controller/clock.hpp"
#include "bootprint/controller/controller_store.hpp"
#include "bootprint/controller/http_types.hpp"
#include "bootprint/footprint/compare.hpp"

namespace bp::controller {

inline constexpr std::size_t kDefaultBodyLimit = 8u << 20;  // 8 MiB

struct RouterConfig {
    std::string enrol_secret;   // "" refuses every enrolment
    std::string admin_token;    // "" disables the admin API
    std::size_t body_limit = kDefaultBodyLimit;
    // The verdict rules of comparisons and nightly alerts (docs/regressions.md).
    footprint::CompareRules rules = footprint::CompareRules::defaults();
    // The dashboard's files (service/web): "/" and "/ui/..." are served from here; "" serves none.
    std::string web_root;
};

HttpResponse route(const HttpRequest& request, ControllerStore& store, const Clock& clock, const RouterConfig& config);

// "/v1/x?a=1&b=%20" → path "/v1/x", query {a: "1", b: " "}. Bad percent-encoding, a repeated parameter
// or an over-long target is Errc::invalid_argument.
struct Target {
    std::string path;
    std::map<std::string, std::string> query;
};
Result<Target> parse_target(std::string_view target);

// One CSV field: quoted when needed, and a leading = + - @ defused with a quote (spreadsheets would
// otherwise run it as a formula).
std::string csv_field(std::string_view text);

// A JSON array of objects as CSV: nested objects flattened with dots ("a.median"); the columns are
// `first_columns` (those the first row has), then the first row's other fields in key order; every
// field through csv_field().
std::string csv_of(const nlohmann::json& rows, const std::vector<std::string>& first_columns = {});

}  // namespace bp::controller
