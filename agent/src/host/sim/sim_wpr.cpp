// The simulated wpr.exe. Same command lines as wpr (wpr-boot.md §2.1), same exit codes (§2.5), the
// autologger registry key it configures, and at -stopboot a boot trace written with the project's
// trace writer for the boot the autologger recorded (so each boot differs, reproducibly).
//
//   bootprint-sim-wpr [-boottrace] -addboot FILE.wprp!Name.Verbose -filemode -recordtempto DIR
//   bootprint-sim-wpr [-boottrace] -cancelboot
//   bootprint-sim-wpr [-boottrace] -stopboot FILE.etl [description] [-skipPdbGen]
//   bootprint-sim-wpr -status
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "bootprint/host/sim_machine.hpp"
#include "bootprint/host/wpr_contract.hpp"
#include "bootprint/profiles/inspector.hpp"
#include "bootprint/writer/boot_trace.hpp"
#include "host/sim/json_file.hpp"

namespace bp::host::sim {
namespace fs = std::filesystem;

namespace {

// Reports the 32-bit code through kExitCodeFileEnv and returns the POSIX status.
int finish(std::uint32_t code) {
    if (const char* file = std::getenv(kExitCodeFileEnv); file && *file) {
        if (std::FILE* f = std::fopen(file, "w")) {
            std::fputs(detail::hex_code(code).c_str(), f);
            std::fclose(f);
        }
    }
    return code == 0 ? 0 : (code & 0xFF) == 0 ? 1 : static_cast<int>(code & 0xFF);
}

int fail(std::uint32_t code, const std::string& text) {
    std::fprintf(stderr, "%s\nError code: %s\n", text.c_str(), detail::hex_code(code).c_str());
    return finish(code);
}

std::string text_for(std::uint32_t code) {
    switch (code) {
        case wpr::kNoProfilesRunning:
            return "There are no trace profiles running.";
        case wpr::kAlreadyRunning:
            return "Profiles are already running.";
        case wpr::kCollectorInUse:
            return "The event collector is in use.";
        case wpr::kDiskFull:
            return "There is not enough space on the disk.";
        default:
            return "An unknown error occurred (" + detail::hex_code(code) + ").";
    }
}

int add_boot(const SimMachine& m, FileRegistry& registry, const std::vector<std::string>& args,
             std::size_t i) {
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
            return fail(wpr::kInvalidSyntax, "Invalid command syntax: " + args[i]);
        }
    }
    if (profile.empty() || !file_mode || temp_dir.empty()) {
        // The simulation supports what bootprint uses: file mode with an explicit temp folder.
        return fail(wpr::kInvalidSyntax,
                    "Invalid command syntax (expected -addboot FILE!NAME -filemode -recordtempto DIR).");
    }
    auto state = m.wpr_state();
    if (!state) return fail(wpr::kInvalidSyntax, state.error().describe());
    if (state->armed) {
        return fail(wpr::kAlreadyRunning,
                    "Boottrace is already scheduled. Cancel the boottrace first to add the boottrace");
    }
    const auto bang = profile.rfind('!');
    if (bang == std::string::npos)
        return fail(wpr::kInvalidSyntax, "Expected FILE.wprp!ProfileName: " + profile);
    const std::string file = profile.substr(0, bang);
    const std::string selector = profile.substr(bang + 1);
    auto text = detail::read_text(file);
    if (!text) return fail(wpr::kPathNotFound, "The profile file cannot be read: " + file);
    if (text->find("Id=\"" + selector + ".File\"") == std::string::npos) {
        return fail(wpr::kNoProviders, "Profile '" + selector + "' not found in " + file +
                                           " (expected Profile Id: " + selector + ".File)");
    }
    std::error_code ec;
    if (!fs::is_directory(temp_dir, ec))
        return fail(wpr::kPathNotFound, "The temp folder does not exist: " + temp_dir);
    auto boot = m.boot_state();
    WprState w;
    w.armed = true;
    w.profile = profile;
    w.temp_dir = temp_dir;
    w.armed_boot = boot ? boot->number : 0;
    if (auto s = m.save_wpr_state(w); !s) return fail(wpr::kDiskFull, s.error().describe());
    if (auto s = registry.write_dword(wpr::kBootAutologgerKey, wpr::kAutologgerStart, 1); !s) {
        return fail(wpr::kDiskFull, s.error().describe());
    }
    (void)registry.delete_value(wpr::kBootAutologgerKey, wpr::kAutologgerStatus);
    m.log("wpr -addboot " + profile);
    std::printf("Boot trace configured: %s\n", profile.c_str());
    return finish(0);
}

