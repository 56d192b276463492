#include "bootprint/controller/router.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "bootprint/controller/auth.hpp"
#include "bootprint/controller/regressions.hpp"
#include "bootprint/controller/report_facts.hpp"
#include "bootprint/controller/schedule.hpp"
#include "bootprint/report/report.hpp"

namespace bp::controller {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxTarget = 4096;

HttpResponse json_response(int status, const json& body) {
    HttpResponse r;
    r.status = status;
    r.body = body.dump();
    return r;
}

HttpResponse error_response(int status, const std::string& message) {
    return json_response(status, json{{"error", message}});
}

int status_of(Errc code) {
    switch (code) {
        case Errc::invalid_argument:
        case Errc::unsupported:
        case Errc::corrupt:
        case Errc::truncated: return 400;
        case Errc::not_found: return 404;
        case Errc::conflict: return 409;
        default: return 500;
    }
}

// Like BP_TRY, for handlers: an error becomes its HTTP answer.
#define BP_TRY_RESPONSE_IMPL(tmp, decl, expr)     \
    auto tmp = (expr);                            \
    if (!tmp) return from_error(tmp.error());     \
    decl = std::move(tmp).value()
#define BP_TRY_RESPONSE(decl, expr) BP_TRY_RESPONSE_IMPL(BP_CONCAT(bp_response_, __LINE__), decl, expr)
#define BP_TRY_RESPONSE_STATUS(expr)                           \
    do {                                                       \
        auto bp_response_status_ = (expr);                     \
        if (!bp_response_status_) return from_error(bp_response_status_.error()); \
    } while (0)

HttpResponse from_error(const Error& e) {
    const int status = status_of(e.code);
    if (status == 500) spdlog::error("request failed: {}", e.describe());
    // Store failures are logged by the server with the request; the client gets no SQL or paths.
    return error_response(status, status == 500 ? "internal error (" + std::string(to_string(e.code)) + ")"
                                                : e.message);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Result<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%') {
            const int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
            const int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) return make_error(Errc::invalid_argument, "bad percent-encoding in the query");
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

Result<std::int64_t> parse_int(std::string_view name, std::string_view text, std::int64_t min, std::int64_t max) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
        return make_error(Errc::invalid_argument, std::string(name) + ": expected an integer from " +
                                                      std::to_string(min) + " to " + std::to_string(max));
    }
    return v;
}

Result<json> json_body(const HttpRequest& req) {
    json doc = json::parse(req.body, nullptr, false);
    if (doc.is_discarded()) return make_error(Errc::invalid_argument, "the body is not valid JSON");
    if (!doc.is_object()) return make_error(Errc::invalid_argument, "the body must be a JSON object");
    return doc;
}

std::string string_member(const json& doc, const char* name, const std::string& fallback = {}) {
    const auto it = doc.find(name);
    if (it == doc.end() || !it->is_string()) return fallback;
    return it->get<std::string>();
}

Status check_text(const char* name, const std::string& value, std::size_t max, bool required) {
    if (required && value.empty()) return make_error(Errc::invalid_argument, std::string(name) + " is required");
    if (value.size() > max) {
        return make_error(Errc::invalid_argument, std::string(name) + " is longer than " + std::to_string(max));
    }
    return {};
}

// Checks a template's spec and returns it in canonical form.
Result<json> template_spec(const json& spec) {
    if (!spec.is_object()) return make_error(Errc::invalid_argument, "spec: expected an object");
    json out = json::object();
    const auto tags = spec.find("tags");
    if (tags == spec.end() || !tags->is_array() || tags->empty()) {
        return make_error(Errc::invalid_argument, "spec.tags: expected a non-empty array of pool tags");
    }
    if (tags->size() > 256) return make_error(Errc::invalid_argument, "spec.tags: at most 256 tags");
    for (const auto& t : *tags) {
        if (!t.is_string() || t.get_ref<const std::string&>().empty() || t.get_ref<const std::string&>().size() > 4) {
            return make_error(Errc::invalid_argument, "spec.tags: every tag is a string of 1 to 4 characters");
        }
    }
    out["tags"] = *tags;
    const auto it = spec.find("iterations");
    if (it != spec.end()) {
        if (!it->is_number_integer() || it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > 1000) {
            return make_error(Errc::invalid_argument, "spec.iterations: expected an integer from 1 to 1000");
        }
        out["iterations"] = *it;
    } else {
        out["iterations"] = 5;
    }
    for (const char* flag : {"resident_set", "triage"}) {
        const auto f = spec.find(flag);
        if (f != spec.end() && !f->is_boolean()) {
            return make_error(Errc::invalid_argument, std::string("spec.") + flag + ": expected true or false");
        }
        out[flag] = f != spec.end() && f->get<bool>();
    }
    out["disable_paging_executive"] = "on";
    if (const auto dpe = spec.find("disable_paging_executive"); dpe != spec.end()) {
        if (!dpe->is_string() || (*dpe != "on" && *dpe != "off" && *dpe != "keep")) {
            return make_error(Errc::invalid_argument, "spec.disable_paging_executive: expected on, off or keep");
        }
        out["disable_paging_executive"] = *dpe;
    }
    out["labels"] = json::object();
    if (const auto labels = spec.find("labels"); labels != spec.end()) {
        if (!labels->is_object()) return make_error(Errc::invalid_argument, "spec.labels: expected an object");
        for (const auto& [k, v] : labels->items()) {
            if (!v.is_string()) return make_error(Errc::invalid_argument, "spec.labels." + k + ": expected a string");
        }
        out["labels"] = *labels;
    }
    return out;
}

