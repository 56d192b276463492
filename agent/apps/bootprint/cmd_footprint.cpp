// `bootprint ingest|traces|pool|residentset|summary`: boot traces into the footprint store and the
// WPA-style tables out of it. Parsing and printing only; the work is in the footprint and store
// libraries. `pool` and `residentset` also take an .etl directly: it is analysed into a temporary
// store (deleted on exit), so both forms print the same rows by construction.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bootprint/etl/etl_file.hpp"
#include "bootprint/footprint/analyzer.hpp"
#include "bootprint/footprint/pooltag_map.hpp"
#include "bootprint/store/agent_store.hpp"
#include "bootprint/store/ingest_file.hpp"
#include "bootprint/symbols/symbols.hpp"
#include "commands.hpp"

namespace bp::cli {
namespace {

using nlohmann::ordered_json;
namespace fp = bp::footprint;
namespace st = bp::store;

int report(const Error& e) {
    std::fprintf(stderr, "bootprint: %s\n", e.describe().c_str());
    return e.code == Errc::internal ? kExitFailure : kExitBadInput;
}

std::string file_name_of(const std::string& path) {
    const auto slash = path.find_last_of("\\/");
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// ---- progress ----------------------------------------------------------------------------------------

// "boot.etl  analyse [##########          ]  48%   512.0/1066.2 MB" on stderr, redrawn in place; only
// when stderr is a terminal, so logs and tests see nothing.
class ProgressBar {
  public:
    ProgressBar() : enabled_(isatty(STDERR_FILENO) == 1) {}
    ~ProgressBar() { clear(); }
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    void update(const std::string& label, std::uint64_t done, std::uint64_t total) {
        if (!enabled_) return;
        const int permille =
            total ? static_cast<int>(std::min<std::uint64_t>(1000, done * 1000 / total)) : 1000;
        if (label == label_ && permille == permille_) return;  // redraw only when something shows a change
        label_ = label;
        permille_ = permille;
        constexpr int kWidth = 30;
        const int filled = permille * kWidth / 1000;
        std::fprintf(stderr, "\r%-36.36s [%s%s] %3d%% %9.1f/%.1f MB", label.c_str(),
                     std::string(filled, '#').c_str(), std::string(kWidth - filled, ' ').c_str(),
                     permille / 10, static_cast<double>(done) / 1e6, static_cast<double>(total) / 1e6);
        std::fflush(stderr);
        drawn_ = true;
    }
    void clear() {
        if (!drawn_) return;
        std::fprintf(stderr, "\r\033[K");
        std::fflush(stderr);
        drawn_ = false;
        label_.clear();
        permille_ = -1;
    }

  private:
    bool enabled_;
    bool drawn_ = false;
    std::string label_;
    int permille_ = -1;
};

// ---- output ------------------------------------------------------------------------------------------

enum class Format { table, json, csv };

struct OutputArgs {
    bool json = false;
    bool csv = false;
    Format format() const { return json ? Format::json : csv ? Format::csv : Format::table; }
};

void add_output_flags(CLI::App* cmd, OutputArgs& out) {
    auto* json = cmd->add_flag("--json", out.json, "A JSON array of objects");
    auto* csv =
        cmd->add_flag("--csv", out.csv, "CSV: a header line, then one line per row (RFC 4180 quoting)");
    json->excludes(csv);
}

std::string cell_text(const ordered_json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_null()) return "";
    if (v.is_number_float()) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.15g", v.get<double>());
        return buf;
    }
    return v.dump();
}

// RFC 4180: a field with a comma, quote, CR or LF is quoted, and its quotes doubled.
std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

// Rows are JSON objects with the same keys in the same order. JSON prints them whole; CSV prints
// `columns`; the table prints `table_columns` (defaults to `columns`), numbers right-aligned.
void emit(Format format, const std::vector<ordered_json>& rows, const std::vector<std::string>& columns,
          std::vector<std::string> table_columns = {}) {
    if (format == Format::json) {
        ordered_json array = ordered_json::array();
        for (const auto& r : rows) array.push_back(r);
        std::printf("%s\n", array.dump(2).c_str());
        return;
    }
    if (format == Format::csv) {
        std::string line;
        for (std::size_t c = 0; c < columns.size(); ++c) line += (c ? "," : "") + csv_field(columns[c]);
        std::printf("%s\n", line.c_str());
        for (const auto& r : rows) {
            line.clear();
            for (std::size_t c = 0; c < columns.size(); ++c) {
                line += (c ? "," : "") + csv_field(r.contains(columns[c]) ? cell_text(r[columns[c]]) : "");
            }
            std::printf("%s\n", line.c_str());
        }
        return;
    }
    if (table_columns.empty()) table_columns = columns;
    std::vector<std::size_t> width(table_columns.size());
    std::vector<bool> numeric(table_columns.size(), true);
    std::vector<std::vector<std::string>> cells;
    for (std::size_t c = 0; c < table_columns.size(); ++c) width[c] = table_columns[c].size();
    for (const auto& r : rows) {
        std::vector<std::string> line;
        for (std::size_t c = 0; c < table_columns.size(); ++c) {
            const ordered_json& v = r.contains(table_columns[c]) ? r[table_columns[c]] : ordered_json();
            if (!v.is_number()) numeric[c] = false;
            std::string text = cell_text(v);
            // One line per row: control characters (a hostile path) shown escaped.
            std::string safe;
            for (char ch : text) {
                if (static_cast<unsigned char>(ch) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned char>(ch));
                    safe += buf;
                } else {
                    safe += ch;
                }
            }
            width[c] = std::max(width[c], safe.size());
            line.push_back(std::move(safe));
        }
        cells.push_back(std::move(line));
    }
    auto print_line = [&](const std::vector<std::string>& line) {
        std::string out;
        for (std::size_t c = 0; c < line.size(); ++c) {
            const std::string pad(width[c] - line[c].size(), ' ');
            if (c) out += "  ";
            out += numeric[c] ? pad + line[c] : (c + 1 == line.size() ? line[c] : line[c] + pad);
        }
        std::printf("%s\n", out.c_str());
    };
    print_line(table_columns);
    for (const auto& line : cells) print_line(line);
}

