// bootprint-service: the controller. Thin: configuration, logging, signals; the work is in
// bootprint::controller (router, store, server). See docs/controller.md.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "bootprint/controller/clock.hpp"
#include "bootprint/controller/http_server.hpp"
#include "bootprint/controller/router.hpp"
#include "bootprint/controller/open_store.hpp"

namespace {

struct Config {
    std::string db = "sqlite:bootprint-controller.db";
    std::string listen = "127.0.0.1";
    int port = 8420;
    std::string port_file;
    std::string enrol_secret;
    std::string admin_token;
    int threads = 2;
    int handler_threads = 16;
    std::size_t body_limit = bp::controller::kDefaultBodyLimit;
    int io_timeout_ms = 30000;
    std::string tls_certificate;
    std::string tls_private_key;
    std::string synchronous = "FULL";
    std::string log_level = "info";
    std::string web_root;                 // the dashboard's files ("" : no dashboard)
    std::vector<std::string> floors;      // METRIC=VALUE (KiB for byte metrics)
    std::vector<std::string> relatives;   // METRIC=PERCENT
    int min_iterations = 3;
};

// The config file: a JSON object whose keys are the long option names with '_' for '-'. Flags given
// on the command line win over the file. Unknown keys are an error (a typo must not go unnoticed).
void load_config_file(const std::string& path, Config& c) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read config file " + path);
    const nlohmann::json doc = nlohmann::json::parse(in);  // throws with the position on bad JSON
    if (!doc.is_object()) throw std::runtime_error(path + ": expected a JSON object");
    for (const auto& [key, value] : doc.items()) {
        if (key == "db") c.db = value.get<std::string>();
        else if (key == "database") c.db = "sqlite:" + value.get<std::string>();
        else if (key == "listen") c.listen = value.get<std::string>();
        else if (key == "port") c.port = value.get<int>();
        else if (key == "port_file") c.port_file = value.get<std::string>();
        else if (key == "enrol_secret") c.enrol_secret = value.get<std::string>();
        else if (key == "admin_token") c.admin_token = value.get<std::string>();
        else if (key == "threads") c.threads = value.get<int>();
        else if (key == "handler_threads") c.handler_threads = value.get<int>();
        else if (key == "body_limit") c.body_limit = value.get<std::size_t>();
        else if (key == "io_timeout_ms") c.io_timeout_ms = value.get<int>();
        else if (key == "tls_certificate") c.tls_certificate = value.get<std::string>();
        else if (key == "tls_private_key") c.tls_private_key = value.get<std::string>();
        else if (key == "synchronous") c.synchronous = value.get<std::string>();
        else if (key == "log_level") c.log_level = value.get<std::string>();
        else if (key == "web_root") c.web_root = value.get<std::string>();
        else if (key == "floor") c.floors = value.get<std::vector<std::string>>();
        else if (key == "relative") c.relatives = value.get<std::vector<std::string>>();
        else if (key == "min_iterations") c.min_iterations = value.get<int>();
        else throw std::runtime_error(path + ": unknown key '" + key + "'");
    }
}

void write_port_file(const std::string& path, std::uint16_t port) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << port << "\n";
        if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    std::filesystem::rename(tmp, path);  // readers never see a half-written number
}

