// `bootprint profile create|validate|inspect`: boot-trace .wprp profiles. Parsing and printing only;
// generation, validation and inspection live in the profiles library.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bootprint/profiles/generator.hpp"
#include "bootprint/profiles/inspector.hpp"
#include "bootprint/profiles/pool_tag.hpp"
#include "bootprint/profiles/source_text.hpp"
#include "bootprint/profiles/validator.hpp"
#include "commands.hpp"

namespace bp::cli {
namespace {

namespace pf = bp::profiles;

constexpr std::size_t kLabelWidth = 14;
constexpr std::size_t kLineWidth = 110;

struct CreateOptions {
    std::string tags;
    std::string name = std::string(pf::kDefaultProfileName);
    std::uint32_t buffer_size_kb = 0;
    std::uint32_t buffers = 0;
    bool resident_set = false;
    bool triage = false;
    bool single = false;
    std::string output;
    CLI::Option* buffer_size_option = nullptr;
    CLI::Option* buffers_option = nullptr;
};

struct ValidateOptions {
    std::vector<std::string> files;
};

struct InspectOptions {
    std::string file;
    bool json = false;
};

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (const std::string& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
    return out;
}

std::string quoted_tags(const std::vector<std::string>& tags) {
    std::vector<std::string> quoted;
    for (const std::string& t : tags) quoted.push_back(pf::quote_pool_tag(t));
    return join(quoted, " ");
}

// Writes to a temporary file next to `path` and renames it, so a failed write leaves no half profile.
bool write_file(const std::string& path, const std::string& text, std::string& why) {
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) {
            why = "cannot open for writing";
            return false;
        }
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.close();
        if (!out) {
            why = "write failed";
            return false;
        }
    }
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec) {
        std::filesystem::remove(temporary, ec);
        why = "cannot replace the file";
        return false;
    }
    return true;
}

void print_plan(std::ostream& out, const pf::GeneratedProfiles& generated, const std::string& path) {
    const auto& profiles = generated.profiles;
    std::size_t tag_count = 0;
    for (const auto& p : profiles) tag_count += p.pool_tags.size();
    if (profiles.size() == 1) {
        const auto& p = profiles.front();
        out << "Profile " << p.id << ": "
            << (p.pool_tags.empty() ? std::string("all pool tags") : "pool tags " + quoted_tags(p.pool_tags))
            << '\n'
            << "Arm it with: wpr -addboot " << pf::addboot_argument(path, p) << " -filemode\n";
        return;
    }
    out << "Plan: " << tag_count << " pool tags need " << profiles.size()
        << " profiles (WPR filters on at most 4 pool tags per profile); record one per boot:\n";
    for (std::size_t i = 0; i < profiles.size(); ++i) {
        out << "  boot " << i + 1 << ": wpr -addboot " << pf::addboot_argument(path, profiles[i])
            << " -filemode    # " << quoted_tags(profiles[i].pool_tags) << '\n';
    }
}

void run_create(const CreateOptions& o, CliContext& ctx) {
    pf::ProfileRequest request;
    request.name = o.name;
    request.resident_set = o.resident_set;
    request.triage = o.triage;
    request.single = o.single;
    if (o.buffer_size_option->count() > 0) request.buffer_size_kb = o.buffer_size_kb;
    if (o.buffers_option->count() > 0) request.buffers = o.buffers;

    auto tags = pf::parse_pool_tag_list(o.tags);
    if (!tags) {
        std::cerr << "bootprint profile create: " << tags.error().describe() << '\n';
        ctx.exit_code = kExitBadInput;
        return;
    }
    request.pool_tags = std::move(tags).value();

    auto generated = pf::generate(request);
    if (!generated) {
        std::cerr << "bootprint profile create: " << generated.error().describe() << '\n';
        ctx.exit_code = generated.error().code == Errc::invalid_argument ? kExitBadInput : kExitFailure;
        return;
    }
    if (o.output.empty()) {
        std::cout << generated->xml;
        print_plan(std::cerr, *generated, "FILE.wprp");
        return;
    }
    std::string why;
    if (!write_file(o.output, generated->xml, why)) {
        std::cerr << "bootprint profile create: " << o.output << ": " << why << '\n';
        ctx.exit_code = kExitBadInput;
        return;
    }
    std::cout << "Wrote " << o.output << '\n';
    print_plan(std::cout, *generated, o.output);
}

