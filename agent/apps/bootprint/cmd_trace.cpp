// `bootprint trace write|scenario`: the boot-trace writer (scenario JSON → .etl).
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>

#include "bootprint/writer/boot_trace.hpp"
#include "commands.hpp"

namespace bp::cli {

void register_trace_commands(CLI::App& app, CliContext& ctx) {
    auto* trace = app.add_subcommand("trace", "Write simulated boot traces");
    trace->require_subcommand(1);

    struct WriteArgs {
        std::string scenario;
        std::string output;
        std::uint64_t boot = 0;
        bool compress = false;
        unsigned pointer_size = 0;
        double scale = 1.0;
    };
    auto args = std::make_shared<WriteArgs>();
    auto* write = trace->add_subcommand("write", "Write the boot trace of a scenario (default: the embedded one)");
    write->add_option("--scenario", args->scenario, "Scenario JSON file (see `trace scenario` for the format)");
    write->add_option("--boot", args->boot, "Boot number: varies the scenario reproducibly");
    write->add_flag("--compress", args->compress, "XPRESS-compress the buffers");
    write->add_option("--pointer-size", args->pointer_size, "4 or 8 (default: the scenario's)")->check(CLI::IsMember({4u, 8u}));
    write->add_option("--scale", args->scale, "Multiply every pool family's count (large benchmark traces)")
        ->check(CLI::Range(0.0, 100000.0));
    write->add_option("-o,--output", args->output, "The .etl file to write")->required();
    write->callback([args, &ctx] {
        auto scenario = args->scenario.empty() ? writer::parse_scenario(writer::default_scenario_json(), "default scenario")
                                               : writer::load_scenario(args->scenario);
        if (!scenario) {
            std::fprintf(stderr, "bootprint: %s\n", scenario.error().describe().c_str());
            ctx.exit_code = kExitBadInput;
            return;
        }
        writer::BootTraceOptions opt;
        opt.boot = args->boot;
        if (args->compress) opt.compress = true;
        if (args->pointer_size) opt.pointer_size = args->pointer_size;
        opt.scale = args->scale;
        auto summary = writer::write_boot_trace(*scenario, args->output, opt);
        if (!summary) {
            std::fprintf(stderr, "bootprint: %s\n", summary.error().describe().c_str());
            ctx.exit_code = kExitBadInput;
            return;
        }
        std::printf("wrote %s: %" PRIu64 " bytes, %u buffers, %" PRIu64 " events (%" PRIu64 " pool allocations, %" PRIu64
                    " frees, %" PRIu64 " resident pages)\n",
                    args->output.c_str(), summary->write.file_size, summary->write.buffers_written, summary->write.events,
                    summary->allocations, summary->frees, summary->pages);
    });

    auto* scenario = trace->add_subcommand("scenario", "Print the embedded default scenario (a template to edit)");
    scenario->callback([] { std::printf("%s\n", writer::default_scenario_json().c_str()); });
}

}  // namespace bp::cli
