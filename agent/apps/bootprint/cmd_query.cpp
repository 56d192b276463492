// `bootprint query ...`: the controller's history API from the command line (docs/controller.md).
//
//   bootprint query series --server http://ctl:8420 --token $T --kind tag --key Ntfx --machine lab-07
//   bootprint query reports --build 26100.1 --format csv
//   bootprint query keys --kind driver
//   bootprint query agents                  (admin token)
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bootprint/report/controller_client.hpp"
#include "commands.hpp"

namespace bp::cli {

namespace {

using nlohmann::json;

struct QueryOptions {
    std::string server = "http://127.0.0.1:8420";
    std::string token;
    std::string format = "table";
    std::string ca_file;
    bool insecure = false;
};

std::string url_encode(const std::string& s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
        }
    }
    return out;
}

struct Params {
    std::vector<std::pair<std::string, std::string>> items;
    void add(const char* name, const std::string& value) {
        if (!value.empty()) items.emplace_back(name, value);
    }
    std::string query() const {
        std::string q;
        for (const auto& [k, v] : items) q += (q.empty() ? "?" : "&") + std::string(k) + "=" + url_encode(v);
        return q;
    }
};

// GETs `target`; prints the error and sets the exit status on failure.
std::optional<report::HttpReply> fetch(const QueryOptions& o, const std::string& target, CliContext& ctx) {
    report::ClientOptions client_options;
    client_options.url = o.server;
    client_options.ca_file = o.ca_file;
    client_options.verify_tls = !o.insecure;
    report::ControllerClient client(client_options, report::Credentials{0, o.token});
    auto reply = client.request("GET", target);
    if (!reply) {
        std::fprintf(stderr, "bootprint query: %s\n", reply.error().describe().c_str());
        ctx.exit_code = kExitFailure;
        return std::nullopt;
    }
    if (reply->status != 200) {
        std::fprintf(stderr, "bootprint query: HTTP %d: %s\n", reply->status, reply->error_message().c_str());
        ctx.exit_code = reply->status >= 500 ? kExitFailure : kExitBadInput;
        return std::nullopt;
    }
    return std::move(reply).value();
}

void print_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(headers.size());
    for (std::size_t i = 0; i < headers.size(); ++i) width[i] = headers[i].size();
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            out += cells[i];
            if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
        }
        std::printf("%s\n", out.c_str());
    };
    line(headers);
    for (const auto& row : rows) line(row);
}

std::string number(const json& v) {
    if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
    if (v.is_number()) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.0f", v.get<double>());
        return buf;
    }
    return v.is_string() ? v.get<std::string>() : v.dump();
}

// Prints a reply in the chosen format: json and csv as the controller sent them, table from JSON.
void print(const QueryOptions& o, const report::HttpReply& reply, const char* list, const std::vector<std::string>& cols) {
    if (o.format != "table") {
        std::fwrite(reply.body.data(), 1, reply.body.size(), stdout);
        if (!reply.body.empty() && reply.body.back() != '\n') std::printf("\n");
        return;
    }
    const json doc = json::parse(reply.body, nullptr, false);
    if (doc.is_discarded() || !doc.contains(list)) {
        std::printf("%s\n", reply.body.c_str());
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const json& item : doc[list]) {
        std::vector<std::string> row;
        if (!item.is_object()) {
            row.push_back(number(item));
        } else {
            for (const auto& c : cols) row.push_back(item.contains(c) ? number(item[c]) : "");
        }
        rows.push_back(std::move(row));
    }
    print_table(cols, rows);
}

}  // namespace

