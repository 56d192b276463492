// `bootprint query ...`: the controller's history API from the command line (docs/controller.md).
//
//   bootprint query series --server http://ctl:8420 --token $T --kind tag --key Ntfx --machine lab-07
//   bootprint query reports --build 26100.1 --format csv
//   bootprint query keys --kind driver
//   bootprint query agents                  (admin token)
//   bootprint query alerts --build 26100.2 | builds | campaigns --machine lab-07 | fleet
//   bootprint diff --build 26100.1 --build 26100.2 [--machine lab-07] [--fail-on-regression]
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bootprint/footprint/compare.hpp"
#include "bootprint/report/controller_client.hpp"
#include "bootprint/store/build_values.hpp"
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

    struct ListArgs {
        std::string build, machine, since, limit;
    };
    auto l = std::make_shared<ListArgs>();
    auto* alerts = query->add_subcommand("alerts", "verdicts recorded for nightly runs against each machine's previous build");
    common(alerts);
    alerts->add_option("--build", l->build, "only runs of this build");
    alerts->add_option("--machine", l->machine, "only this machine");
    alerts->add_option("--since", l->since, "recorded at or after this time (UTC)");
    alerts->add_option("--limit", l->limit, "at most this many (newest first)");
    alerts->add_option("--format", options->format, "table, json or csv")->check(CLI::IsMember({"table", "json", "csv"}));
    alerts->callback([options, l, &ctx] {
        Params p;
        p.add("build", l->build);
        p.add("machine", l->machine);
        p.add("since", l->since);
        p.add("limit", l->limit);
        if (options->format == "csv") p.add("format", "csv");
        if (auto reply = fetch(*options, "/v1/alerts" + p.query(), ctx)) {
            print(*options, *reply, "alerts",
                  {"created_at", "machine", "baseline_build", "build", "kind", "key", "metric", "verdict", "presence",
                   "baseline_median", "median", "delta"});
        }
    });
    auto* builds = query->add_subcommand("builds", "builds with reports, oldest first");
    common(builds);
    builds->add_option("--format", options->format, "table, json or csv")->check(CLI::IsMember({"table", "json", "csv"}));
    builds->callback([options, &ctx] {
        if (auto reply = fetch(*options, std::string("/v1/builds") + (options->format == "csv" ? "?format=csv" : ""), ctx)) {
            print(*options, *reply, "builds", {"build", "first_time", "last_time", "machines", "campaigns", "reports"});
        }
    });
    auto* campaigns = query->add_subcommand("campaigns", "campaigns (nightly runs), newest first");
    common(campaigns);
    campaigns->add_option("--build", l->build, "only this build");
    campaigns->add_option("--machine", l->machine, "only this machine");
    campaigns->add_option("--limit", l->limit, "at most this many");
    campaigns->add_option("--format", options->format, "table, json or csv")->check(CLI::IsMember({"table", "json", "csv"}));
    campaigns->callback([options, l, &ctx] {
        Params p;
        p.add("build", l->build);
        p.add("machine", l->machine);
        p.add("limit", l->limit);
        if (options->format == "csv") p.add("format", "csv");
        if (auto reply = fetch(*options, "/v1/campaigns" + p.query(), ctx)) {
            print(*options, *reply, "campaigns", {"id", "machine", "name", "build", "first_time", "iterations"});
        }
    });
    auto* fleet = query->add_subcommand("fleet", "machines: last seen, campaign state, last campaign");
    common(fleet);
    fleet->add_option("--format", options->format, "table, json or csv")->check(CLI::IsMember({"table", "json", "csv"}));
    fleet->callback([options, &ctx] {
        if (auto reply = fetch(*options, std::string("/v1/fleet") + (options->format == "csv" ? "?format=csv" : ""), ctx)) {
            print(*options, *reply, "machines",
                  {"machine", "group", "last_seen_at", "campaign_state", "last_campaign", "last_build", "last_iterations"});
        }
    });

    // bootprint diff: build A vs build B through the controller's comparison (docs/regressions.md).
    struct DiffArgs {
        std::vector<std::string> builds, floors, relatives;
        std::string machine, kind = "all", verdict, min_iterations, db;
        bool fail_on_regression = false;
    };
    auto d = std::make_shared<DiffArgs>();
    auto diff_options = std::make_shared<QueryOptions>();
    auto* diff = app.add_subcommand("diff", "build A vs build B per tag and driver: regression, improvement or noise");
    diff->add_option("--server", diff_options->server, "controller URL")->envname("BOOTPRINT_SERVER")->capture_default_str();
    diff->add_option("--token", diff_options->token, "bearer token (an agent's or the admin's)")->envname("BOOTPRINT_TOKEN");
    diff->add_option("--ca-file", diff_options->ca_file, "https: a CA certificate (PEM) to trust");
    diff->add_flag("--insecure", diff_options->insecure, "https: do not verify the controller's certificate");
    diff->add_option("--build", d->builds, "the baseline, then the build under test")->required()->expected(2);
    diff->add_option("--db", d->db, "compare the traces ingested in this agent database instead of asking a controller");
    diff->add_option("--machine", d->machine, "only this machine's iterations (default: every machine's)");
    diff->add_option("--kind", d->kind, "tag, driver, total or all (tags and drivers)")
        ->check(CLI::IsMember({"all", "tag", "driver", "total"}));
    diff->add_option("--floor", d->floors, "METRIC=VALUE: smallest change that counts (KiB for sizes), repeatable");
    diff->add_option("--relative", d->relatives, "METRIC=PERCENT: smallest relative change that counts, repeatable");
    diff->add_option("--min-iterations", d->min_iterations, "iterations per build needed for a verdict");
    diff->add_option("--verdict", d->verdict, "only rows with this verdict")
        ->check(CLI::IsMember({"regression", "improvement", "noise", "insufficient"}));
    diff->add_flag("--fail-on-regression", d->fail_on_regression, "exit 1 when any row is a regression");
    diff->add_option("--format", diff_options->format, "table, json or csv")->check(CLI::IsMember({"table", "json", "csv"}));
    diff->callback([diff_options, d, &ctx] {
        auto joined = [](const std::vector<std::string>& items) {
            std::string out;
            for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
            return out;
        };
        Params p;
        p.add("a", d->builds.at(0));
        p.add("b", d->builds.at(1));
        p.add("machine", d->machine);
        p.add("kind", d->kind);
        p.add("floor", joined(d->floors));
        p.add("relative", joined(d->relatives));
        p.add("min_iterations", d->min_iterations);
        p.add("verdict", d->verdict);
        json doc;
        if (!d->db.empty()) {
            // Local: the agent store's traces labelled with each build (bootprint ingest --build).
            footprint::CompareRules rules = footprint::CompareRules::defaults();
            auto fail = [&](const Error& e) {
                std::fprintf(stderr, "bootprint diff: %s\n", e.describe().c_str());
                ctx.exit_code = e.code == Errc::database || e.code == Errc::io ? kExitFailure : kExitBadInput;
            };
            for (const auto& floor : d->floors) {
                if (auto st = rules.parse_floor(floor); !st) return fail(st.error());
            }
            for (const auto& r : d->relatives) {
                if (auto st = rules.parse_relative(r); !st) return fail(st.error());
            }
            if (!d->min_iterations.empty()) {
                try {
                    rules.min_iterations = static_cast<std::size_t>(std::stoul(d->min_iterations));
                } catch (const std::exception&) {
                    return fail(make_error(Errc::invalid_argument, "--min-iterations: expected a number"));
                }
            }
            auto db = store::AgentStore::open(d->db, store::AgentStore::OpenOptions{.create = false});
            if (!db) return fail(db.error());
            footprint::BuildValues values[2];
            for (int i = 0; i < 2; ++i) {
                store::TraceFilter filter;
                filter.build = d->builds[static_cast<std::size_t>(i)];
                if (!d->machine.empty()) filter.machine = d->machine;
                auto v = store::build_values(*db, filter);
                if (!v) return fail(v.error());
                values[i] = std::move(*v);
            }
            auto rows = footprint::compare_builds(values[0], values[1], rules);
            std::erase_if(rows, [&](const footprint::SeriesComparison& c) {
                const bool zero = c.a.min == 0 && c.a.max == 0 && c.b.min == 0 && c.b.max == 0;
                return zero || (d->kind != "all" && c.series.kind != d->kind);
            });
            doc = json{{"a", d->builds[0]}, {"b", d->builds[1]}, {"counts", footprint::verdict_counts(rows)},
                       {"rows", json::array()}};
            for (const auto& r : rows) {
                if (d->verdict.empty() || d->verdict == footprint::to_string(r.verdict)) doc["rows"].push_back(footprint::to_json(r));
            }
        } else {
            // The regression count decides the exit status, so JSON is always fetched; CSV separately.
            auto reply = fetch(*diff_options, "/v1/compare" + p.query(), ctx);
            if (!reply) return;
            doc = json::parse(reply->body, nullptr, false);
            if (doc.is_discarded() || !doc.contains("rows")) {
                std::fprintf(stderr, "bootprint diff: the controller's answer is not a comparison\n");
                ctx.exit_code = kExitFailure;
                return;
            }
        }
        if (diff_options->format == "csv" && !d->db.empty()) {
            std::printf("kind,key,metric,verdict,presence,a.median,b.median,delta,relative,p_value,a.n,b.n,reason\n");
            auto field = [](const json& v) {
                std::string t = v.is_null() ? std::string() : v.is_string() ? v.get<std::string>() : v.dump();
                if (t.find_first_of(",\"\r\n") == std::string::npos) return t;
                std::string q = "\"";
                for (char ch : t) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
                return q + "\"";
            };
            for (const json& r : doc["rows"]) {
                const std::string reason = field(r["reason"]);
                std::printf("%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", field(r["kind"]).c_str(), field(r["key"]).c_str(),
                            field(r["metric"]).c_str(), field(r["verdict"]).c_str(), field(r["presence"]).c_str(),
                            field(r["a"]["median"]).c_str(), field(r["b"]["median"]).c_str(), field(r["delta"]).c_str(),
                            field(r["relative"]).c_str(), field(r["p_value"]).c_str(), field(r["a"]["n"]).c_str(),
                            field(r["b"]["n"]).c_str(), reason.c_str());
            }
        } else         if (diff_options->format == "csv") {
            p.add("format", "csv");
            auto csv = fetch(*diff_options, "/v1/compare" + p.query(), ctx);
            if (!csv) return;
            std::fwrite(csv->body.data(), 1, csv->body.size(), stdout);
        } else if (diff_options->format == "json") {
            std::printf("%s\n", doc.dump(2).c_str());
        } else {
            auto size = [](double v) {
                char buf[64];
                const double a = v < 0 ? -v : v;
                if (a >= 1024.0 * 1024) std::snprintf(buf, sizeof buf, "%.2f MiB", v / 1024 / 1024);
                else if (a >= 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", v / 1024);
                else std::snprintf(buf, sizeof buf, "%.0f B", v);
                return std::string(buf);
            };
            std::vector<std::vector<std::string>> rows;
            for (const json& r : doc["rows"]) {
                const std::string metric = r.value("metric", "");
                const bool bytes = metric.find("_size") != std::string::npos || metric.find("_bytes") != std::string::npos;
                auto show = [&](double v) { return bytes ? size(v) : number(json(v)); };
                const double delta = r.value("delta", 0.0);
                std::string rel;
                if (r.contains("relative") && r["relative"].is_number()) {
                    char buf[32];
                    std::snprintf(buf, sizeof buf, "%+.1f%%", 100 * r["relative"].get<double>());
                    rel = buf;
                }
                std::string pv;
                if (r.contains("p_value") && r["p_value"].is_number()) {
                    char buf[32];
                    std::snprintf(buf, sizeof buf, "%.2g", r["p_value"].get<double>());
                    pv = buf;
                }
                rows.push_back({r.value("verdict", ""), r.value("presence", ""), r.value("kind", ""), r.value("key", ""),
                                metric, show(r["a"].value("median", 0.0)), show(r["b"].value("median", 0.0)),
                                (delta > 0 ? "+" : "") + show(delta), rel,
                                std::to_string(r["a"].value("n", 0)) + "/" + std::to_string(r["b"].value("n", 0)), pv});
            }
            std::printf("%s → %s%s\n", d->builds[0].c_str(), d->builds[1].c_str(),
                        d->machine.empty() ? " (every machine)" : (" on " + d->machine).c_str());
            print_table({"verdict", "flag", "kind", "key", "metric", "A median", "B median", "change", "rel", "boots", "p"},
                        rows);
        }
        const int regressions = doc.contains("counts") ? doc["counts"].value("regression", 0) : 0;
        if (diff_options->format == "table") {
            std::printf("%d regression(s), %d improvement(s), %d within noise, %d with too few boots\n", regressions,
                        doc["counts"].value("improvement", 0), doc["counts"].value("noise", 0),
                        doc["counts"].value("insufficient", 0));
        }
        if (d->fail_on_regression && regressions > 0) ctx.exit_code = kExitFailure;
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
