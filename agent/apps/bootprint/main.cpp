// bootprint: the analyst's command line. Thin: parsing and printing; the work is in the libraries.
#include <cstdio>
#include <exception>

#include "commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{"bootprint: boot-time kernel memory footprint of Windows drivers"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "bootprint 0.1.0");
    bp::cli::CliContext ctx;
    bp::cli::register_etl_commands(app, ctx);
    bp::cli::register_profile_commands(app, ctx);
    bp::cli::register_footprint_commands(app, ctx);
    bp::cli::register_trace_commands(app, ctx);
    bp::cli::register_query_commands(app, ctx);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : bp::cli::kExitBadInput;
    } catch (const std::exception& e) {
        // Libraries do not throw; this catches std::bad_alloc and the like at the outermost boundary.
        std::fprintf(stderr, "bootprint: fatal: %s\n", e.what());
        return bp::cli::kExitFailure;
    }
    return ctx.exit_code;
}
