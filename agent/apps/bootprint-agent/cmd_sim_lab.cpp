// `bootprint-agent sim-lab init|run|status`: the simulated lab machine (agent/src/host/sim).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "bootprint/host/file_system.hpp"
#include "bootprint/host/sim_machine.hpp"
#include "bootprint/writer/boot_trace.hpp"
#include "commands.hpp"

namespace bp::agent {
namespace {

std::string beside(const std::string& program, const std::string& name) {
    return (std::filesystem::path(program).parent_path() / name).string();
}

Result<std::string> read_whole(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(Errc::not_found, "cannot open the file").with_path(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string trimmed_tag(std::string tag) {
    while (!tag.empty() && tag.back() == ' ') tag.pop_back();
    return tag;
}

struct ImageArgs {
    std::string scenario;
    std::vector<std::string> grow;         // TAG=FACTOR
    std::vector<std::string> add_pool;     // JSON objects
    std::vector<std::string> drop_driver;  // names
};

// A new OS image on the simulated machine: its scenario replaced and/or edited. The edited scenario must
// parse before it replaces the old one (written through a temporary name).
Status install_image(const std::string& machine_dir, const ImageArgs& a) {
    const std::string path = (std::filesystem::path(machine_dir) / "scenario.json").string();
    BP_TRY(std::string text, read_whole(a.scenario.empty() ? path : a.scenario));
    nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return make_error(Errc::invalid_argument, "not a JSON object").with_path(a.scenario.empty() ? path : a.scenario);
    }
    for (const std::string& g : a.grow) {
        const auto eq = g.find('=');
        double factor = 0;
        try {
            factor = eq == std::string::npos ? -1 : std::stod(g.substr(eq + 1));
        } catch (const std::exception&) {
            factor = -1;
        }
        if (eq == std::string::npos || eq == 0 || !(factor >= 0)) {
            return make_error(Errc::invalid_argument, "--grow '" + g + "': expected TAG=FACTOR, e.g. Ntfx=1.5");
        }
        bool found = false;
        for (auto& family : doc["pool"]) {
            if (trimmed_tag(family.value("tag", "")) != trimmed_tag(g.substr(0, eq))) continue;
            family["count"] = family.value("count", 100.0) * factor;
            found = true;
        }
        if (!found) return make_error(Errc::not_found, "--grow: the scenario has no pool tag '" + g.substr(0, eq) + "'");
    }
    for (const std::string& p : a.add_pool) {
        nlohmann::json family = nlohmann::json::parse(p, nullptr, false);
        if (!family.is_object()) return make_error(Errc::invalid_argument, "--add-pool: expected a JSON object");
        doc["pool"].push_back(std::move(family));
    }
    for (const std::string& name : a.drop_driver) {
        auto& drivers = doc["drivers"];
        const auto before = drivers.size();
        drivers.erase(std::remove_if(drivers.begin(), drivers.end(),
                                     [&](const nlohmann::json& d) { return d.value("name", "") == name; }),
                      drivers.end());
        if (drivers.size() == before) return make_error(Errc::not_found, "--drop-driver: no driver '" + name + "'");
        auto& pool = doc["pool"];
        pool.erase(std::remove_if(pool.begin(), pool.end(),
                                  [&](const nlohmann::json& f) { return f.value("driver", "") == name; }),
                   pool.end());
    }
    const std::string out = doc.dump(2);
    BP_TRY(auto parsed, writer::parse_scenario(out, path));
    (void)parsed;
    host::LocalFileSystem files;
    return files.write_file(path, out);
}

}  // namespace

void register_sim_lab_commands(CLI::App& app, AgentContext& ctx) {
    auto* lab =
        app.add_subcommand("sim-lab", "The simulated lab machine: a directory, a wpr stand-in, reboots");
    lab->require_subcommand(1);

    struct InitArgs {
        std::string scenario;
        std::string name = "sim-lab-01";
        std::string wpr;
        int dpe = -1;
        std::uint32_t busy_windows = 3;
    };
    auto a = std::make_shared<InitArgs>();
    auto* init = lab->add_subcommand("init", "Create a simulated machine in --machine DIR");
    init->add_option("--scenario", a->scenario, "Boot scenario JSON (default: the embedded desktop boot)");
    init->add_option("--name", a->name, "The machine's name");
    init->add_option("--wpr", a->wpr, "The simulated wpr (default: bootprint-sim-wpr beside this program)");
    init->add_option("--dpe", a->dpe, "Initial DisablePagingExecutive value (default: absent)")
        ->check(CLI::Range(0, 1));
    init->add_option("--busy-windows", a->busy_windows,
                     "Idle samples that report a busy machine after each boot");
    init->callback([a, &ctx] {
        if (ctx.machine_dir.empty()) {
            ctx.exit_code =
                report_error(make_error(Errc::invalid_argument, "sim-lab init needs --machine DIR"));
            return;
        }
        host::sim::SimMachine::InitOptions options;
        options.name = a->name;
        options.wpr_program = a->wpr.empty() ? beside(ctx.program, "bootprint-sim-wpr") : a->wpr;
        options.busy_windows = a->busy_windows;
        if (a->dpe >= 0) options.disable_paging_executive = static_cast<std::uint32_t>(a->dpe);
        if (!a->scenario.empty()) {
            std::FILE* f = std::fopen(a->scenario.c_str(), "rb");
            if (!f) {
                ctx.exit_code = report_error(
                    make_error(Errc::not_found, "cannot open the scenario").with_path(a->scenario));
                return;
            }
            char buf[4096];
            std::size_t n = 0;
            while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) options.scenario_json.append(buf, n);
            std::fclose(f);
        }
        auto machine = host::sim::SimMachine::init(ctx.machine_dir, options);
        if (!machine) {
            ctx.exit_code = report_error(machine.error());
            return;
        }
        std::printf("simulated machine %s in %s\n", options.name.c_str(), machine->dir().c_str());
    });

