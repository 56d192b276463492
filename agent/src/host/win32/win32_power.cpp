// The Power port: SeShutdownPrivilege, then a planned restart (wpr-boot.md §4.3); and its test double
// for Wine, which records the request and plays the reboot when the agent starts next.
#include <nlohmann/json.hpp>

#include "bootprint/host/wpr_contract.hpp"

#include "bootprint/host/windows_host.hpp"
#include "host/win32/win32_util.hpp"

namespace bp::host::win32 {
namespace {

Status enable_shutdown_privilege() {
    HANDLE token = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &token))
        return detail::last_error(Errc::io, "cannot open the process token");
    TOKEN_PRIVILEGES tp{};
    tp.PrivilegeCount = 1;
    tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    if (!::LookupPrivilegeValueW(nullptr, SE_SHUTDOWN_NAME, &tp.Privileges[0].Luid)) {
        Error err = detail::last_error(Errc::io, "cannot look up SeShutdownPrivilege");
        ::CloseHandle(token);
        return err;
    }
    const BOOL adjusted = ::AdjustTokenPrivileges(token, FALSE, &tp, 0, nullptr, nullptr);
    // AdjustTokenPrivileges succeeds without assigning a privilege the token lacks.
    const DWORD e = ::GetLastError();
    ::CloseHandle(token);
    if (!adjusted || e == ERROR_NOT_ALL_ASSIGNED) {
        return detail::win32_error(Errc::io, "cannot enable SeShutdownPrivilege (is the agent LocalSystem?)",
                                   adjusted ? ERROR_NOT_ALL_ASSIGNED : e);
    }
    return {};
}

}  // namespace

Status Win32Power::reboot(const RebootRequest& request) {
    BP_TRY_STATUS(enable_shutdown_privilege());
    BP_TRY(std::wstring message, widen(request.message));
    // Timeout 0: no dialog, no abort window; force applications closed; restart afterwards.
    if (!::InitiateSystemShutdownExW(nullptr, message.data(), 0, TRUE, TRUE, request.reason)) {
        const DWORD e = ::GetLastError();
        // ERROR_SHUTDOWN_IN_PROGRESS: a shutdown is already on its way, which is what we want.
        if (e == ERROR_SHUTDOWN_IN_PROGRESS) return {};
        return detail::win32_error(Errc::io, "InitiateSystemShutdownExW refused the restart", e);
    }
    return {};
}

Status RecordingPower::reboot(const RebootRequest& request) {
    const nlohmann::json j = {
        {"message", request.message}, {"reason", request.reason}, {"at_us", clock_.now_us()}};
    return files_.write_file(request_file_, j.dump());
}

Result<bool> apply_recorded_reboot(const std::string& request_file, const std::string& simulated_boot_file,
                                   FileSystem& files, Clock& clock, Registry& registry) {
    BP_TRY(auto request, detail::read_file(request_file));
    if (!request) return false;
    std::uint64_t number = 0;
    BP_TRY(auto previous, detail::read_file(simulated_boot_file));
    if (previous) {
        try {
            number = nlohmann::json::parse(*previous).at("number").get<std::uint64_t>();
        } catch (const std::exception& e) {
            return make_error(Errc::corrupt, std::string("simulated boot file: ") + e.what())
                .with_path(simulated_boot_file);
        }
    }
    BP_TRY_STATUS(
        files.write_file(simulated_boot_file,
                         nlohmann::json{{"number", number + 1}, {"boot_time_us", clock.now_us()}}.dump()));
    // At boot the kernel starts the configured autologger and records how that went.
    BP_TRY(auto start, registry.read_dword(wpr::kBootAutologgerKey, wpr::kAutologgerStart));
    if (start && *start == 1)
        BP_TRY_STATUS(registry.write_dword(wpr::kBootAutologgerKey, wpr::kAutologgerStatus, 0));
    BP_TRY_STATUS(files.remove_file(request_file));
    return true;
}

}  // namespace bp::host::win32