json agent_json(const AgentRecord& a) {
    return json{{"id", a.id},
                {"machine", a.info.machine},
                {"group", a.info.group},
                {"agent_version", a.info.agent_version},
                {"os_build", a.info.os_build},
                {"campaign_state", a.campaign_state},
                {"enrolled_at", iso_utc(a.enrolled_at)},
                {"last_seen_at", iso_utc(a.last_seen_at)},
                {"disabled", a.disabled},
                {"valid_tokens", a.valid_tokens}};
}

std::string campaign_name(const JobRecord& j) {
    // "nightly@2025-01-31T01:00Z": the template and the slot, readable and unique per slot.
    std::string iso = iso_utc(j.slot);
    iso.erase(16, 3);  // drop ":SS"
    return j.template_name + "@" + iso;
}

std::string format_number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

// The request's handler state: who is calling.
struct Caller {
    std::optional<AgentRecord> agent;
    bool admin = false;
};

class Handler {
public:
    Handler(const HttpRequest& req, ControllerStore& store, const Clock& clock, const RouterConfig& config)
        : req_(req), store_(store), clock_(clock), config_(config) {}

    HttpResponse run() {
        if (req_.target.size() > kMaxTarget) return error_response(400, "request target is too long");
        auto target = parse_target(req_.target);
        if (!target) return error_response(400, target.error().message);
        target_ = std::move(*target);
        if (req_.body.size() > config_.body_limit) {
            return error_response(413, "request body is larger than " + std::to_string(config_.body_limit) + " bytes");
        }
        const std::string& p = target_.path;
        const std::vector<std::string> segments = split(p);

        if (p == "/v1/health") return only("GET", [&] { return health(); });
        if (p == "/v1/enrol") return only("POST", [&] { return enrol(); });
        if (p == "/v1/heartbeat") return only("POST", [&] { return as_agent([&] { return heartbeat(); }); });
        if (p == "/v1/jobs") return only("GET", [&] { return as_agent([&] { return poll_jobs(); }); });
        if (segments.size() == 4 && segments[0] == "v1" && segments[1] == "jobs" && segments[3] == "state") {
            return only("POST", [&] { return as_agent([&] { return job_state(segments[2]); }); });
        }
        if (p == "/v1/reports") return only("POST", [&] { return as_agent([&] { return upload(); }); });
        if (p == "/v1/history/series") return only("GET", [&] { return as_reader([&] { return series(); }); });
        if (p == "/v1/history/reports") return only("GET", [&] { return as_reader([&] { return reports(); }); });
        if (p == "/v1/history/keys") return only("GET", [&] { return as_reader([&] { return keys(); }); });
        if (p == "/v1/fleet") return only("GET", [&] { return as_reader([&] { return fleet(); }); });
        if (p == "/v1/builds") return only("GET", [&] { return as_reader([&] { return builds(); }); });
        if (p == "/v1/campaigns") return only("GET", [&] { return as_reader([&] { return campaigns(); }); });
        if (segments.size() == 3 && segments[0] == "v1" && segments[1] == "campaigns") {
            return only("GET", [&] { return as_reader([&] { return campaign(segments[2]); }); });
        }
        if (p == "/v1/compare") return only("GET", [&] { return as_reader([&] { return compare_builds(); }); });
        if (p == "/v1/alerts") return only("GET", [&] { return as_reader([&] { return list_alerts(); }); });
        if (segments.size() == 5 && segments[0] == "v1" && segments[1] == "admin" && segments[2] == "campaigns" &&
            segments[4] == "alerts") {
            return only("POST", [&] { return as_admin([&] { return recompute_alerts(segments[3]); }); });
        }
        if (p == "/" || p == "/index.html" || (segments.size() >= 2 && segments[0] == "ui")) {
            return only("GET", [&] { return static_file(p); });
        }
        if (p == "/v1/admin/agents") return only("GET", [&] { return as_admin([&] { return list_agents(); }); });
        if (segments.size() == 5 && segments[0] == "v1" && segments[1] == "admin" && segments[2] == "agents" &&
            segments[4] == "revoke") {
            return only("POST", [&] { return as_admin([&] { return revoke(segments[3]); }); });
        }
        if (p == "/v1/admin/templates") {
            if (req_.method == "GET") return as_admin([&] { return list_templates(); });
            return only("POST", [&] { return as_admin([&] { return put_template(); }); }, "GET, POST");
        }
        if (p == "/v1/admin/assignments") {
            if (req_.method == "GET") return as_admin([&] { return list_assignments(); });
            return only("POST", [&] { return as_admin([&] { return assign(); }); }, "GET, POST");
        }
        if (p == "/v1/admin/stats") return only("GET", [&] { return as_admin([&] { return stats(); }); });
        return error_response(404, "no such endpoint: " + p.substr(0, 200));
    }

private:
    static std::vector<std::string> split(const std::string& path) {
        std::vector<std::string> out;
        std::size_t at = 0;
        while (at < path.size()) {
            const auto next = path.find('/', at);
            const auto end = next == std::string::npos ? path.size() : next;
            if (end > at) out.push_back(path.substr(at, end - at));
            at = end + 1;
        }
        return out;
    }