Status disarm(const SimMachine& m, FileRegistry& registry) {
    BP_TRY_STATUS(m.save_wpr_state(WprState{}));
    return registry.delete_key(wpr::kBootAutologgerKey);
}

int cancel_boot(const SimMachine& m, FileRegistry& registry) {
    auto state = m.wpr_state();
    if (!state) return fail(wpr::kInvalidSyntax, state.error().describe());
    if (!state->armed) return fail(wpr::kNoProfilesRunning, text_for(wpr::kNoProfilesRunning));
    if (auto s = disarm(m, registry); !s) return fail(wpr::kDiskFull, s.error().describe());
    m.log("wpr -cancelboot");
    std::printf("The boot trace was cancelled.\n");
    return finish(0);
}

// The PoolTags of the profile armed with -addboot FILE!NAME (empty: no filter).
Result<std::vector<std::string>> armed_pool_tags(const std::string& armed) {
    const auto bang = armed.rfind('!');
    if (bang == std::string::npos) return std::vector<std::string>{};
    const std::string file = armed.substr(0, bang);
    const std::string name = armed.substr(bang + 1);
    BP_TRY(std::string text, detail::read_text(file));
    BP_TRY(auto profiles, profiles::inspect_wprp(text));
    for (const auto& p : profiles) {
        // NAME is "Name.Level" (or the bare Name); a profile's id is "Name.Level.Mode".
        if (p.id.rfind(name + ".", 0) == 0 || p.id == name || p.name == name) return p.pool_tags;
    }
    return make_error(Errc::not_found, "profile '" + name + "' is not in " + file);
}