// ---- trace selection -----------------------------------------------------------------------------------

struct FilterArgs {
    std::int64_t trace = 0;
    std::string campaign, build, machine;
    std::int64_t iteration = -1;
    CLI::Option* trace_opt = nullptr;
    CLI::Option* campaign_opt = nullptr;
    CLI::Option* iteration_opt = nullptr;
    CLI::Option* build_opt = nullptr;
    CLI::Option* machine_opt = nullptr;

    st::TraceFilter filter() const {
        st::TraceFilter f;
        if (trace_opt->count()) f.trace_id = trace;
        if (campaign_opt->count()) f.campaign = campaign;
        if (iteration_opt->count()) f.iteration = iteration;
        if (build_opt->count()) f.build = build;
        if (machine_opt->count()) f.machine = machine;
        return f;
    }
};

void add_filter_options(CLI::App* cmd, FilterArgs& a) {
    a.trace_opt = cmd->add_option("--trace", a.trace, "Only this trace id (see `bootprint traces`)");
    a.campaign_opt = cmd->add_option("--campaign", a.campaign, "Only traces with this campaign label");
    a.iteration_opt = cmd->add_option("--iteration", a.iteration, "Only traces with this iteration label");
    a.build_opt = cmd->add_option("--build", a.build, "Only traces with this build label");
    a.machine_opt = cmd->add_option("--machine", a.machine, "Only traces with this machine label");
}

// ---- analysing and ingesting -----------------------------------------------------------------------------

struct AnalysisArgs {
    std::string pooltag_file;
    bool lenient = false;
    std::string symbols;  // symbol path; "" → BOOTPRINT_SYMBOL_PATH / _NT_SYMBOL_PATH
};

void add_symbols_option(CLI::App* cmd, std::string& path) {
    cmd->add_option("--symbols", path,
                    "Local symbol stores, 'DIR;srv*DIR;...' (default: $BOOTPRINT_SYMBOL_PATH, else $_NT_SYMBOL_PATH)");
}

// The resolver over the symbol path given (or the environment's); with none, every frame stays
// module+offset.
Result<std::unique_ptr<bp::symbols::StoreSymbolizer>> make_symbolizer(const std::string& given) {
    const std::string text = given.empty() ? bp::symbols::symbol_path_from_environment() : given;
    BP_TRY(auto dirs, bp::symbols::parse_symbol_path(text));
    return std::make_unique<bp::symbols::StoreSymbolizer>(std::move(dirs));
}

void add_analysis_options(CLI::App* cmd, AnalysisArgs& a) {
    cmd->add_option("--pooltag", a.pooltag_file,
                    "pooltag.txt-format file: tag → driver for pool rows without an allocation stack");
    cmd->add_flag("--lenient", a.lenient, "Skip damaged buffers of a trace instead of failing");
    add_symbols_option(cmd, a.symbols);
}