    HttpResponse only(const char* method, const std::function<HttpResponse()>& f, const char* allow = nullptr) {
        if (req_.method != method) {
            HttpResponse r = error_response(405, "method " + req_.method.substr(0, 20) + " is not allowed here");
            r.headers.emplace_back("Allow", allow ? allow : method);
            return r;
        }
        return f();
    }

    std::string_view token() const { return bearer_token(req_.header("authorization")); }

    bool is_admin() const {
        const auto t = token();
        if (config_.admin_token.empty() || t.empty()) return false;
        return constant_time_equal(token_hash(t), token_hash(config_.admin_token));
    }

    // Resolves an agent token; false with the response set when it is missing or refused.
    bool authenticate_agent(HttpResponse& refused) {
        const auto t = token();
        if (t.empty()) {
            refused = error_response(401, "missing bearer token");
            return false;
        }
        auto agent = store_.authenticate(token_hash(t));
        if (!agent) {
            refused = from_error(agent.error());
            return false;
        }
        if (!*agent) {
            refused = error_response(401, "token refused (unknown or revoked); enrol again");
            return false;
        }
        caller_.agent = std::move(**agent);
        return true;
    }

    HttpResponse as_agent(const std::function<HttpResponse()>& f) {
        HttpResponse refused;
        if (!authenticate_agent(refused)) return refused;
        return f();
    }

    HttpResponse as_admin(const std::function<HttpResponse()>& f) {
        if (config_.admin_token.empty()) return error_response(403, "the admin API is disabled (no admin token set)");
        if (!is_admin()) return error_response(401, "admin token required");
        caller_.admin = true;
        return f();
    }

    // History readers: the admin token or any valid agent token.
    HttpResponse as_reader(const std::function<HttpResponse()>& f) {
        if (is_admin()) {
            caller_.admin = true;
            return f();
        }
        return as_agent(f);
    }

    Status allow_params(std::initializer_list<const char*> names) const {
        std::set<std::string> allowed(names.begin(), names.end());
        for (const auto& [name, value] : target_.query) {
            if (!allowed.contains(name)) {
                return make_error(Errc::invalid_argument, "unknown query parameter '" + name.substr(0, 40) + "'");
            }
            if (value.size() > 400) {
                return make_error(Errc::invalid_argument, "query parameter '" + name + "' is too long");
            }
        }
        return {};
    }

    std::optional<std::string> param(const char* name) const {
        const auto it = target_.query.find(name);
        if (it == target_.query.end() || it->second.empty()) return std::nullopt;
        return it->second;
    }

    Result<std::optional<std::int64_t>> time_param(const char* name) const {
        const auto v = param(name);
        if (!v) return std::optional<std::int64_t>();
        auto t = parse_time(*v);
        if (!t) return make_error(Errc::invalid_argument, std::string(name) + ": " + t.error().message);
        return std::optional<std::int64_t>(*t);
    }

    Result<bool> want_csv() const {
        const auto f = param("format");
        if (!f || *f == "json") return false;
        if (*f == "csv") return true;
        return make_error(Errc::invalid_argument, "format: expected json or csv");
    }

    // ---- endpoints ----------------------------------------------------------------------------

    HttpResponse health() {
        return json_response(200, json{{"status", "ok"},
                                       {"time", iso_utc(clock_.now())},
                                       {"supported_report_versions", report::supported_versions()}});
    }

    HttpResponse enrol() {
        BP_TRY_RESPONSE(json doc, json_body(req_));
        const std::string secret = string_member(doc, "secret");
        if (config_.enrol_secret.empty()) return error_response(403, "enrolment is disabled on this controller");
        if (secret.empty() || !constant_time_equal(token_hash(secret), token_hash(config_.enrol_secret))) {
            return error_response(401, "wrong enrol secret");
        }
        AgentInfo info;
        info.machine = string_member(doc, "machine");
        info.group = string_member(doc, "group", "default");
        info.agent_version = string_member(doc, "agent_version");
        info.os_build = string_member(doc, "os_build");
        BP_TRY_RESPONSE_STATUS(check_text("machine", info.machine, 200, true));
        BP_TRY_RESPONSE_STATUS(check_text("group", info.group, 200, true));
        BP_TRY_RESPONSE_STATUS(check_text("agent_version", info.agent_version, 200, false));
        BP_TRY_RESPONSE_STATUS(check_text("os_build", info.os_build, 200, false));
        auto token = generate_token();
        if (!token) return from_error(token.error());
        auto id = store_.enrol(info, token_hash(*token), clock_.now());
        if (!id) {
            if (id.error().code == Errc::conflict) return error_response(403, id.error().message);
            return from_error(id.error());
        }
        return json_response(201, json{{"agent_id", *id}, {"token", *token}});
    }

    HttpResponse heartbeat() {
        BP_TRY_RESPONSE(json doc, json_body(req_));
        AgentInfo info = caller_.agent->info;
        info.agent_version = string_member(doc, "agent_version", info.agent_version);
        info.os_build = string_member(doc, "os_build", info.os_build);
        const std::string state = string_member(doc, "campaign_state");
        BP_TRY_RESPONSE_STATUS(check_text("agent_version", info.agent_version, 200, false));
        BP_TRY_RESPONSE_STATUS(check_text("os_build", info.os_build, 200, false));
        BP_TRY_RESPONSE_STATUS(check_text("campaign_state", state, 1000, false));
        BP_TRY_RESPONSE_STATUS(store_.heartbeat(caller_.agent->id, info, state, clock_.now()));
        return json_response(200, json{{"ok", true}, {"server_time", clock_.now()}});
    }