    auto img = std::make_shared<ImageArgs>();
    auto* image = lab->add_subcommand("image", "Install a new OS image: replace and/or edit the machine's boot scenario");
    image->add_option("--scenario", img->scenario, "Start from this scenario JSON (default: the machine's)");
    image->add_option("--grow", img->grow, "TAG=FACTOR: multiply the allocations of a pool tag (repeatable)");
    image->add_option("--add-pool", img->add_pool, "A pool family as JSON, e.g. {\"tag\":\"Bpx1\",...} (repeatable)");
    image->add_option("--drop-driver", img->drop_driver, "Remove a driver and its pool families (repeatable)");
    image->callback([img, &ctx] {
        if (auto s = install_image(ctx.machine_dir.empty() ? "." : ctx.machine_dir, *img); !s) {
            ctx.exit_code = report_error(s.error());
            return;
        }
        std::printf("new image installed in %s\n", ctx.machine_dir.c_str());
    });

    struct RunArgs {
        std::uint32_t max_boots = 100;
        bool power_cut = false;
        std::uint32_t retry_backoff_ms = 10;
        std::uint32_t max_step_attempts = 5;
    };
    auto r = std::make_shared<RunArgs>();
    auto* run = lab->add_subcommand("run", "Power the machine on and run the agent until the campaign ends");
    run->add_option("--max-boots", r->max_boots, "Stop after this many boots (a runaway guard)");
    run->add_flag("--power-cut-on-crash", r->power_cut,
                  "A killed agent means a power cut, not a service restart");
    run->add_option("--retry-backoff-ms", r->retry_backoff_ms, "Passed to `run`");
    run->add_option("--max-step-attempts", r->max_step_attempts, "Passed to `run`");
    run->callback([r, &ctx] {
        auto machine = host::sim::SimMachine::open(ctx.machine_dir.empty() ? "." : ctx.machine_dir);
        if (!machine) {
            ctx.exit_code = report_error(machine.error());
            return;
        }
        host::sim::SupervisorOptions options;
        options.agent_command = {ctx.program,           "run",
                                 "--retry-backoff-ms",  std::to_string(r->retry_backoff_ms),
                                 "--max-step-attempts", std::to_string(r->max_step_attempts)};
        options.max_boots = r->max_boots;
        options.power_cut_on_crash = r->power_cut;
        auto outcome = host::sim::run_supervisor(*machine, options);
        if (!outcome) {
            ctx.exit_code = report_error(outcome.error());
            return;
        }
        nlohmann::ordered_json j = {{"boots", outcome->boots},
                                    {"agent_starts", outcome->agent_starts},
                                    {"crashes", outcome->crashes},
                                    {"last_exit_code", outcome->last_exit_code},
                                    {"stopped_because", outcome->stopped_because}};
        std::printf("%s\n", j.dump().c_str());
        ctx.exit_code = outcome->last_exit_code == 0 ? kExitOk : kExitFailure;
    });
}

}  // namespace bp::agent