void run_validate(const ValidateOptions& o, CliContext& ctx) {
    bool unreadable = false;
    bool invalid = false;
    for (const std::string& file : o.files) {
        auto text = pf::read_source_file(file);
        if (!text) {
            std::cerr << text.error().describe() << '\n';
            unreadable = true;
            continue;
        }
        auto report = pf::validate_wprp(*text);
        if (!report) {
            std::cerr << std::move(report).error().with_path(file).describe() << '\n';
            unreadable = true;
            continue;
        }
        for (const pf::Diagnostic& d : report->diagnostics)
            std::cerr << pf::format_diagnostic(file, d) << '\n';
        if (report->ok()) {
            std::cout << file << ": valid (" << report->profile_count
                      << (report->profile_count == 1 ? " profile)" : " profiles)") << '\n';
        } else {
            const std::size_t errors = report->error_count();
            std::cerr << file << ": invalid (" << errors << (errors == 1 ? " error)" : " errors)") << '\n';
            invalid = true;
        }
    }
    ctx.exit_code = unreadable ? kExitBadInput : invalid ? kExitFailure : kExitOk;
}

// Prints "label  item item item" wrapped at kLineWidth, continuation lines aligned under the items.
void print_wrapped(std::ostream& out, std::string_view label, const std::vector<std::string>& items) {
    std::string line = "  " + std::string(label);
    line.resize(kLabelWidth + 2, ' ');
    const std::string indent(kLabelWidth + 2, ' ');
    bool first = true;
    for (const std::string& item : items) {
        if (!first && line.size() + 1 + item.size() > kLineWidth) {
            out << line << '\n';
            line = indent;
            first = true;
        }
        line += (first ? "" : " ") + item;
        first = false;
    }
    out << line << '\n';
}

void print_field(std::ostream& out, std::string_view label, const std::string& value) {
    print_wrapped(out, label, {value.empty() ? std::string("-") : value});
}

void print_profiles_table(std::ostream& out, const std::string& file,
                          const std::vector<pf::ProfileSummary>& profiles) {
    out << file << ": " << profiles.size() << (profiles.size() == 1 ? " profile" : " profiles") << '\n';
    for (const pf::ProfileSummary& p : profiles) {
        out << '\n' << p.id << "  (line " << p.line << ")\n";
        print_field(out, "Name", p.name);
        print_field(out, "Description", p.description);
        print_field(out, "Logging mode", p.logging_mode);
        print_field(out, "Detail level", p.detail_level);
        if (!p.base.empty()) print_field(out, "Base", p.base);
        std::vector<std::string> collectors;
        for (const pf::CollectorSummary& c : p.collectors) {
            std::string text = c.kind + " " + c.id;
            if (!c.name.empty()) text += " \"" + c.name + "\"";
            if (!c.buffer_size_kb.empty() || !c.buffers.empty()) {
                const std::string size = c.buffer_size_kb.empty() ? "default size" : c.buffer_size_kb + " KB";
                const bool plain_count =
                    !c.buffers.empty() && c.buffers.find_first_not_of("0123456789") == std::string::npos;
                text += " (buffers: " + size +
                        (c.buffers.empty() ? std::string()
                         : plain_count     ? " x " + c.buffers
                                           : ", " + c.buffers) +
                        ")";
            }
            if (!c.defined) text += " [not in this file]";
            collectors.push_back(text);
        }
        if (collectors.empty()) collectors.emplace_back("-");
        for (std::size_t i = 0; i < collectors.size(); ++i)
            print_wrapped(out, i == 0 ? "Collectors" : "", {collectors[i]});
        print_wrapped(out, "Keywords", p.keywords.empty() ? std::vector<std::string>{"-"} : p.keywords);
        print_wrapped(out, "Stacks", p.stacks.empty() ? std::vector<std::string>{"-"} : p.stacks);
        print_field(out, "Pool tags",
                    p.pool_tags.empty() ? std::string("- (no filter)") : quoted_tags(p.pool_tags));
        std::vector<std::string> providers;
        for (const pf::ProviderSummary& pr : p.providers) {
            std::string text = pr.name.empty() ? pr.id + " [not in this file]" : pr.name;
            if (!pr.level.empty()) text += " level " + pr.level;
            if (!pr.keywords.empty()) text += " keywords " + join(pr.keywords, ",");
            providers.push_back(text);
        }
        if (providers.empty()) providers.emplace_back("-");
        for (std::size_t i = 0; i < providers.size(); ++i)
            print_wrapped(out, i == 0 ? "Providers" : "", {providers[i]});
        for (std::size_t i = 0; i < p.notes.size(); ++i)
            print_wrapped(out, i == 0 ? "Notes" : "", {p.notes[i]});
    }
}

