#include "bootprint/report/controller_client.hpp"

#include <charconv>

#include "report/http_transport.hpp"

namespace bp::report {

namespace {

using nlohmann::json;

detail::TransportOptions transport_options(const ClientOptions& o) {
    detail::TransportOptions t;
    t.timeout = o.timeout;
    t.ca_file = o.ca_file;
    t.verify_tls = o.verify_tls;
    return t;
}

// Parses a JSON reply body; a controller that answers 2xx with something else is an io error.
Result<json> reply_json(const HttpReply& reply, std::string_view what) {
    json doc = json::parse(reply.body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return make_error(Errc::io, std::string(what) + ": the controller's reply is not a JSON object");
    }
    return doc;
}

}  // namespace

Result<Endpoint> parse_url(std::string_view url) {
    Endpoint ep;
    std::string_view rest;
    if (url.starts_with("http://")) {
        rest = url.substr(7);
    } else if (url.starts_with("https://")) {
        rest = url.substr(8);
        ep.tls = true;
    } else {
        return make_error(Errc::invalid_argument,
                          "controller URL '" + std::string(url) + "': expected http://HOST:PORT or https://HOST:PORT");
    }
    rest = rest.substr(0, rest.find('/'));
    std::string_view port_text;
    if (rest.starts_with("[")) {  // [::1]:8420
        const auto close = rest.find(']');
        if (close == std::string_view::npos) return make_error(Errc::invalid_argument, "bad IPv6 host in " + std::string(url));
        ep.host = std::string(rest.substr(1, close - 1));
        if (close + 1 < rest.size() && rest[close + 1] == ':') port_text = rest.substr(close + 2);
    } else {
        const auto colon = rest.rfind(':');
        ep.host = std::string(rest.substr(0, colon));
        if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
    }
    if (ep.host.empty()) return make_error(Errc::invalid_argument, "controller URL '" + std::string(url) + "' has no host");
    if (port_text.empty()) {
        ep.port = ep.tls ? 443 : 80;
    } else {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535) {
            return make_error(Errc::invalid_argument, "controller URL '" + std::string(url) + "': bad port");
        }
        ep.port = static_cast<std::uint16_t>(value);
    }
    return ep;
}

std::string HttpReply::error_message() const {
    json doc = json::parse(body, nullptr, false);
    if (doc.is_object() && doc.contains("error") && doc["error"].is_string()) return doc["error"].get<std::string>();
    return body.substr(0, 200);
}

bool is_transient(const Error& e) { return e.code == Errc::io || e.code == Errc::database || e.code == Errc::internal; }

Status status_to_error(const HttpReply& reply, std::string_view what) {
    if (reply.status >= 200 && reply.status < 300) return {};
    const std::string message =
        std::string(what) + ": HTTP " + std::to_string(reply.status) + ": " + reply.error_message();
    switch (reply.status) {
        case 400: return make_error(Errc::invalid_argument, message);
        case 401: return make_error(Errc::io, message);  // a new token may fix it
        case 403: return make_error(Errc::invalid_argument, message);
        case 404: return make_error(Errc::not_found, message);
        case 409: return make_error(Errc::conflict, message);
        case 413: return make_error(Errc::unsupported, message);
        default: return make_error(Errc::io, message);
    }
}

ControllerClient::ControllerClient(ClientOptions options, std::optional<Credentials> saved)
    : options_(std::move(options)), credentials_(std::move(saved)) {}

void ControllerClient::on_credentials_changed(std::function<void(const Credentials&)> callback) {
    changed_ = std::move(callback);
}

Result<HttpReply> ControllerClient::request(std::string_view method, std::string_view target, std::string_view body,
                                            std::string_view content_type,
                                            const std::vector<std::pair<std::string, std::string>>& headers) {
    if (!endpoint_) {
        BP_TRY(Endpoint ep, parse_url(options_.url));
        endpoint_ = std::move(ep);
    }
    detail::Exchange x;
    x.method = method;
    x.target = target;
    x.body = body;
    x.content_type = content_type;
    x.headers = &headers;
    if (credentials_) x.bearer = credentials_->token;
    return detail::http_exchange(*endpoint_, transport_options(options_), x);
}