    HttpResponse poll_jobs() {
        BP_TRY_RESPONSE(auto jobs, store_.claim_due_jobs(caller_.agent->id, clock_.now()));
        json list = json::array();
        for (const JobRecord& j : jobs) {
            json spec = json::parse(j.spec_json, nullptr, false);
            list.push_back(json{{"id", j.id},
                                {"template", j.template_name},
                                {"campaign", campaign_name(j)},
                                {"slot", j.slot},
                                {"slot_time", iso_utc(j.slot)},
                                {"state", j.state},
                                {"spec", spec.is_discarded() ? json::object() : spec}});
        }
        return json_response(200, json{{"jobs", list}});
    }

    HttpResponse job_state(const std::string& id_text) {
        BP_TRY_RESPONSE(std::int64_t id, parse_int("job id", id_text, 1, INT64_MAX));
        BP_TRY_RESPONSE(json doc, json_body(req_));
        const std::string state = string_member(doc, "state");
        const std::string message = string_member(doc, "message");
        BP_TRY_RESPONSE_STATUS(check_text("message", message, 2000, false));
        BP_TRY_RESPONSE_STATUS(store_.set_job_state(caller_.agent->id, id, state, message, clock_.now()));
        json out{{"id", id}, {"state", state}};
        if (state == "done") {
            // The nightly run is complete: judge it against the machine's previous build. A failure here
            // is logged, never the job's: the state change is already committed.
            CampaignQuery q;
            q.job_id = id;
            q.machine = caller_.agent->info.machine;
            auto runs = store_.campaigns(q);
            if (!runs) {
                spdlog::error("alerts of job {}: {}", id, runs.error().describe());
            } else {
                std::size_t total = 0;
                for (const CampaignRecord& c : *runs) {
                    auto n = record_alerts(store_, c.id, config_.rules, clock_.now());
                    if (!n) {
                        spdlog::error("alerts of campaign {}: {}", c.id, n.error().describe());
                    } else {
                        total += *n;
                    }
                }
                out["alerts"] = total;
            }
        }
        return json_response(200, out);
    }

    HttpResponse upload() {
        auto parsed = report::parse_report(req_.body);
        if (!parsed) return error_response(400, "invalid report: " + parsed.error().message);
        const std::string body_key = (*parsed)["idempotency_key"].get<std::string>();
        const auto header_key = req_.header("idempotency-key");
        if (!header_key.empty() && header_key != body_key) {
            return error_response(400, "the Idempotency-Key header differs from the report's idempotency_key");
        }
        BP_TRY_RESPONSE(ReportFacts facts, report_facts(*parsed, req_.body));
        BP_TRY_RESPONSE(StoreResult stored, store_.store_report(caller_.agent->id, facts, clock_.now()));
        switch (stored.outcome) {
            case StoreOutcome::stored:
                return json_response(201, json{{"stored", true}, {"report_id", stored.report_id}});
            case StoreOutcome::duplicate:
                return json_response(200, json{{"stored", false}, {"duplicate", true}, {"report_id", stored.report_id}});
            case StoreOutcome::conflict:
                break;
        }
        return error_response(409, "idempotency key '" + body_key.substr(0, 200) +
                                       "' was already used for a different report");
    }

    HttpResponse series() {
        BP_TRY_RESPONSE_STATUS(allow_params(
            {"kind", "key", "metric", "build", "machine", "campaign", "from", "to", "limit", "format"}));
        SeriesQuery q;
        q.kind = param("kind").value_or("tag");
        if (q.kind != "tag" && q.kind != "driver" && q.kind != "total") {
            return error_response(400, "kind: expected tag, driver or total");
        }
        const auto key = param("key");
        if (!key) return error_response(400, "key is required (a pool tag, a driver name, or pool/drivers for total)");
        q.key = *key;
        const char* default_metric = q.kind == "driver" || q.key == "drivers" ? "active_bytes" : "impacting_size";
        q.metric = param("metric").value_or(default_metric);
        q.build = param("build");
        q.machine = param("machine");
        q.campaign = param("campaign");
        BP_TRY_RESPONSE(q.from, time_param("from"));
        BP_TRY_RESPONSE(q.to, time_param("to"));
        BP_TRY_RESPONSE(q.limit, limit_param(q.limit));
        BP_TRY_RESPONSE(bool csv, want_csv());
        BP_TRY_RESPONSE(auto points, store_.series(q));
        if (csv) {
            HttpResponse r;
            r.content_type = "text/csv; charset=utf-8";
            r.body = "campaign,build,machine,time,n,median,min,max,mad\n";
            for (const SeriesPoint& p : points) {
                r.body += csv_field(p.campaign) + "," + csv_field(p.build) + "," + csv_field(p.machine) + "," +
                          iso_utc(p.time) + "," + std::to_string(p.spread.n) + "," + format_number(p.spread.median) +
                          "," + format_number(p.spread.min) + "," + format_number(p.spread.max) + "," +
                          format_number(p.spread.mad) + "\n";
            }
            return r;
        }
        json list = json::array();
        for (const SeriesPoint& p : points) {
            list.push_back(json{{"campaign", p.campaign},
                                {"build", p.build},
                                {"machine", p.machine},
                                {"time", p.time},
                                {"time_iso", iso_utc(p.time)},
                                {"n", p.spread.n},
                                {"median", p.spread.median},
                                {"min", p.spread.min},
                                {"max", p.spread.max},
                                {"mad", p.spread.mad}});
        }
        return json_response(200, json{{"kind", q.kind}, {"key", q.key}, {"metric", q.metric}, {"points", list}});
    }

