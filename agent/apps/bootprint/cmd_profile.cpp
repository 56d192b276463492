// Placeholder until the profiles work lands (see issue "Boot-trace profiles").
#include "commands.hpp"

namespace bp::cli {
void register_profile_commands(CLI::App& /*app*/, CliContext& /*ctx*/) {}
}  // namespace bp::cli