nlohmann::json to_json(const std::string& file, const std::vector<pf::ProfileSummary>& profiles) {
    nlohmann::json out;
    out["file"] = file;
    out["profiles"] = nlohmann::json::array();
    for (const pf::ProfileSummary& p : profiles) {
        nlohmann::json j;
        j["id"] = p.id;
        j["name"] = p.name;
        j["description"] = p.description;
        j["logging_mode"] = p.logging_mode;
        j["detail_level"] = p.detail_level;
        j["base"] = p.base;
        j["line"] = p.line;
        j["collectors"] = nlohmann::json::array();
        for (const pf::CollectorSummary& c : p.collectors) {
            j["collectors"].push_back({{"kind", c.kind},
                                       {"id", c.id},
                                       {"name", c.name},
                                       {"buffer_size_kb", c.buffer_size_kb},
                                       {"buffers", c.buffers},
                                       {"defined_in_file", c.defined}});
        }
        j["keywords"] = p.keywords;
        j["stacks"] = p.stacks;
        j["pool_tags"] = p.pool_tags;
        j["providers"] = nlohmann::json::array();
        for (const pf::ProviderSummary& pr : p.providers) {
            j["providers"].push_back(
                {{"id", pr.id}, {"name", pr.name}, {"level", pr.level}, {"keywords", pr.keywords}});
        }
        j["notes"] = p.notes;
        out["profiles"].push_back(std::move(j));
    }
    return out;
}

void run_inspect(const InspectOptions& o, CliContext& ctx) {
    auto text = pf::read_source_file(o.file);
    if (!text) {
        std::cerr << text.error().describe() << '\n';
        ctx.exit_code = kExitBadInput;
        return;
    }
    auto profiles = pf::inspect_wprp(*text);
    if (!profiles) {
        std::cerr << std::move(profiles).error().with_path(o.file).describe() << '\n';
        ctx.exit_code = kExitBadInput;
        return;
    }
    if (o.json) {
        // Profiles may hold any bytes; replace invalid UTF-8 rather than fail.
        std::cout << to_json(o.file, *profiles).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  << '\n';
    } else {
        print_profiles_table(std::cout, o.file, *profiles);
    }
}

}  // namespace

void register_profile_commands(CLI::App& app, CliContext& ctx) {
    CLI::App* profile =
        app.add_subcommand("profile", "Generate, validate and inspect WPR boot-trace profiles (.wprp)");
    profile->require_subcommand(1);

    auto create_options = std::make_shared<CreateOptions>();
    CLI::App* create = profile->add_subcommand(
        "create", "Write a .wprp that records pool usage during boot (file mode, verbose, pool stacks)");
    create->add_option("--tags", create_options->tags,
                       "Pool tags, comma separated: 1-4 printable ASCII characters each, '?' matches one "
                       "character, a final '*' the rest; more than 4 give one profile per group of 4");
    create->add_flag("--resident-set", create_options->resident_set, "Also record the resident set");
    create->add_flag("--triage", create_options->triage, "Also record first level triage and boot phases");
    create->add_option("--name", create_options->name, "Profile name (default Bootprint)");
    create_options->buffer_size_option = create->add_option("--buffer-size", create_options->buffer_size_kb,
                                                            "System collector buffer size in KB (4-1024)");
    create_options->buffers_option =
        create->add_option("--buffers", create_options->buffers, "System collector buffer count (2-4096)");
    create->add_flag("--single", create_options->single, "Refuse more than 4 tags instead of splitting");
    create->add_option("-o,--output", create_options->output, "Write to FILE (default: standard output)");
    create->callback([create_options, &ctx] { run_create(*create_options, ctx); });

    auto validate_options = std::make_shared<ValidateOptions>();
    CLI::App* validate = profile->add_subcommand(
        "validate", "Check .wprp files against WPR's schema rules (exit 1 if a file is invalid)");
    validate->add_option("FILE", validate_options->files, ".wprp files")->required();
    validate->callback([validate_options, &ctx] { run_validate(*validate_options, ctx); });

    auto inspect_options = std::make_shared<InspectOptions>();
    CLI::App* inspect = profile->add_subcommand(
        "inspect", "List each profile: mode, level, collectors, keywords, stacks, pool tags, providers");
    inspect->add_option("FILE", inspect_options->file, ".wprp file")->required();
    inspect->add_flag("--json", inspect_options->json, "Print JSON instead of a table");
    inspect->callback([inspect_options, &ctx] { run_inspect(*inspect_options, ctx); });
}

}  // namespace bp::cli