    HttpResponse reports() {
        BP_TRY_RESPONSE_STATUS(allow_params({"build", "machine", "campaign", "from", "to", "limit", "format"}));
        ReportQuery q;
        q.build = param("build");
        q.machine = param("machine");
        q.campaign = param("campaign");
        BP_TRY_RESPONSE(q.from, time_param("from"));
        BP_TRY_RESPONSE(q.to, time_param("to"));
        BP_TRY_RESPONSE(q.limit, limit_param(q.limit));
        BP_TRY_RESPONSE(bool csv, want_csv());
        BP_TRY_RESPONSE(auto rows, store_.reports(q));
        if (csv) {
            HttpResponse r;
            r.content_type = "text/csv; charset=utf-8";
            r.body = "id,idempotency_key,machine,campaign,build,iteration,time,received_at\n";
            for (const ReportRow& row : rows) {
                r.body += std::to_string(row.id) + "," + csv_field(row.idempotency_key) + "," + csv_field(row.machine) +
                          "," + csv_field(row.campaign) + "," + csv_field(row.build) + "," +
                          std::to_string(row.iteration) + "," + iso_utc(row.time) + "," + iso_utc(row.received_at) +
                          "\n";
            }
            return r;
        }
        json list = json::array();
        for (const ReportRow& row : rows) {
            list.push_back(json{{"id", row.id},
                                {"idempotency_key", row.idempotency_key},
                                {"machine", row.machine},
                                {"campaign", row.campaign},
                                {"build", row.build},
                                {"iteration", row.iteration},
                                {"time", row.time},
                                {"time_iso", iso_utc(row.time)},
                                {"received_at", row.received_at}});
        }
        return json_response(200, json{{"reports", list}});
    }

    HttpResponse keys() {
        BP_TRY_RESPONSE_STATUS(allow_params({"kind", "metric"}));
        const std::string kind = param("kind").value_or("tag");
        const std::string metric = param("metric").value_or(kind == "driver" ? "active_bytes" : "impacting_size");
        BP_TRY_RESPONSE(auto list, store_.series_keys(kind, metric));
        return json_response(200, json{{"kind", kind}, {"metric", metric}, {"keys", list}});
    }

    // A JSON answer, or with ?format=csv the array `rows_field` of it as CSV.
    HttpResponse table_response(const json& body, const char* rows_field, bool csv,
                                const std::vector<std::string>& columns = {}) {
        if (!csv) return json_response(200, body);
        HttpResponse r;
        r.content_type = "text/csv; charset=utf-8";
        r.body = csv_of(body.at(rows_field), columns);
        return r;
    }

    Result<std::size_t> limit_param(std::size_t fallback) const {
        const auto l = param("limit");
        if (!l) return fallback;
        BP_TRY(std::int64_t limit, parse_int("limit", *l, 1, 100000));
        return static_cast<std::size_t>(limit);
    }

    HttpResponse fleet() {
        BP_TRY_RESPONSE_STATUS(allow_params({"format"}));
        BP_TRY_RESPONSE(bool csv, want_csv());
        BP_TRY_RESPONSE(auto list, store_.agents());
        json rows = json::array();
        for (const AgentRecord& a : list) {
            CampaignQuery q;
            q.machine = a.info.machine;
            q.limit = 1;
            BP_TRY_RESPONSE(auto last, store_.campaigns(q));
            rows.push_back(json{{"machine", a.info.machine},
                                {"group", a.info.group},
                                {"agent_version", a.info.agent_version},
                                {"os_build", a.info.os_build},
                                {"campaign_state", a.campaign_state},
                                {"last_seen_at", iso_utc(a.last_seen_at)},
                                {"seconds_since_seen", std::max<std::int64_t>(0, clock_.now() - a.last_seen_at)},
                                {"disabled", a.disabled},
                                {"last_campaign", last.empty() ? "" : last.front().name},
                                {"last_campaign_id", last.empty() ? json(nullptr) : json(last.front().id)},
                                {"last_build", last.empty() ? "" : last.front().build},
                                {"last_iterations", last.empty() ? 0 : last.front().reports}});
        }
        return table_response(json{{"machines", rows}, {"time", iso_utc(clock_.now())}}, "machines", csv,
                              {"machine", "group", "last_seen_at", "campaign_state", "last_campaign", "last_build"});
    }

    HttpResponse builds() {
        BP_TRY_RESPONSE_STATUS(allow_params({"format"}));
        BP_TRY_RESPONSE(bool csv, want_csv());
        BP_TRY_RESPONSE(auto list, store_.builds());
        json rows = json::array();
        for (const BuildRecord& b : list) {
            rows.push_back(json{{"build", b.name},
                                {"first_time", iso_utc(b.first_time)},
                                {"last_time", iso_utc(b.last_time)},
                                {"machines", b.machines},
                                {"campaigns", b.campaigns},
                                {"reports", b.reports}});
        }
        return table_response(json{{"builds", rows}}, "builds", csv, {"build", "first_time", "last_time"});
    }