void register_query_commands(CLI::App& app, CliContext& ctx) {
    auto* query = app.add_subcommand("query", "query the controller's history API");
    query->require_subcommand(1);
    auto options = std::make_shared<QueryOptions>();
    auto common = [options](CLI::App* sub) {
        sub->add_option("--server", options->server, "controller URL")->envname("BOOTPRINT_SERVER")->capture_default_str();
        sub->add_option("--token", options->token, "bearer token (an agent's or the admin's)")->envname("BOOTPRINT_TOKEN");
        sub->add_option("--ca-file", options->ca_file, "https: a CA certificate (PEM) to trust");
        sub->add_flag("--insecure", options->insecure, "https: do not verify the controller's certificate");
    };

    struct Filters {
        std::string kind = "tag", key, metric, build, machine, campaign, from, to, limit;
    };
    auto f = std::make_shared<Filters>();

    auto* series = query->add_subcommand("series", "one quantity across campaigns: median and spread per campaign");
    common(series);
    series->add_option("--kind", f->kind, "tag, driver or total")->check(CLI::IsMember({"tag", "driver", "total"}));
    series->add_option("--key", f->key, "pool tag, driver name, or pool/drivers for --kind total")->required();
    series->add_option("--metric", f->metric, "impacting_size, size, count, active_bytes, standby_bytes");
    series->add_option("--build", f->build, "only this build");
    series->add_option("--machine", f->machine, "only this machine");
    series->add_option("--campaign", f->campaign, "only this campaign");
    series->add_option("--from", f->from, "from this time (YYYY-MM-DD[THH:MM[:SS]Z] UTC), inclusive");
    series->add_option("--to", f->to, "until this time, exclusive");
    series->add_option("--limit", f->limit, "at most this many campaigns (the newest)");
    series->add_option("--format", options->format, "table, json or csv")->check(CLI::IsMember({"table", "json", "csv"}));
    series->callback([options, f, &ctx] {
        Params p;
        p.add("kind", f->kind);
        p.add("key", f->key);
        p.add("metric", f->metric);
        p.add("build", f->build);
        p.add("machine", f->machine);
        p.add("campaign", f->campaign);
        p.add("from", f->from);
        p.add("to", f->to);
        p.add("limit", f->limit);
        if (options->format == "csv") p.add("format", "csv");
        auto reply = fetch(*options, "/v1/history/series" + p.query(), ctx);
        if (reply) {
            print(*options, *reply, "points", {"time_iso", "build", "machine", "campaign", "n", "median", "min", "max", "mad"});
        }
    });

    auto* reports = query->add_subcommand("reports", "the stored iteration reports");
    common(reports);
    reports->add_option("--build", f->build, "only this build");
    reports->add_option("--machine", f->machine, "only this machine");
    reports->add_option("--campaign", f->campaign, "only this campaign");
    reports->add_option("--from", f->from, "from this time, inclusive");
    reports->add_option("--to", f->to, "until this time, exclusive");
    reports->add_option("--limit", f->limit, "at most this many (default 1000)");
    reports->add_option("--format", options->format, "table, json or csv")->check(CLI::IsMember({"table", "json", "csv"}));
    reports->callback([options, f, &ctx] {
        Params p;
        p.add("build", f->build);
        p.add("machine", f->machine);
        p.add("campaign", f->campaign);
        p.add("from", f->from);
        p.add("to", f->to);
        p.add("limit", f->limit);
        if (options->format == "csv") p.add("format", "csv");
        auto reply = fetch(*options, "/v1/history/reports" + p.query(), ctx);
        if (reply) print(*options, *reply, "reports", {"id", "time_iso", "machine", "build", "campaign", "iteration"});
    });

    auto* keys = query->add_subcommand("keys", "the tags or drivers the history knows");
    common(keys);
    keys->add_option("--kind", f->kind, "tag, driver or total")->check(CLI::IsMember({"tag", "driver", "total"}));
    keys->add_option("--metric", f->metric, "the metric (default: impacting_size, active_bytes for drivers)");
    keys->add_option("--format", options->format, "table or json")->check(CLI::IsMember({"table", "json"}));
    keys->callback([options, f, &ctx] {
        Params p;
        p.add("kind", f->kind);
        p.add("metric", f->metric);
        auto reply = fetch(*options, "/v1/history/keys" + p.query(), ctx);
        if (reply) print(*options, *reply, "keys", {"key"});
    });

    auto* agents = query->add_subcommand("agents", "enrolled machines (admin token)");
    common(agents);
    agents->add_option("--format", options->format, "table or json")->check(CLI::IsMember({"table", "json"}));
    agents->callback([options, &ctx] {
        auto reply = fetch(*options, "/v1/admin/agents", ctx);
        if (reply) {
            print(*options, *reply, "agents",
                  {"id", "machine", "group", "os_build", "agent_version", "campaign_state", "last_seen_at", "disabled"});
        }
    });
}

}  // namespace bp::cli
