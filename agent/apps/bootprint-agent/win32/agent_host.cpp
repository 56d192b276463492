// open_agent() and report_error() of the Windows agent: the Windows host over the data folder.
#include <cstdio>

#include "bootprint/host/windows_host.hpp"
#include "commands.hpp"

namespace bp::agent {
namespace {

class WindowsAgentHost final : public AgentHost {
  public:
    explicit WindowsAgentHost(host::win32::WindowsHostOptions options) : machine_(std::move(options)) {}
    Result<host::Host> host() override { return machine_.host(); }
    std::string db_file() const override { return machine_.options().data_dir + "\\agent.db"; }

  private:
    host::win32::WindowsHost machine_;
};

}  // namespace

int report_error(const Error& e) {
    std::fprintf(stderr, "bootprint-agent: %s\n", e.describe().c_str());
    switch (e.code) {
        case Errc::invalid_argument:
        case Errc::not_found:
        case Errc::conflict:
        case Errc::corrupt:
        case Errc::truncated:
            return kExitBadInput;
        default:
            return kExitError;
    }
}

Result<Agent> open_agent(const AgentContext& ctx) {
    host::win32::Win32FileSystem files;
    BP_TRY_STATUS(files.create_directories(ctx.data_dir));
    auto platform =
        std::make_unique<WindowsAgentHost>(host::win32::WindowsHostOptions{ctx.data_dir, ctx.wpr, false});
    const std::string db_path = platform->db_file();
    BP_TRY(store::AgentStore store, store::AgentStore::open(db_path));
    BP_TRY(campaign::CampaignDb db, campaign::CampaignDb::open(db_path));
    return Agent{std::move(platform), std::move(store), std::move(db)};
}

}  // namespace bp::agent