    static json campaign_json(const CampaignRecord& c) {
        return json{{"id", c.id},
                    {"machine", c.machine},
                    {"name", c.name},
                    {"build", c.build},
                    {"template", c.template_name},
                    {"job_id", c.job_id ? json(*c.job_id) : json(nullptr)},
                    {"first_time", iso_utc(c.first_time)},
                    {"iterations", c.reports}};
    }

    HttpResponse campaigns() {
        BP_TRY_RESPONSE_STATUS(allow_params({"machine", "build", "limit", "format"}));
        CampaignQuery q;
        q.machine = param("machine");
        q.build = param("build");
        BP_TRY_RESPONSE(q.limit, limit_param(200));
        BP_TRY_RESPONSE(bool csv, want_csv());
        BP_TRY_RESPONSE(auto list, store_.campaigns(q));
        json rows = json::array();
        for (const CampaignRecord& c : list) rows.push_back(campaign_json(c));
        return table_response(json{{"campaigns", rows}}, "campaigns", csv, {"id", "machine", "name", "build"});
    }

    HttpResponse campaign(const std::string& id_text) {
        BP_TRY_RESPONSE_STATUS(allow_params({"format", "table"}));
        BP_TRY_RESPONSE(std::int64_t id, parse_int("campaign id", id_text, 1, INT64_MAX));
        BP_TRY_RESPONSE(bool csv, want_csv());
        const std::string table = param("table").value_or("tags");
        if (table != "iterations" && table != "tags" && table != "drivers" && table != "totals") {
            return error_response(400, "table: expected iterations, tags, drivers or totals");
        }
        BP_TRY_RESPONSE(json detail, campaign_detail(store_, id));
        AlertQuery aq;
        aq.campaign_id = id;
        BP_TRY_RESPONSE(auto alerts, store_.alerts(aq));
        json list = json::array();
        for (const AlertRecord& a : alerts) list.push_back(alert_json(a));
        detail["alerts"] = list;
        const std::vector<std::string> columns =
            table == "iterations" ? std::vector<std::string>{"iteration", "time", "events", "events_lost", "buffers_lost"}
            : table == "tags"     ? std::vector<std::string>{"tag"}
            : table == "drivers"  ? std::vector<std::string>{"driver"}
                                  : std::vector<std::string>{"total"};
        return table_response(detail, table.c_str(), csv, columns);
    }

    Result<footprint::CompareRules> rules_from_query() const {
        footprint::CompareRules rules = config_.rules;
        if (const auto v = param("floor")) {
            for (const std::string& item : split_list(*v)) BP_TRY_STATUS(rules.parse_floor(item));
        }
        if (const auto v = param("relative")) {
            for (const std::string& item : split_list(*v)) BP_TRY_STATUS(rules.parse_relative(item));
        }
        if (const auto v = param("min_iterations")) {
            BP_TRY(std::int64_t n, parse_int("min_iterations", *v, 1, 1000));
            rules.min_iterations = static_cast<std::size_t>(n);
        }
        return rules;
    }

    static std::vector<std::string> split_list(const std::string& text) {
        std::vector<std::string> out;
        std::size_t at = 0;
        while (at <= text.size()) {
            const auto comma = text.find(',', at);
            const auto end = comma == std::string::npos ? text.size() : comma;
            if (end > at) out.push_back(text.substr(at, end - at));
            at = end + 1;
        }
        return out;
    }

    HttpResponse compare_builds() {
        BP_TRY_RESPONSE_STATUS(
            allow_params({"a", "b", "machine", "kind", "floor", "relative", "min_iterations", "verdict", "format"}));
        CompareRequest request;
        const auto a = param("a");
        const auto b = param("b");
        if (!a || !b) return error_response(400, "a and b are required: the baseline build and the build under test");
        request.build_a = *a;
        request.build_b = *b;
        request.machine = param("machine");
        request.kind = param("kind").value_or("all");
        BP_TRY_RESPONSE(auto rules, rules_from_query());
        BP_TRY_RESPONSE(bool csv, want_csv());
        const auto only = param("verdict");
        BP_TRY_RESPONSE(auto rows, compare(store_, request, rules));
        json list = json::array();
        std::map<std::string, int> counts;
        for (const auto& c : rows) {
            ++counts[footprint::to_string(c.verdict)];
            if (only && *only != footprint::to_string(c.verdict)) continue;
            list.push_back(comparison_json(c));
        }
        json body{{"a", request.build_a},
                  {"b", request.build_b},
                  {"machine", request.machine ? json(*request.machine) : json(nullptr)},
                  {"counts", counts},
                  {"rows", list}};
        return table_response(body, "rows", csv,
                              {"kind", "key", "metric", "verdict", "presence", "a.median", "b.median", "delta",
                               "relative", "p_value", "a.n", "a.min", "a.max", "a.mad", "b.n", "b.min", "b.max",
                               "b.mad", "noise_band", "reason"});
    }

