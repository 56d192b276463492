// The agent's side of the controller API (docs/controller.md): a synchronous HTTP/1.1 client that
// enrols, sends heartbeats, polls jobs and uploads reports, with the token handled for the caller.
// A refused token (401) makes it enrol again with the enrol secret and retry the request once.
//
//   ClientOptions o;  o.url = "http://10.0.0.5:8420";  o.enrol_secret = "lab-secret";  o.machine = "lab-07";
//   ControllerClient client(o, load_saved_credentials());             // std::nullopt on first start
//   client.on_credentials_changed([](const Credentials& c) { save(c); });
//   BP_TRY(auto jobs, client.poll_jobs());                             // enrols first when needed
//   BP_TRY(UploadOutcome o, client.upload(key, report_json));          // stored or duplicate
//
// Not thread-safe: one client per thread. One TCP (or TLS) connection per request.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bootprint/common/result.hpp"

namespace bp::report {

// "http://host:port" or "https://host:port" (a path is ignored).
struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    bool tls = false;
};
Result<Endpoint> parse_url(std::string_view url);

struct HttpReply {
    int status = 0;
    std::string content_type;
    std::string body;
    // The "error" member of a JSON error body, or the body itself.
    std::string error_message() const;
};

struct Credentials {
    std::int64_t agent_id = 0;
    std::string token;
};

struct ClientOptions {
    std::string url;                   // the controller
    std::string enrol_secret;          // "" disables (re-)enrolment: the client uses the token it is given
    std::string machine;               // this machine's name, as history shows it
    std::string group = "default";     // the machine group jobs are assigned to
    std::string agent_version;
    std::string os_build;
    std::chrono::milliseconds timeout{15000};  // per request: connect + write + read
    std::string ca_file;               // https: trust this CA (PEM) in addition to the system's
    bool verify_tls = true;            // https: verify the controller's certificate and host name
};

// What upload() did. A repeated key is a success: the controller already holds the report.
enum class UploadOutcome { stored, duplicate };

// Where a report goes (the controller, or a test double). Errors: Errc::io for what may succeed later
// (network, timeouts, 5xx, a refused token that re-enrolment could not fix); Errc::invalid_argument,
// Errc::unsupported and Errc::conflict for a report the controller will never accept (400, 413, 409).
class ReportSink {
public:
    virtual ~ReportSink() = default;
    virtual Result<UploadOutcome> upload(const std::string& key, const std::string& report_json) = 0;
};
// True for errors worth retrying (see ReportSink).
bool is_transient(const Error& e);

struct Heartbeat {
    std::string campaign_state;  // free text, e.g. "idle", "iteration 3/5 collecting"
};

struct Job {
    std::int64_t id = 0;
    std::string template_name;
    std::string campaign;        // suggested campaign id: "<template>@<slot, ISO-8601 UTC>"
    std::int64_t slot = 0;       // unix seconds of the schedule slot
    std::string state;           // "pending" or "running"
    nlohmann::json spec;         // the template: tags, iterations, resident_set, triage, labels
};

class ControllerClient : public ReportSink {
public:
    explicit ControllerClient(ClientOptions options, std::optional<Credentials> saved = std::nullopt);

    // Enrols with the secret (POST /v1/enrol); replaces the credentials and calls the change callback.
    Result<Credentials> enrol();
    const std::optional<Credentials>& credentials() const { return credentials_; }
    void on_credentials_changed(std::function<void(const Credentials&)> callback);

    Status heartbeat(const Heartbeat& beat);
    // The jobs due for this machine (the controller claims due schedule slots while answering).
    Result<std::vector<Job>> poll_jobs();
    // state: "running", "done" or "failed".
    Status set_job_state(std::int64_t job_id, std::string_view state, std::string_view message = {});
    Result<UploadOutcome> upload(const std::string& key, const std::string& report_json) override;

    // A raw request with the bearer token (for `bootprint query` and tests). No re-enrolment, no status
    // mapping: any HTTP status is a reply; only transport failures are errors (Errc::io).
    Result<HttpReply> request(std::string_view method, std::string_view target, std::string_view body = {},
                              std::string_view content_type = "application/json",
                              const std::vector<std::pair<std::string, std::string>>& headers = {});

private:
    // Sends with the token; on 401 enrols once (when it can) and repeats.
    Result<HttpReply> authed(std::string_view method, std::string_view target, std::string_view body,
                             const std::vector<std::pair<std::string, std::string>>& headers = {});
    Status ensure_enrolled();

    ClientOptions options_;
    std::optional<Endpoint> endpoint_;
    std::optional<Credentials> credentials_;
    std::function<void(const Credentials&)> changed_;
};

// Maps a reply's status to the error a caller sees: 2xx → ok; 400 invalid_argument; 401 → io
// ("token refused"); 403 → invalid_argument; 404 not_found; 409 conflict; 413 unsupported; else io.
Status status_to_error(const HttpReply& reply, std::string_view what);

}  // namespace bp::report
