// wpr.exe stand-in for the Windows service test under Wine (there is no wpr.exe there). It honours
// the boot-trace commands of bootprint/host/wpr_contract.hpp like the simulated lab's wpr, on the real
// Windows API: the autologger key in the registry, files by UTF-16 paths, the 32-bit HRESULT as the
// process exit code. Every command line is appended to wpr-calls.log beside the exe; its state (what
// is armed) is wpr-state.json beside the exe. -stopboot writes a boot trace with the project's writer,
// filtered by the armed profile's pool tags, as the kernel's boot logger would.
//
//   wpr.exe [-boottrace] -addboot FILE.wprp!Name.Verbose -filemode -recordtempto DIR [-instancename X]
//   wpr.exe [-boottrace] -cancelboot | -stopboot FILE.etl [description] [-skipPdbGen] | -status
#include <windows.h>

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bootprint/host/windows_host.hpp"
#include "bootprint/host/wpr_contract.hpp"
#include "bootprint/profiles/inspector.hpp"
#include "bootprint/writer/boot_trace.hpp"

namespace {

namespace hw = bp::host::win32;
namespace wpr = bp::host::wpr;

std::string g_dir;  // beside the exe

std::string hex(std::uint32_t code) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "0x%08X", code);
    return buffer;
}

[[noreturn]] void finish(std::uint32_t code) {
    std::fflush(stdout);
    std::fflush(stderr);
    ::ExitProcess(code);
}

[[noreturn]] void fail(std::uint32_t code, const std::string& text) {
    std::fprintf(stderr, "%s\nError code: %s\n", text.c_str(), hex(code).c_str());
    finish(code);
}

std::string read_text(const std::string& path) {
    std::string out;
    auto wpath = hw::widen(path);
    if (!wpath) return out;
    HANDLE h =
        ::CreateFileW(wpath->c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING, 0, nullptr);
    if (h == INVALID_HANDLE_VALUE) return out;
    char buffer[65536];
    DWORD got = 0;
    while (::ReadFile(h, buffer, sizeof buffer, &got, nullptr) && got > 0) out.append(buffer, got);
    ::CloseHandle(h);
    return out;
}

nlohmann::json load_state() {
    const std::string text = read_text(g_dir + "\\wpr-state.json");
    if (text.empty()) return nlohmann::json{{"armed", false}};
    try {
        return nlohmann::json::parse(text);
    } catch (const std::exception& e) {
        fail(wpr::kInvalidSyntax, std::string("wpr-state.json: ") + e.what());
    }
}

void save_state(const nlohmann::json& state) {
    if (auto s = hw::Win32FileSystem().write_file(g_dir + "\\wpr-state.json", state.dump()); !s)
        fail(wpr::kDiskFull, s.error().describe());
}

void disarm(hw::Win32Registry& registry) {
    save_state(nlohmann::json{{"armed", false}});
    if (auto s = registry.delete_key(wpr::kBootAutologgerKey); !s) fail(wpr::kDiskFull, s.error().describe());
}

void add_boot(const std::vector<std::string>& args, std::size_t i, hw::Win32Registry& registry) {
    std::string profile, temp_dir;
    bool file_mode = false;
    for (; i < args.size(); ++i) {
        if (args[i] == "-addboot" && i + 1 < args.size()) {
            profile = args[++i];
        } else if (args[i] == "-filemode") {
            file_mode = true;
        } else if (args[i] == "-recordtempto" && i + 1 < args.size()) {
            temp_dir = args[++i];
        } else if (args[i] == "-instancename" && i + 1 < args.size()) {
            ++i;
        } else {
            fail(wpr::kInvalidSyntax, "Invalid command syntax: " + args[i]);
        }
    }
    if (profile.empty() || !file_mode || temp_dir.empty())
        fail(wpr::kInvalidSyntax,
             "Invalid command syntax (expected -addboot FILE!NAME -filemode -recordtempto DIR).");
    if (load_state().value("armed", false))
        fail(wpr::kAlreadyRunning,
             "Boottrace is already scheduled. Cancel the boottrace first to add the boottrace");
    const auto bang = profile.rfind('!');
    if (bang == std::string::npos) fail(wpr::kInvalidSyntax, "Expected FILE.wprp!ProfileName: " + profile);
    const std::string file = profile.substr(0, bang);
    const std::string selector = profile.substr(bang + 1);
    const std::string text = read_text(file);
    if (text.empty()) fail(wpr::kPathNotFound, "The profile file cannot be read: " + file);
    if (text.find("Id=\"" + selector + ".File\"") == std::string::npos)
        fail(wpr::kNoProviders,
             "Profile '" + selector + "' not found (expected Profile Id: " + selector + ".File)");
    auto wtemp = hw::widen(temp_dir);
    const DWORD a = wtemp ? ::GetFileAttributesW(wtemp->c_str()) : INVALID_FILE_ATTRIBUTES;
    if (a == INVALID_FILE_ATTRIBUTES || !(a & FILE_ATTRIBUTE_DIRECTORY))
        fail(wpr::kPathNotFound, "The temp folder does not exist: " + temp_dir);
    save_state(nlohmann::json{{"armed", true}, {"profile", profile}, {"temp_dir", temp_dir}});
    if (auto s = registry.write_dword(wpr::kBootAutologgerKey, wpr::kAutologgerStart, 1); !s)
        fail(wpr::kDiskFull, s.error().describe());
    (void)registry.delete_value(wpr::kBootAutologgerKey, wpr::kAutologgerStatus);
    std::printf("Boot trace configured: %s\n", profile.c_str());
    finish(wpr::kOk);
}

