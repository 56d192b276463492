// What bootprint relies on from wpr.exe (wpr-boot.md §2): the boot-trace commands, the exit codes
// (HRESULTs) it returns, and the autologger registry key its boot session uses. The simulated wpr
// honours exactly this contract; the campaign engine maps the codes to reasons.
#pragma once

#include <cstdint>
#include <string_view>

namespace bp::host::wpr {

// Exit codes (§2.5). wpr.exe returns the HRESULT as its process exit code.
inline constexpr std::uint32_t kOk = 0;
inline constexpr std::uint32_t kNoProfilesRunning = 0xC5583000;  // "There are no trace profiles running."
inline constexpr std::uint32_t kAlreadyRunning =
    0xC5583001;  // profiles already running / boottrace scheduled
inline constexpr std::uint32_t kStateProviderNotRunning = 0xC558300C;
inline constexpr std::uint32_t kCollectorInUse = 0xC5583014;  // another tool owns the kernel logger
inline constexpr std::uint32_t kNoProviders = 0xC5580612;     // session without providers (profile mismatch)
inline constexpr std::uint32_t kNoSystemResources = 0x800705AA;  // too many ETW sessions
inline constexpr std::uint32_t kFileExists = 0x800700B7;         // same .wprp referenced twice
inline constexpr std::uint32_t kNotEnoughMemory = 0x80070008;
inline constexpr std::uint32_t kWmiInstanceNotFound = 0x80071069;  // often: disk full for the temp ETL
inline constexpr std::uint32_t kRpcChangedMode = 0x80010106;       // COM, during NGEN PDB generation
// Not in §2.5's list but what Windows returns for these conditions (HRESULT_FROM_WIN32).
inline constexpr std::uint32_t kDiskFull = 0x80070070;       // ERROR_DISK_FULL
inline constexpr std::uint32_t kPathNotFound = 0x80070003;   // ERROR_PATH_NOT_FOUND
inline constexpr std::uint32_t kInvalidSyntax = 0x80070057;  // E_INVALIDARG ("Invalid command syntax.")

// The autologger session `wpr -addboot` configures for the default instance (wpr-boot.md §2.1, [S41]).
// Its `Status` value is the Win32 error of the session's start at boot (0: it ran) [S26].
inline constexpr std::string_view kBootAutologgerKey =
    "HKLM\\SYSTEM\\CurrentControlSet\\Control\\WMI\\Autologger\\WPR_initiated_WprApp_boottr_WPR System "
    "Collector";
inline constexpr std::string_view kAutologgerStart = "Start";
inline constexpr std::string_view kAutologgerStatus = "Status";

// wpr's own text when -stopboot runs before the armed boot happened (§2.1, §4.4): nothing recorded.
inline constexpr std::string_view kScheduledNotStarted =
    "Boottrace is scheduled but has not started. Canceling the Autologger.";

}  // namespace bp::host::wpr