int run(int argc, char** argv) {
    CLI::App app{"bootprint-service: the Bootprint controller (enrolment, jobs, results, history)"};
    app.set_version_flag("--version", "bootprint-service 0.1.0");
    std::string config_path;
    Config c;
    app.add_option("-c,--config", config_path, "JSON config file (keys: db, listen, port, ...)");
    // With --config, the file's values are the base and the flags given on the command line win.
    auto add_flags = [&](Config& cfg) {
        app.add_option("--db", cfg.db, "the store: sqlite:PATH (created when missing) or postgresql://USER@HOST/DB");
        app.add_option_function<std::string>(
               "--database", [&cfg](const std::string& path) { cfg.db = "sqlite:" + path; },
               "SQLite database file: the same as --db sqlite:PATH")
            ->excludes("--db");
        app.add_option("--listen", cfg.listen, "address to listen on");
        app.add_option("--port", cfg.port, "TCP port (0: any free port, see --port-file)")->check(CLI::Range(0, 65535));
        app.add_option("--port-file", cfg.port_file, "write the bound port to this file once listening");
        app.add_option("--enrol-secret", cfg.enrol_secret, "the secret agents present to enrol ('' disables enrolment)");
        app.add_option("--admin-token", cfg.admin_token, "bearer token of the admin API ('' disables it)");
        app.add_option("--threads", cfg.threads, "I/O threads")->check(CLI::Range(1, 64));
        app.add_option("--handler-threads", cfg.handler_threads,
                       "threads answering requests (they wait on the database; concurrent uploads commit together)")
            ->check(CLI::Range(1, 256));
        app.add_option("--body-limit", cfg.body_limit, "largest request body in bytes (413 above)");
        app.add_option("--io-timeout-ms", cfg.io_timeout_ms, "deadline of each request read / response write");
        app.add_option("--tls-certificate", cfg.tls_certificate, "PEM certificate chain: serve HTTPS");
        app.add_option("--tls-private-key", cfg.tls_private_key, "PEM private key of the certificate");
        app.add_option("--synchronous", cfg.synchronous,
                       "durability of each commit: FULL or NORMAL (SQLite synchronous, PostgreSQL synchronous_commit)")
            ->check(CLI::IsMember({"FULL", "NORMAL"}));
        app.add_option("--log-level", cfg.log_level, "trace, debug, info, warn, error")
            ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
        app.add_option("--web-root", cfg.web_root, "serve the dashboard from this folder (service/web)");
        app.add_option("--floor", cfg.floors,
                       "regression floor per metric, METRIC=VALUE (KiB for *_size/*_bytes), repeatable");
        app.add_option("--relative", cfg.relatives, "regression threshold per metric, METRIC=PERCENT, repeatable");
        app.add_option("--min-iterations", cfg.min_iterations, "iterations per build needed for a verdict")
            ->check(CLI::Range(1, 1000));
    };
    add_flags(c);
    app.allow_extras(false);
    try {
        app.parse(argc, argv);
        if (!config_path.empty()) {
            Config from_file;
            load_config_file(config_path, from_file);
            Config merged = from_file;
            auto given = [&](const char* name) { return app.get_option(name)->count() > 0; };
            if (given("--db") || given("--database")) merged.db = c.db;
            if (given("--listen")) merged.listen = c.listen;
            if (given("--port")) merged.port = c.port;
            if (given("--port-file")) merged.port_file = c.port_file;
            if (given("--enrol-secret")) merged.enrol_secret = c.enrol_secret;
            if (given("--admin-token")) merged.admin_token = c.admin_token;
            if (given("--threads")) merged.threads = c.threads;
            if (given("--handler-threads")) merged.handler_threads = c.handler_threads;
            if (given("--body-limit")) merged.body_limit = c.body_limit;
            if (given("--io-timeout-ms")) merged.io_timeout_ms = c.io_timeout_ms;
            if (given("--tls-certificate")) merged.tls_certificate = c.tls_certificate;
            if (given("--tls-private-key")) merged.tls_private_key = c.tls_private_key;
            if (given("--synchronous")) merged.synchronous = c.synchronous;
            if (given("--log-level")) merged.log_level = c.log_level;
            if (given("--web-root")) merged.web_root = c.web_root;
            if (given("--floor")) merged.floors = c.floors;
            if (given("--relative")) merged.relatives = c.relatives;
            if (given("--min-iterations")) merged.min_iterations = c.min_iterations;
            c = merged;
        }
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }

    auto logger = spdlog::stderr_color_mt("bootprint-service");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");
    spdlog::set_level(spdlog::level::from_str(c.log_level));

    // Block the stop signals in every thread (the server's threads inherit the mask); main waits for them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    bp::controller::StoreOptions store_options;
    store_options.synchronous = c.synchronous;
    auto store = bp::controller::open_store(c.db, store_options);
    if (!store) {
        spdlog::critical("cannot open the database: {}", store.error().describe());
        return 2;
    }
    bp::controller::SystemClock clock;
    bp::controller::RouterConfig router_config;
    router_config.enrol_secret = c.enrol_secret;
    router_config.admin_token = c.admin_token;
    router_config.body_limit = c.body_limit;
    router_config.web_root = c.web_root;
    router_config.rules.min_iterations = static_cast<std::size_t>(c.min_iterations);
    for (const auto& f : c.floors) {
        if (auto s = router_config.rules.parse_floor(f); !s) {
            spdlog::critical("--floor: {}", s.error().describe());
            return 2;
        }
    }
    for (const auto& r : c.relatives) {
        if (auto s = router_config.rules.parse_relative(r); !s) {
            spdlog::critical("--relative: {}", s.error().describe());
            return 2;
        }
    }
    if (!c.web_root.empty() && !std::filesystem::exists(std::filesystem::path(c.web_root) / "index.html")) {
        spdlog::critical("--web-root {}: no index.html there", c.web_root);
        return 2;
    }
    if (c.enrol_secret.empty()) spdlog::warn("no enrol secret: agents cannot enrol");
    if (c.admin_token.empty()) spdlog::warn("no admin token: the admin API is disabled");

    bp::controller::ServerOptions server_options;
    server_options.address = c.listen;
    server_options.port = static_cast<std::uint16_t>(c.port);
    server_options.threads = c.threads;
    server_options.handler_threads = c.handler_threads;
    server_options.body_limit = c.body_limit;
    server_options.io_timeout = std::chrono::milliseconds(c.io_timeout_ms);
    server_options.tls_certificate = c.tls_certificate;
    server_options.tls_private_key = c.tls_private_key;
    auto& store_ref = **store;
    auto server = bp::controller::HttpServer::start(server_options, [&](const bp::controller::HttpRequest& r) {
        return bp::controller::route(r, store_ref, clock, router_config);
    });
    if (!server) {
        spdlog::critical("cannot start the server: {}", server.error().describe());
        return 2;
    }
    const char* scheme = (*server)->tls() ? "https" : "http";
    spdlog::info("listening url={}://{}:{} database={} threads={} handler_threads={} body_limit={}", scheme, c.listen,
                 (*server)->port(), bp::controller::redacted_location(c.db), c.threads, c.handler_threads,
                 c.body_limit);
    if (!c.port_file.empty()) write_port_file(c.port_file, (*server)->port());

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    spdlog::info("stopping signal={}", signal_number);
    (*server)->stop();
    spdlog::info("stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bootprint-service: %s\n", e.what());
        return 2;
    }
}
