// Command families of the `bootprint` CLI. Each family registers its subcommands on the root app in
// its own cmd_*.cpp file; a subcommand's callback stores its exit status in the shared CliContext.
#pragma once

#include <CLI/CLI.hpp>

namespace bp::cli {

// Exit statuses used by every command (README documents them).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // the command ran and found a problem (e.g. validation failed)
inline constexpr int kExitBadInput = 2;  // unreadable/damaged input file, bad arguments

struct CliContext {
    int exit_code = kExitOk;
};

void register_etl_commands(CLI::App& app, CliContext& ctx);
void register_profile_commands(CLI::App& app, CliContext& ctx);
void register_footprint_commands(CLI::App& app, CliContext& ctx);
void register_trace_commands(CLI::App& app, CliContext& ctx);
void register_query_commands(CLI::App& app, CliContext& ctx);

}  // namespace bp::cli