    HttpResponse list_alerts() {
        BP_TRY_RESPONSE_STATUS(allow_params({"machine", "build", "since", "limit", "format"}));
        AlertQuery q;
        q.machine = param("machine");
        q.build = param("build");
        BP_TRY_RESPONSE(q.since, time_param("since"));
        BP_TRY_RESPONSE(q.limit, limit_param(1000));
        BP_TRY_RESPONSE(bool csv, want_csv());
        BP_TRY_RESPONSE(auto list, store_.alerts(q));
        json rows = json::array();
        for (const AlertRecord& a : list) rows.push_back(alert_json(a));
        return table_response(json{{"alerts", rows}}, "alerts", csv,
                              {"created_at", "machine", "campaign", "baseline_build", "build", "kind", "key", "metric",
                               "verdict", "presence", "baseline_median", "median", "delta", "p_value"});
    }

    HttpResponse recompute_alerts(const std::string& id_text) {
        BP_TRY_RESPONSE(std::int64_t id, parse_int("campaign id", id_text, 1, INT64_MAX));
        BP_TRY_RESPONSE(auto rules, rules_from_query());
        BP_TRY_RESPONSE(std::size_t n, record_alerts(store_, id, rules, clock_.now()));
        return json_response(200, json{{"campaign_id", id}, {"alerts", n}});
    }

    // The dashboard's files. Names are checked before any file is opened: letters, digits, '-', '_',
    // '.', '/', no "..", no hidden files; only known types are served.
    HttpResponse static_file(const std::string& path) {
        if (config_.web_root.empty()) return error_response(404, "the dashboard is not enabled (no web root)");
        std::string rel = path == "/" || path == "/index.html" ? "index.html" : path.substr(4);  // after "/ui/"
        const bool safe = !rel.empty() && rel.size() < 200 && rel.find("..") == std::string::npos &&
                          rel.front() != '/' && rel.front() != '.' && rel.find("/.") == std::string::npos &&
                          std::all_of(rel.begin(), rel.end(), [](char ch) {
                              return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' ||
                                     ch == '.' || ch == '/';
                          });
        if (!safe) return error_response(404, "no such file");
        static const std::map<std::string, std::string> kTypes{
            {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
            {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
            {".svg", "image/svg+xml"}, {".png", "image/png"}, {".json", "application/json"},
            {".map", "application/json"}};
        const auto dot = rel.rfind('.');
        const auto type = dot == std::string::npos ? kTypes.end() : kTypes.find(rel.substr(dot));
        if (type == kTypes.end()) return error_response(404, "no such file");
        const std::filesystem::path file = std::filesystem::path(config_.web_root) / rel;
        std::ifstream in(file, std::ios::binary);
        if (!in) return error_response(404, "no such file: " + rel);
        HttpResponse r;
        r.content_type = type->second;
        r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (in.bad()) return error_response(500, "cannot read " + rel);
        r.headers.emplace_back("Cache-Control", "no-cache");
        r.headers.emplace_back("X-Content-Type-Options", "nosniff");
        return r;
    }

    HttpResponse list_agents() {
        BP_TRY_RESPONSE(auto list, store_.agents());
        json out = json::array();
        for (const AgentRecord& a : list) out.push_back(agent_json(a));
        return json_response(200, json{{"agents", out}});
    }

    HttpResponse revoke(const std::string& id_text) {
        BP_TRY_RESPONSE(std::int64_t id, parse_int("agent id", id_text, 1, INT64_MAX));
        bool disable = false;
        if (!req_.body.empty()) {
            BP_TRY_RESPONSE(json doc, json_body(req_));
            if (doc.contains("disable")) {
                if (!doc["disable"].is_boolean()) return error_response(400, "disable: expected true or false");
                disable = doc["disable"].get<bool>();
            }
        }
        BP_TRY_RESPONSE_STATUS(store_.revoke(id, disable, clock_.now()));
        return json_response(200, json{{"agent_id", id}, {"revoked", true}, {"disabled", disable}});
    }

    HttpResponse list_templates() {
        BP_TRY_RESPONSE(auto list, store_.templates());
        json out = json::array();
        for (const TemplateRecord& t : list) {
            json spec = json::parse(t.spec_json, nullptr, false);
            out.push_back(json{{"id", t.id}, {"name", t.name}, {"spec", spec.is_discarded() ? json() : spec}});
        }
        return json_response(200, json{{"templates", out}});
    }

    HttpResponse put_template() {
        BP_TRY_RESPONSE(json doc, json_body(req_));
        const std::string name = string_member(doc, "name");
        BP_TRY_RESPONSE_STATUS(check_text("name", name, 200, true));
        if (!doc.contains("spec")) return error_response(400, "spec is required");
        BP_TRY_RESPONSE(json spec, template_spec(doc["spec"]));
        BP_TRY_RESPONSE(std::int64_t id, store_.put_template(name, spec.dump(), clock_.now()));
        return json_response(201, json{{"id", id}, {"name", name}, {"spec", spec}});
    }

    HttpResponse list_assignments() {
        BP_TRY_RESPONSE(auto list, store_.assignments());
        json out = json::array();
        for (const AssignmentRecord& a : list) {
            out.push_back(json{{"id", a.id},
                               {"template", a.template_name},
                               {"group", a.group},
                               {"schedule", a.schedule},
                               {"not_before", a.not_before},
                               {"active", a.active}});
        }
        return json_response(200, json{{"assignments", out}});
    }

    HttpResponse assign() {
        BP_TRY_RESPONSE(json doc, json_body(req_));
        AssignmentRecord a;
        a.template_name = string_member(doc, "template");
        a.group = string_member(doc, "group");
        a.schedule = string_member(doc, "schedule");
        BP_TRY_RESPONSE_STATUS(check_text("template", a.template_name, 200, true));
        BP_TRY_RESPONSE_STATUS(check_text("group", a.group, 200, true));
        BP_TRY_RESPONSE_STATUS(check_text("schedule", a.schedule, 200, true));
        a.not_before = clock_.now();
        if (doc.contains("not_before")) {
            const json& nb = doc["not_before"];
            if (nb.is_number_integer()) {
                a.not_before = nb.get<std::int64_t>();
            } else if (nb.is_string()) {
                BP_TRY_RESPONSE(a.not_before, parse_time(nb.get<std::string>()));
            } else {
                return error_response(400, "not_before: expected unix seconds or an ISO-8601 UTC time");
            }
        }
        if (doc.contains("active")) {
            if (!doc["active"].is_boolean()) return error_response(400, "active: expected true or false");
            a.active = doc["active"].get<bool>();
        }
        BP_TRY_RESPONSE(std::int64_t id, store_.assign(a, clock_.now()));
        auto schedule = Schedule::parse(a.schedule);
        json out = {{"id", id}, {"template", a.template_name}, {"group", a.group}, {"not_before", a.not_before}};
        if (schedule) {
            out["schedule"] = schedule->text();
            out["next_slot"] = iso_utc(schedule->next_slot(clock_.now()));
        }
        return json_response(201, out);
    }

    HttpResponse stats() {
        BP_TRY_RESPONSE(auto counts, store_.row_counts());
        return json_response(200, json{{"rows", counts}});
    }

    const HttpRequest& req_;
    ControllerStore& store_;
    const Clock& clock_;
    const RouterConfig& config_;
    Target target_;
    Caller caller_;
};

}  // namespace

Result<Target> parse_target(std::string_view target) {
    if (target.size() > kMaxTarget) return make_error(Errc::invalid_argument, "request target is too long");
    if (target.empty() || target.front() != '/') {
        return make_error(Errc::invalid_argument, "request target must start with '/'");
    }
    Target t;
    const auto q = target.find('?');
    BP_TRY(t.path, percent_decode(target.substr(0, q)));
    if (q == std::string_view::npos) return t;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        BP_TRY(std::string name, percent_decode(pair.substr(0, eq)));
        BP_TRY(std::string value,
               percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1)));
        if (t.query.contains(name)) {
            return make_error(Errc::invalid_argument, "query parameter '" + name.substr(0, 40) + "' is repeated");
        }
        t.query.emplace(std::move(name), std::move(value));
    }
    return t;
}