Result<std::optional<fp::PoolTagMap>> load_pooltags(const AnalysisArgs& a) {
    if (a.pooltag_file.empty()) return std::optional<fp::PoolTagMap>();
    BP_TRY(fp::PoolTagMap map, fp::PoolTagMap::load(a.pooltag_file));
    return std::optional<fp::PoolTagMap>(std::move(map));
}

// One file into the store (hash ∥ analysis ∥ SQLite, store::ingest_etl_file) with a progress bar.
Result<st::IngestFileOutcome> ingest_file(st::AgentStore& store, const std::string& path,
                                          st::IngestFileOptions options, ProgressBar& bar) {
    const std::string name = file_name_of(path);
    options.progress = [&](std::uint64_t done, std::uint64_t total) { bar.update(name + "  ingest", done, total); };
    auto outcome = st::ingest_etl_file(store, path, options);
    bar.clear();
    return outcome;
}

// A query source: a store file, or an .etl analysed into a temporary store.
Result<st::AgentStore> open_source(const std::string& path, const AnalysisArgs& analysis, bool* from_etl) {
    char magic[16] = {};
    {
        std::ifstream in(path, std::ios::binary);
        if (!in)
            return make_error(Errc::io, std::string("cannot open: ") + std::strerror(errno)).with_path(path);
        in.read(magic, sizeof magic);
    }
    static constexpr char kSqliteMagic[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f',
                                              'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};
    if (std::equal(std::begin(kSqliteMagic), std::end(kSqliteMagic), std::begin(magic))) {
        *from_etl = false;
        return st::AgentStore::open(path, {false});
    }
    *from_etl = true;
    BP_TRY(auto pooltags, load_pooltags(analysis));
    BP_TRY(st::AgentStore store, st::AgentStore::open_temporary());
    BP_TRY(auto symbolizer, make_symbolizer(analysis.symbols));
    st::IngestFileOptions args;
    args.symbolizer = symbolizer.get();
    args.pooltags = pooltags ? &*pooltags : nullptr;
    args.lenient = analysis.lenient;
    args.identify = false;
    ProgressBar bar;
    BP_TRY_STATUS(ingest_file(store, path, args, bar));
    return store;
}

// ---- row formatting ------------------------------------------------------------------------------------

ordered_json pool_json(const st::PoolTableRow& t) {
    const fp::PoolSummaryRow& r = t.row;
    ordered_json j;
    j["tag"] = r.tag;
    j["module"] = r.module;
    j["paged"] = r.paged;
    j["type"] = fp::to_string(r.type);
    j["impacting"] = fp::impacting_label(r.type);
    j["count"] = r.count;
    j["size"] = r.size;
    j["impacting_size"] = r.impacting_size;
    j["peak_outstanding"] = r.peak_outstanding;
    j["attribution"] = t.attribution;
    j["trace"] = t.trace_id;
    return j;
}

ordered_json resident_json(const st::ResidentTableRow& t) {
    ordered_json j;
    j["category"] = t.row.category;
    j["path"] = t.row.path;
    j["list"] = t.row.list;
    j["pages"] = t.row.pages;
    j["bytes"] = t.row.bytes();
    j["snapshot"] = t.row.snapshot;
    j["trace"] = t.trace_id;
    return j;
}

ordered_json trace_json(const st::TraceRecord& t) {
    ordered_json j;
    j["trace"] = t.id;
    j["file"] = t.info.path;
    j["sha256"] = t.info.sha256;
    j["bytes"] = t.info.bytes;
    j["campaign"] = t.labels.campaign;
    j["iteration"] = t.labels.iteration >= 0 ? ordered_json(t.labels.iteration) : ordered_json();
    j["build"] = t.labels.build;
    j["machine"] = t.labels.machine;
    j["os_version"] = t.info.os_version;
    j["os_build"] = t.info.os_build;
    j["pointer_size"] = t.info.pointer_size;
    j["duration_s"] = t.clock_frequency > 0 ? static_cast<double>(t.window.end - t.clock_origin) /
                                                  static_cast<double>(t.clock_frequency)
                                            : 0.0;
    j["events"] = t.info.events;
    j["events_lost"] = t.info.events_lost;
    j["buffers_lost"] = t.info.buffers_lost;
    j["lost_flagged_buffers"] = t.info.lost_flagged_buffers;
    j["malformed_events"] = t.info.malformed_events;
    j["pool_rows"] = t.pool_rows;
    j["resident_rows"] = t.resident_rows;
    j["ingested_at"] = t.ingested_at;
    return j;
}

ordered_json series_json(const char* kind, const st::SeriesStats& s) {
    ordered_json j;
    j["kind"] = kind;
    j["build"] = s.build;
    j["name"] = std::string(kind) == "driver" ? file_name_of(s.key) : s.key;
    if (std::string(kind) == "driver") j["path"] = s.key;
    j["iterations"] = s.spread.n;
    j["present"] = s.present;
    j["median"] = s.spread.median;
    j["min"] = s.spread.min;
    j["max"] = s.spread.max;
    j["mad"] = s.spread.mad;
    return j;
}

std::vector<std::string> keys_of(const std::vector<ordered_json>& rows, std::vector<std::string> fallback) {
    if (rows.empty()) return fallback;
    std::vector<std::string> keys;
    for (const auto& [k, v] : rows.front().items()) keys.push_back(k);
    return keys;
}

// ---- commands ------------------------------------------------------------------------------------------

void register_ingest(CLI::App& app, CliContext& ctx) {
    struct Args {
        std::vector<std::string> files;
        std::string db;
        fp::Labels labels;
        AnalysisArgs analysis;
        bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* cmd =
        app.add_subcommand("ingest", "Analyse boot traces and store their footprint rows in a database");
    cmd->add_option("FILE", a->files, "The .etl files")->required();
    cmd->add_option("--db", a->db, "The footprint database (created when missing)")->required();
    cmd->add_option("--campaign", a->labels.campaign, "Campaign label");
    cmd->add_option("--iteration", a->labels.iteration, "Iteration label (a number)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--build", a->labels.build, "Build label");
    cmd->add_option("--machine", a->labels.machine, "Machine label");
    add_analysis_options(cmd, a->analysis);
    cmd->add_flag("--json", a->json, "One JSON object per file and outcome, as an array");
    cmd->callback([a, &ctx] {
        auto pooltags = load_pooltags(a->analysis);
        if (!pooltags) {
            ctx.exit_code = report(pooltags.error());
            return;
        }
        auto symbolizer = make_symbolizer(a->analysis.symbols);
        if (!symbolizer) {
            ctx.exit_code = report(symbolizer.error());
            return;
        }
        auto store = st::AgentStore::open(a->db);
        if (!store) {
            ctx.exit_code = report(store.error());
            return;
        }
        st::IngestFileOptions args;
        args.symbolizer = symbolizer->get();
        args.labels = a->labels;
        args.pooltags = *pooltags ? &**pooltags : nullptr;
        args.lenient = a->analysis.lenient;
        ProgressBar bar;
        ordered_json results = ordered_json::array();
        for (const std::string& path : a->files) {
            auto outcome = ingest_file(*store, path, args, bar);
            ordered_json j;
            j["file"] = path;
            if (!outcome) {
                // Each trace is its own transaction: report, go on with the others, fail at the end.
                ctx.exit_code = std::max(ctx.exit_code, report(outcome.error()));
                j["status"] = "failed";
                j["error"] = outcome.error().describe();
                results.push_back(j);
                continue;
            }
            const st::IngestFileOutcome& o = *outcome;
            j["status"] = o.duplicate ? "duplicate" : "ingested";
            j["trace"] = o.trace_id;
            if (o.duplicate) {
                if (!a->json)
                    std::printf("%s: already ingested as trace %" PRId64 "; skipped\n", path.c_str(),
                                o.trace_id);
                results.push_back(j);
                continue;
            }
            j["pool_rows"] = o.counts.pool_rows;
            j["resident_rows"] = o.counts.resident_rows;
            j["images"] = o.counts.images;
            j["stacks"] = o.counts.stacks;
            j["meminfo_samples"] = o.counts.meminfo_samples;
            j["frames"] = o.counts.frames;
            j["frames_named"] = o.counts.frames_named;
            j["seconds"] = o.seconds;
            results.push_back(j);
            if (!a->json) {
                std::printf("%s: trace %" PRId64 ": %" PRIu64 " pool rows, %" PRIu64
                            " resident rows, %" PRIu64 " images, %" PRIu64 " stacks (%" PRIu64 " frames, %" PRIu64
                            " named) in %.2f s (%.1f MB/s)\n",
                            path.c_str(), o.trace_id, o.counts.pool_rows, o.counts.resident_rows,
                            o.counts.images, o.counts.stacks, o.counts.frames, o.counts.frames_named, o.seconds,
                            o.seconds > 0 ? static_cast<double>(o.bytes) / 1e6 / o.seconds : 0.0);
            }
        }
        if (a->json) std::printf("%s\n", results.dump(2).c_str());
    });
}

void register_traces(CLI::App& app, CliContext& ctx) {
    struct Args {
        std::string db;
        FilterArgs filter;
        OutputArgs out;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("traces", "List the traces in a footprint database");
    cmd->add_option("DB", a->db, "The footprint database")->required();
    add_filter_options(cmd, a->filter);
    add_output_flags(cmd, a->out);
    cmd->callback([a, &ctx] {
        auto store = st::AgentStore::open(a->db, {false});
        if (!store) {
            ctx.exit_code = report(store.error());
            return;
        }
        auto traces = store->traces(a->filter.filter());
        if (!traces) {
            ctx.exit_code = report(traces.error());
            return;
        }
        std::vector<ordered_json> rows;
        for (const auto& t : *traces) rows.push_back(trace_json(t));
        emit(a->out.format(), rows, keys_of(rows, {"trace", "file", "sha256"}),
             {"trace", "file", "campaign", "iteration", "build", "machine", "os_build", "duration_s",
              "events", "events_lost", "buffers_lost", "pool_rows", "resident_rows", "ingested_at"});
    });
}

void register_pool(CLI::App& app, CliContext& ctx) {
    struct Args {
        std::string source;
        FilterArgs filter;
        AnalysisArgs analysis;
        OutputArgs out;
        std::string tag;
        bool paged = false;
        bool nonpaged = false;
        double from = 0;
        double to = 0;
        std::string by;
        std::string module;
        CLI::Option* tag_opt = nullptr;
        CLI::Option* module_opt = nullptr;
        CLI::Option* from_opt = nullptr;
        CLI::Option* to_opt = nullptr;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("pool", "WPA's pool table: one row per tag, module, paged and type");
    cmd->add_option("SOURCE", a->source, "A footprint database or an .etl file")->required();
    add_filter_options(cmd, a->filter);
    a->tag_opt = cmd->add_option("--tag", a->tag, "Only this pool tag (exact, as printed)");
    auto* paged = cmd->add_flag("--paged", a->paged, "Only paged pool");
    auto* nonpaged = cmd->add_flag("--nonpaged", a->nonpaged, "Only non-paged pool");
    paged->excludes(nonpaged);
    a->from_opt = cmd->add_option("--from", a->from, "Window start, seconds since the trace start");
    a->to_opt = cmd->add_option("--to", a->to, "Window end, seconds since the trace start");
    auto* by = cmd->add_option("--by", a->by,
                               "function: allocations per allocating function (first frame outside the kernel's "
                               "allocator), with count and size")
                   ->check(CLI::IsMember({"function"}));
    a->module_opt = cmd->add_option("--module", a->module, "With --by function: only this module's rows");
    a->module_opt->needs(by);
    add_analysis_options(cmd, a->analysis);
    add_output_flags(cmd, a->out);
    cmd->callback([a, &ctx] {
        bool from_etl = false;
        auto store = open_source(a->source, a->analysis, &from_etl);
        if (!store) {
            ctx.exit_code = report(store.error());
            return;
        }
        if (a->by == "function") {
            if (a->from_opt->count() || a->to_opt->count() || a->paged || a->nonpaged) {
                ctx.exit_code = report(make_error(Errc::invalid_argument,
                                                  "--by function counts every allocation of the trace; it takes no "
                                                  "--from/--to/--paged/--nonpaged"));
                return;
            }
            st::FunctionQuery fq;
            fq.traces = a->filter.filter();
            if (a->tag_opt->count()) fq.tag = a->tag;
            if (a->module_opt->count()) fq.module = a->module;
            auto rows = store->pool_by_function(fq);
            if (!rows) {
                ctx.exit_code = report(rows.error());
                return;
            }
            std::vector<ordered_json> out;
            bool several = false;
            for (const auto& r : *rows) {
                ordered_json j;
                j["module"] = r.module;
                j["function"] = r.function;
                j["tag"] = r.tag;
                j["count"] = r.count;
                j["size"] = r.size;
                j["outstanding_count"] = r.outstanding_count;
                j["outstanding_size"] = r.outstanding_size;
                j["approximate"] = r.approximate;
                j["trace"] = r.trace_id;
                out.push_back(j);
                several = several || r.trace_id != rows->front().trace_id;
            }
            std::vector<std::string> columns = {"module", "function", "tag", "count", "size", "outstanding_count",
                                                "outstanding_size", "approximate", "trace"};
            std::vector<std::string> table(columns.begin(), columns.end() - 1);
            if (several) table.insert(table.begin(), "trace");
            emit(a->out.format(), out, columns, table);
            return;
        }
        st::PoolQuery q;
        q.traces = a->filter.filter();
        if (a->tag_opt->count()) q.tag = a->tag;
        if (a->paged) q.paged = true;
        if (a->nonpaged) q.paged = false;
        if (a->from_opt->count()) q.from_seconds = a->from;
        if (a->to_opt->count()) q.to_seconds = a->to;
        auto rows = store->pool_table(q);
        if (!rows) {
            ctx.exit_code = report(rows.error());
            return;
        }
        std::vector<ordered_json> out;
        bool several_traces = false;
        for (const auto& r : *rows) {
            out.push_back(pool_json(r));
            several_traces = several_traces || r.trace_id != rows->front().trace_id;
        }
        std::vector<std::string> columns = {"tag",         "module",         "paged",
                                            "type",        "impacting",      "count",
                                            "size",        "impacting_size", "peak_outstanding",
                                            "attribution", "trace"};
        std::vector<std::string> table(columns.begin(), columns.end() - 1);
        if (several_traces) table.insert(table.begin(), "trace");
        emit(a->out.format(), out, columns, table);
    });
}

void register_residentset(CLI::App& app, CliContext& ctx) {
    struct Args {
        std::string source;
        FilterArgs filter;
        AnalysisArgs analysis;
        OutputArgs out;
        std::string category, list;
        std::uint32_t snapshot = 0;
        CLI::Option* category_opt = nullptr;
        CLI::Option* list_opt = nullptr;
        CLI::Option* snapshot_opt = nullptr;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("residentset", "WPA's resident set: pages per category, path and list");
    cmd->add_option("SOURCE", a->source, "A footprint database or an .etl file")->required();
    add_filter_options(cmd, a->filter);
    a->category_opt =
        cmd->add_option("--category", a->category, "Only this page category (Driver, Image, ...)");
    a->list_opt = cmd->add_option("--list", a->list, "Only this memory list (Active, Standby, ...)");
    a->snapshot_opt = cmd->add_option("--snapshot", a->snapshot, "Only this snapshot number");
    add_analysis_options(cmd, a->analysis);
    add_output_flags(cmd, a->out);
    cmd->callback([a, &ctx] {
        bool from_etl = false;
        auto store = open_source(a->source, a->analysis, &from_etl);
        if (!store) {
            ctx.exit_code = report(store.error());
            return;
        }
        st::ResidentQuery q;
        q.traces = a->filter.filter();
        if (a->category_opt->count()) q.category = a->category;
        if (a->list_opt->count()) q.list = a->list;
        if (a->snapshot_opt->count()) q.snapshot = a->snapshot;
        auto rows = store->resident_set(q);
        if (!rows) {
            ctx.exit_code = report(rows.error());
            return;
        }
        std::vector<ordered_json> out;
        bool several_traces = false;
        for (const auto& r : *rows) {
            out.push_back(resident_json(r));
            several_traces = several_traces || r.trace_id != rows->front().trace_id;
        }
        std::vector<std::string> columns = {"category", "path",     "list", "pages",
                                            "bytes",    "snapshot", "trace"};
        std::vector<std::string> table = {"snapshot", "category", "list", "pages", "bytes", "path"};
        if (several_traces) table.insert(table.begin(), "trace");
        emit(a->out.format(), out, columns, table);
    });
}

void register_summary(CLI::App& app, CliContext& ctx) {
    struct Args {
        std::string db;
        std::string campaign, build, machine;
        CLI::Option* build_opt = nullptr;
        CLI::Option* machine_opt = nullptr;
        OutputArgs out;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("summary", "Per tag and per driver across a campaign's iterations");
    cmd->add_option("DB", a->db, "The footprint database")->required();
    cmd->add_option("--campaign", a->campaign, "The campaign label")->required();
    a->build_opt = cmd->add_option("--build", a->build, "Only traces with this build label");
    a->machine_opt = cmd->add_option("--machine", a->machine, "Only traces with this machine label");
    add_output_flags(cmd, a->out);
    cmd->callback([a, &ctx] {
        auto store = st::AgentStore::open(a->db, {false});
        if (!store) {
            ctx.exit_code = report(store.error());
            return;
        }
        st::CampaignQuery q;
        q.campaign = a->campaign;
        if (a->build_opt->count()) q.build = a->build;
        if (a->machine_opt->count()) q.machine = a->machine;
        auto s = store->campaign_summary(q);
        if (!s) {
            ctx.exit_code = report(s.error());
            return;
        }
        const std::string note =
            "a tag or driver absent from an iteration counts as 0 there; 'present' says in how many "
            "iterations it "
            "appears";
        std::vector<ordered_json> tags, drivers, iterations;
        for (const auto& t : s->tags) tags.push_back(series_json("tag", t));
        for (const auto& d : s->drivers) drivers.push_back(series_json("driver", d));
        for (const auto& t : s->iterations) {
            iterations.push_back({{"trace", t.id},
                                  {"iteration", t.labels.iteration},
                                  {"build", t.labels.build},
                                  {"machine", t.labels.machine},
                                  {"file", t.info.path}});
        }
        const Format format = a->out.format();
        if (format == Format::json) {
            ordered_json j;
            j["campaign"] = s->campaign;
            j["note"] = note;
            j["iterations"] = iterations;
            j["tags"] = tags;        // impacting size (bytes) of the whole-trace pool table
            j["drivers"] = drivers;  // resident code bytes: category Driver, list Active, last snapshot
            std::printf("%s\n", j.dump(2).c_str());
            return;
        }
        const std::vector<std::string> columns = {"kind",    "build",  "name", "path", "iterations",
                                                  "present", "median", "min",  "max",  "mad"};
        if (format == Format::csv) {
            std::vector<ordered_json> all = tags;
            all.insert(all.end(), drivers.begin(), drivers.end());
            emit(format, all, columns);
            std::fprintf(stderr, "bootprint: note: %s\n", note.c_str());
            return;
        }
        bool several_builds = false;
        for (const auto& t : s->iterations)
            several_builds |= t.labels.build != s->iterations.front().labels.build;
        std::vector<std::string> tag_table = {"name", "present", "iterations", "median", "min", "max", "mad"};
        std::vector<std::string> driver_table = tag_table;
        driver_table.push_back("path");
        if (several_builds) {
            tag_table.insert(tag_table.begin(), "build");
            driver_table.insert(driver_table.begin(), "build");
        }
        std::printf("campaign %s: %zu iterations\n\n", s->campaign.c_str(), s->iterations.size());
        std::printf("Pool tags: impacting size in bytes (whole trace)\n");
        emit(format, tags, columns, tag_table);
        std::printf("\nDrivers: resident code bytes (category Driver, list Active, last snapshot)\n");
        emit(format, drivers, columns, driver_table);
        std::printf("\nNote: %s.\n", note.c_str());
    });
}

}  // namespace


// `bootprint symbolize DB`: rewrites the symbolized frames of stored traces from the symbol path.
void register_symbolize(CLI::App& app, CliContext& ctx) {
    struct Args {
        std::string db;
        FilterArgs filter;
        std::string symbols;
        bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("symbolize", "Re-symbolize the stacks of stored traces from a symbol path");
    cmd->add_option("DB", a->db, "The footprint database")->required();
    add_filter_options(cmd, a->filter);
    add_symbols_option(cmd, a->symbols);
    cmd->add_flag("--json", a->json, "Per trace: counts and each image's symbol status, as JSON");
    cmd->callback([a, &ctx] {
        auto symbolizer = make_symbolizer(a->symbols);
        if (!symbolizer) {
            ctx.exit_code = report(symbolizer.error());
            return;
        }
        auto store = st::AgentStore::open(a->db, {false});
        if (!store) {
            ctx.exit_code = report(store.error());
            return;
        }
        auto traces = store->traces(a->filter.filter());
        if (!traces) {
            ctx.exit_code = report(traces.error());
            return;
        }
        ordered_json all = ordered_json::array();
        for (const auto& t : *traces) {
            auto counts = store->symbolize(t.id, **symbolizer);
            if (!counts) {
                ctx.exit_code = report(counts.error());
                return;
            }
            ordered_json j;
            j["trace"] = t.id;
            j["stacks"] = counts->stacks;
            j["frames"] = counts->frames;
            j["frames_named"] = counts->frames_named;
            ordered_json images = ordered_json::array();
            for (const auto& im : counts->images) {
                images.push_back({{"image", im.name}, {"status", im.status.status}, {"pdb", im.status.pdb_path},
                                  {"detail", im.status.detail}});
            }
            j["images"] = images;
            all.push_back(j);
            if (a->json) continue;
            std::printf("trace %" PRId64 ": %" PRIu64 " stacks, %" PRIu64 " frames, %" PRIu64 " named\n", t.id,
                        counts->stacks, counts->frames, counts->frames_named);
            for (const auto& im : counts->images) {
                std::printf("  %-24s %-12s %s\n", im.name.c_str(), im.status.status.c_str(),
                            (im.status.detail.empty() ? im.status.pdb_path : im.status.detail).c_str());
            }
        }
        if (a->json) std::printf("%s\n", all.dump(2).c_str());
    });
}

// `bootprint stacks DB --tag T`: the allocation call trees of one tag, outermost frame at the root.
struct CallNode {
    std::string label;
    std::uint64_t count = 0;
    std::uint64_t size = 0;
    bool approximate = false;
    std::vector<std::unique_ptr<CallNode>> children;
    CallNode* child(const std::string& l) {
        for (auto& c : children) {
            if (c->label == l) return c.get();
        }
        children.push_back(std::make_unique<CallNode>());
        children.back()->label = l;
        return children.back().get();
    }
};

void print_tree(const CallNode& n, int depth, std::uint64_t total_size, ordered_json* json) {
    std::vector<const CallNode*> kids;
    for (const auto& c : n.children) kids.push_back(c.get());
    std::stable_sort(kids.begin(), kids.end(), [](auto* x, auto* y) { return x->size > y->size; });
    for (const CallNode* c : kids) {
        if (json) {
            ordered_json j;
            j["frame"] = c->label;
            j["count"] = c->count;
            j["size"] = c->size;
            if (c->approximate) j["approximate"] = true;
            j["callees"] = ordered_json::array();
            print_tree(*c, depth + 1, total_size, &j["callees"]);
            json->push_back(j);
            continue;
        }
        const double pct = total_size ? 100.0 * static_cast<double>(c->size) / static_cast<double>(total_size) : 0.0;
        std::printf("%8" PRIu64 " %12" PRIu64 " %6.1f%%  %s%s%s\n", c->count, c->size, pct,
                    std::string(static_cast<std::size_t>(2 * depth), ' ').c_str(), c->label.c_str(),
                    c->approximate ? "  [public symbol: approximate]" : "");
        print_tree(*c, depth + 1, total_size, nullptr);
    }
}

void register_stacks(CLI::App& app, CliContext& ctx) {
    struct Args {
        std::string db;
        FilterArgs filter;
        std::string tag;
        bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("stacks", "The allocation call trees of a pool tag, with counts and sizes");
    cmd->add_option("DB", a->db, "The footprint database")->required();
    cmd->add_option("--tag", a->tag, "The pool tag (exact, as printed)")->required();
    add_filter_options(cmd, a->filter);
    cmd->add_flag("--json", a->json, "The trees as nested JSON objects");
    cmd->callback([a, &ctx] {
        auto store = st::AgentStore::open(a->db, {false});
        if (!store) {
            ctx.exit_code = report(store.error());
            return;
        }
        auto stacks = store->tag_stacks(a->filter.filter(), a->tag);
        if (!stacks) {
            ctx.exit_code = report(stacks.error());
            return;
        }
        std::map<std::int64_t, CallNode> roots;  // per trace
        for (const auto& s : *stacks) {
            CallNode* n = &roots[s.trace_id];
            n->count += s.count;
            n->size += s.size;
            if (s.frames.empty()) {
                n = n->child("(no stack)");
                n->count += s.count;
                n->size += s.size;
                continue;
            }
            for (auto it = s.frames.rbegin(); it != s.frames.rend(); ++it) {  // outermost first
                n = n->child(it->label);
                n->count += s.count;
                n->size += s.size;
                n->approximate = n->approximate || it->approximate;
            }
        }
        ordered_json all = ordered_json::array();
        for (const auto& [trace, root] : roots) {
            if (a->json) {
                ordered_json j;
                j["trace"] = trace;
                j["tag"] = a->tag;
                j["count"] = root.count;
                j["size"] = root.size;
                j["callees"] = ordered_json::array();
                print_tree(root, 0, root.size, &j["callees"]);
                all.push_back(j);
                continue;
            }
            std::printf("trace %" PRId64 ", tag %s: %" PRIu64 " allocations, %" PRIu64 " bytes\n", trace,
                        a->tag.c_str(), root.count, root.size);
            std::printf("%8s %12s %7s  %s\n", "count", "size", "share", "frame (outermost first)");
            print_tree(root, 0, root.size, nullptr);
        }
        if (a->json) {
            std::printf("%s\n", all.dump(2).c_str());
        } else if (roots.empty()) {
            std::printf("no allocations of tag %s in the selected traces\n", a->tag.c_str());
        }
    });
}

void register_footprint_commands(CLI::App& app, CliContext& ctx) {
    register_ingest(app, ctx);
    register_traces(app, ctx);
    register_pool(app, ctx);
    register_residentset(app, ctx);
    register_summary(app, ctx);
    register_symbolize(app, ctx);
    register_stacks(app, ctx);
}

}  // namespace bp::cli