std::vector<std::string> armed_pool_tags(const std::string& armed) {
    const auto bang = armed.rfind('!');
    const std::string name = armed.substr(bang + 1);
    auto profiles = bp::profiles::inspect_wprp(read_text(armed.substr(0, bang)));
    if (!profiles) fail(wpr::kInvalidSyntax, profiles.error().describe());
    for (const auto& p : *profiles) {
        if (p.id.rfind(name + ".", 0) == 0 || p.id == name || p.name == name) return p.pool_tags;
    }
    fail(wpr::kNoProviders, "profile '" + name + "' is not in the armed file");
}

void stop_boot(const std::vector<std::string>& args, std::size_t i, hw::Win32Registry& registry) {
    if (i + 1 >= args.size())
        fail(wpr::kInvalidSyntax, "Invalid command syntax: -stopboot needs a file name.");
    const std::string out = args[i + 1];
    const nlohmann::json state = load_state();
    if (!state.value("armed", false)) fail(wpr::kNoProfilesRunning, "There are no trace profiles running.");
    // The kernel writes the autologger's Status at boot: without it the armed boot has not happened.
    auto status = registry.read_dword(wpr::kBootAutologgerKey, wpr::kAutologgerStatus);
    if (!status) fail(wpr::kInvalidSyntax, status.error().describe());
    if (!*status) {
        disarm(registry);
        std::printf("%s\n", std::string(wpr::kScheduledNotStarted).c_str());
        finish(wpr::kOk);
    }
    auto scenario = bp::writer::parse_scenario(bp::writer::default_scenario_json(), "default scenario");
    if (!scenario) fail(wpr::kInvalidSyntax, scenario.error().describe());
    bp::writer::BootTraceOptions options;
    options.boot = 1;
    options.pool_tag_filter = armed_pool_tags(state.at("profile").get<std::string>());
    auto written = bp::writer::write_boot_trace(*scenario, out, options);
    disarm(registry);
    if (!written) fail(wpr::kDiskFull, "Saving the trace failed: " + written.error().describe());
    std::printf("The trace was successfully saved.\n");
    finish(wpr::kOk);
}

}  // namespace

int wmain(int argc, wchar_t** wargv) {
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
        auto a = hw::narrow(wargv[i]);
        if (!a) fail(wpr::kInvalidSyntax, "argument is not valid UTF-16");
        args.push_back(*a);
    }
    auto exe = hw::executable_path();
    if (!exe) fail(wpr::kInvalidSyntax, exe.error().describe());
    g_dir = exe->substr(0, exe->find_last_of('\\'));
    {
        // One line per call: what the agent asked, in order.
        std::string line = "wpr";
        for (const auto& a : args) line += " " + a;
        std::string log = read_text(g_dir + "\\wpr-calls.log") + line + "\n";
        if (auto s = hw::Win32FileSystem().write_file(g_dir + "\\wpr-calls.log", log); !s)
            fail(wpr::kDiskFull, s.error().describe());
    }
    hw::Win32Registry registry;
    std::size_t i = 0;
    if (i < args.size() && args[i] == "-boottrace") ++i;
    if (i >= args.size()) fail(wpr::kInvalidSyntax, "Invalid command syntax.");
    const std::string command = args[i];
    if (command == "-addboot") add_boot(args, i, registry);
    if (command == "-stopboot") stop_boot(args, i, registry);
    if (command == "-cancelboot") {
        if (!load_state().value("armed", false))
            fail(wpr::kNoProfilesRunning, "There are no trace profiles running.");
        disarm(registry);
        std::printf("The boot trace was cancelled.\n");
        finish(wpr::kOk);
    }
    if (command == "-status") {
        const auto state = load_state();
        if (state.value("armed", false)) {
            std::printf("Boot trace: %s\n", state.value("profile", std::string()).c_str());
        } else {
            std::printf("WPR is not recording\n");
        }
        finish(wpr::kOk);
    }
    fail(wpr::kInvalidSyntax, "Invalid command syntax: " + command);
}