std::string csv_field(std::string_view text) {
    std::string value(text);
    if (!value.empty() && (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@')) {
        value.insert(value.begin(), '\'');
    }
    if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
    std::string out = "\"";
    for (char c : value) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

namespace {

void flatten(const json& value, const std::string& prefix, std::vector<std::pair<std::string, const json*>>& out) {
    if (value.is_object()) {
        for (const auto& [k, v] : value.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
    } else {
        out.emplace_back(prefix, &value);
    }
}

std::string csv_value(const json& v) {
    if (v.is_null()) return "";
    if (v.is_string()) return csv_field(v.get_ref<const std::string&>());
    if (v.is_number_float()) return format_number(v.get<double>());
    return csv_field(v.dump());
}

}  // namespace

std::string csv_of(const json& rows, const std::vector<std::string>& first_columns) {
    if (!rows.is_array() || rows.empty()) return "\n";
    std::vector<std::pair<std::string, const json*>> fields_of_first;
    flatten(rows.front(), "", fields_of_first);
    std::vector<std::pair<std::string, const json*>> first;
    for (const std::string& name : first_columns) {
        for (const auto& f : fields_of_first) {
            if (f.first == name) first.push_back(f);
        }
    }
    for (const auto& f : fields_of_first) {
        if (std::find(first_columns.begin(), first_columns.end(), f.first) == first_columns.end()) first.push_back(f);
    }
    std::string out;
    for (std::size_t i = 0; i < first.size(); ++i) out += (i ? "," : "") + csv_field(first[i].first);
    out += "\n";
    for (const json& row : rows) {
        std::vector<std::pair<std::string, const json*>> fields;
        flatten(row, "", fields);
        std::map<std::string, const json*> by_name(fields.begin(), fields.end());
        for (std::size_t i = 0; i < first.size(); ++i) {
            const auto it = by_name.find(first[i].first);
            out += (i ? "," : "") + (it == by_name.end() ? std::string() : csv_value(*it->second));
        }
        out += "\n";
    }
    return out;
}

HttpResponse route(const HttpRequest& request, ControllerStore& store, const Clock& clock,
                   const RouterConfig& config) {
    try {
        return Handler(request, store, clock, config).run();
    } catch (const std::exception& e) {
        // The HTTP handler boundary (docs/error-handling.md): a bug or bad_alloc becomes a 500.
        spdlog::error("{} {}: unexpected exception: {}", request.method, request.target.substr(0, 200), e.what());
        return error_response(500, "internal error");
    }
}

}  // namespace bp::controller