int stop_boot(const SimMachine& m, FileRegistry& registry, const std::vector<std::string>& args,
              std::size_t i) {
    if (i + 1 >= args.size())
        return fail(wpr::kInvalidSyntax, "Invalid command syntax: -stopboot needs a file name.");
    const std::string out = args[i + 1];
    auto state = m.wpr_state();
    if (!state) return fail(wpr::kInvalidSyntax, state.error().describe());
    if (!state->armed) return fail(wpr::kNoProfilesRunning, text_for(wpr::kNoProfilesRunning));
    if (state->session_failed) {
        // The autologger never ran: nothing to save; the configuration goes away.
        (void)disarm(m, registry);
        m.log("wpr -stopboot: the boot session had not started");
        return fail(wpr::kNoProfilesRunning, text_for(wpr::kNoProfilesRunning));
    }
    if (state->recorded_boot == 0) {
        (void)disarm(m, registry);
        m.log("wpr -stopboot before any boot: configuration removed");
        std::printf("%s\n", std::string(wpr::kScheduledNotStarted).c_str());
        return finish(0);
    }
    auto faults = m.faults();
    if (!faults) return fail(wpr::kInvalidSyntax, faults.error().describe());
    Faults f = *faults;
    bool lose = false;
    if (f.lose_trace != 0) {
        lose = true;
        if (f.lose_trace > 0) --f.lose_trace;
    }
    std::uint32_t lost = 0;
    if (f.events_lost_times != 0 && f.events_lost > 0) {
        lost = f.events_lost;
        if (f.events_lost_times > 0) --f.events_lost_times;
    }
    if (auto s = m.save_faults(f); !s) return fail(wpr::kDiskFull, s.error().describe());

    auto text = detail::read_text(m.path("scenario.json"));
    if (!text) return fail(wpr::kPathNotFound, text.error().describe());
    auto scenario = writer::parse_scenario(*text, m.path("scenario.json"));
    if (!scenario) return fail(wpr::kInvalidSyntax, scenario.error().describe());
    scenario->events_lost = lost;
    // Each machine of a lab has its own hardware: its name varies the scenario's seed, so that machines
    // running one scenario differ the way real ones do. The trace starts when the recorded boot did.
    if (auto config = m.config()) {
        std::uint64_t h = 1469598103934665603ull;  // FNV-1a of the machine's name
        for (unsigned char ch : config->name) h = (h ^ ch) * 1099511628211ull;
        scenario->seed ^= h;
    }
    if (auto boot = m.boot_state(); boot && boot->number == state->recorded_boot && boot->boot_time_us > 0) {
        constexpr std::int64_t kFiletimeOfUnixEpoch = 116444736000000000;  // 100-ns units
        scenario->start_time = static_cast<std::uint64_t>(boot->boot_time_us * 10 + kFiletimeOfUnixEpoch);
    }
    if (!lose) {
        writer::BootTraceOptions options;
        options.boot = state->recorded_boot;
        // The kernel applies the armed profile's PoolTags filter to the boot logger.
        auto tags = armed_pool_tags(state->profile);
        if (!tags) return fail(wpr::kInvalidSyntax, tags.error().describe());
        options.pool_tag_filter = *tags;
        auto written = writer::write_boot_trace(*scenario, out, options);
        if (!written) {
            (void)disarm(m, registry);
            return fail(wpr::kDiskFull, "Saving the trace failed: " + written.error().describe());
        }
        std::error_code ec;
        const auto size = fs::file_size(out, ec);
        if (f.disk_cap_bytes && !ec && size > *f.disk_cap_bytes) {
            fs::remove(out, ec);
            (void)disarm(m, registry);
            m.log("wpr -stopboot: disk full (" + std::to_string(size) + " bytes > cap)");
            return fail(wpr::kDiskFull, text_for(wpr::kDiskFull));
        }
    }
    (void)disarm(m, registry);
    m.log("wpr -stopboot " + out + (lose ? " (trace lost)" : "") +
          (lost ? " (" + std::to_string(lost) + " events lost)" : ""));
    if (lost) std::printf("This trace has dropped %u events. Please record this trace again.\n", lost);
    std::printf("The trace was successfully saved.\n");
    return finish(0);
}

int status(const SimMachine& m) {
    auto state = m.wpr_state();
    if (!state) return fail(wpr::kInvalidSyntax, state.error().describe());
    if (!state->armed) {
        std::printf("WPR is not recording\n");
        return finish(0);
    }
    std::printf("Boot trace: %s\nTemp Folder : %s\n%s\n", state->profile.c_str(), state->temp_dir.c_str(),
                state->recorded_boot
                    ? ("Recording since boot " + std::to_string(state->recorded_boot)).c_str()
                    : "Scheduled; starts at the next boot");
    return finish(0);
}

}  // namespace

int sim_wpr_main(const std::vector<std::string>& args) {
    auto machine = SimMachine::from_environment();
    if (!machine) return fail(wpr::kInvalidSyntax, machine.error().describe());
    const SimMachine& m = *machine;
    SystemClock clock;
    FileRegistry registry(m.path("registry.json"), clock);
    std::size_t i = 0;
    if (i < args.size() && args[i] == "-boottrace") ++i;
    if (i >= args.size()) return fail(wpr::kInvalidSyntax, "Invalid command syntax.");
    std::string command = args[i];
    if (!command.empty() && command[0] == '-') command = command.substr(1);
    auto fault = m.take_wpr_fault(command);
    if (!fault) return fail(wpr::kInvalidSyntax, fault.error().describe());
    if (*fault) {
        m.log("wpr -" + command + " fails with " + detail::hex_code(**fault) + " (fault)");
        return fail(**fault, text_for(**fault));
    }
    if (command == "addboot") return add_boot(m, registry, args, i);
    if (command == "cancelboot") return cancel_boot(m, registry);
    if (command == "stopboot") return stop_boot(m, registry, args, i);
    if (command == "status") return status(m);
    return fail(wpr::kInvalidSyntax, "Invalid command syntax: " + args[i]);
}

}  // namespace bp::host::sim