Result<Credentials> ControllerClient::enrol() {
    if (options_.enrol_secret.empty()) {
        return make_error(Errc::invalid_argument, "cannot enrol: no enrol secret configured");
    }
    json body = {{"secret", options_.enrol_secret},
                 {"machine", options_.machine},
                 {"group", options_.group},
                 {"agent_version", options_.agent_version},
                 {"os_build", options_.os_build}};
    // The enrol request carries the secret, never an old token.
    std::optional<Credentials> old = std::move(credentials_);
    credentials_.reset();
    auto reply = request("POST", "/v1/enrol", body.dump());
    if (!reply) {
        credentials_ = std::move(old);
        return std::move(reply).error();
    }
    if (Status s = status_to_error(*reply, "enrol"); !s) {
        credentials_ = std::move(old);
        return std::move(s).error();
    }
    BP_TRY(json doc, reply_json(*reply, "enrol"));
    if (!doc.contains("agent_id") || !doc["agent_id"].is_number_integer() || !doc.contains("token") ||
        !doc["token"].is_string()) {
        credentials_ = std::move(old);
        return make_error(Errc::io, "enrol: the reply has no agent_id and token");
    }
    Credentials c{doc["agent_id"].get<std::int64_t>(), doc["token"].get<std::string>()};
    credentials_ = c;
    if (changed_) changed_(c);
    return c;
}

Status ControllerClient::ensure_enrolled() {
    if (credentials_ || options_.enrol_secret.empty()) return {};
    BP_TRY(auto c, enrol());
    (void)c;
    return {};
}

Result<HttpReply> ControllerClient::authed(std::string_view method, std::string_view target, std::string_view body,
                                           const std::vector<std::pair<std::string, std::string>>& headers) {
    BP_TRY_STATUS(ensure_enrolled());
    BP_TRY(HttpReply reply, request(method, target, body, "application/json", headers));
    if (reply.status == 401 && !options_.enrol_secret.empty()) {
        // The token was revoked or the controller lost it: enrol again, then repeat once.
        BP_TRY(auto c, enrol());
        (void)c;
        BP_TRY(HttpReply again, request(method, target, body, "application/json", headers));
        return again;
    }
    return reply;
}

Status ControllerClient::heartbeat(const Heartbeat& beat) {
    json body = {{"agent_version", options_.agent_version},
                 {"os_build", options_.os_build},
                 {"campaign_state", beat.campaign_state}};
    BP_TRY(HttpReply reply, authed("POST", "/v1/heartbeat", body.dump()));
    return status_to_error(reply, "heartbeat");
}

Result<std::vector<Job>> ControllerClient::poll_jobs() {
    BP_TRY(HttpReply reply, authed("GET", "/v1/jobs", {}));
    BP_TRY_STATUS(status_to_error(reply, "poll jobs"));
    BP_TRY(json doc, reply_json(reply, "poll jobs"));
    std::vector<Job> jobs;
    if (!doc.contains("jobs") || !doc["jobs"].is_array()) return jobs;
    for (const json& j : doc["jobs"]) {
        if (!j.is_object()) continue;
        Job job;
        job.id = j.value("id", std::int64_t{0});
        job.template_name = j.value("template", std::string());
        job.campaign = j.value("campaign", std::string());
        job.slot = j.value("slot", std::int64_t{0});
        job.state = j.value("state", std::string());
        if (j.contains("spec")) job.spec = j["spec"];
        jobs.push_back(std::move(job));
    }
    return jobs;
}

Status ControllerClient::set_job_state(std::int64_t job_id, std::string_view state, std::string_view message) {
    json body = {{"state", state}, {"message", message}};
    BP_TRY(HttpReply reply, authed("POST", "/v1/jobs/" + std::to_string(job_id) + "/state", body.dump()));
    return status_to_error(reply, "job state");
}

Result<UploadOutcome> ControllerClient::upload(const std::string& key, const std::string& report_json) {
    const std::vector<std::pair<std::string, std::string>> headers = {{"Idempotency-Key", key}};
    BP_TRY(HttpReply reply, authed("POST", "/v1/reports", report_json, headers));
    BP_TRY_STATUS(status_to_error(reply, "upload " + key));
    return reply.status == 201 ? UploadOutcome::stored : UploadOutcome::duplicate;
}

}  // namespace bp::report
