// The Windows host: every port implemented with the Win32 API (agent/src/host/win32, the only folder
// with <windows.h>). Compiled only by the Windows build (docs/windows-agent.md). Paths and registry
// names cross this API as UTF-8 and are converted to UTF-16 for every Win32 call.
//
//   bp::host::win32::WindowsHost machine({.data_dir = "C:\\ProgramData\\Bootprint"});
//   BP_TRY(bp::host::Host host, machine.host());
//   bp::campaign::Engine engine(host, db, store, sink, options);
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bootprint/common/result.hpp"
#include "bootprint/host/host.hpp"

namespace bp::host::win32 {

// UTF-8 <-> UTF-16 (invalid input is an error, never a silently replaced character).
Result<std::wstring> widen(std::string_view utf8);
Result<std::string> narrow(std::wstring_view utf16);

// The registry: "HKLM\..." / "HKEY_LOCAL_MACHINE\..." and "HKCU\..." keys, the 64-bit view.
class Win32Registry final : public Registry {
  public:
    Result<std::optional<std::uint32_t>> read_dword(std::string_view key, std::string_view name) override;
    Status write_dword(std::string_view key, std::string_view name, std::uint32_t value) override;
    Status delete_value(std::string_view key, std::string_view name) override;
    Result<std::optional<std::int64_t>> key_last_write_us(std::string_view key) override;
    // Not a port operation (the stand-in wpr removes its autologger key): a missing key succeeds.
    Status delete_key(std::string_view key);
};

// The command line CreateProcessW gets for argv (quoted as the MSVC runtime parses it back).
std::string command_line(const std::vector<std::string>& argv);

// CreateProcessW with stdout/stderr on anonymous pipes (drained by threads while the child runs, so
// any output size is safe), stdin from NUL, no window, the child in a job object so a timeout kills
// it and whatever it started. argv[0] must be a path to the program.
class Win32ProcessRunner final : public ProcessRunner {
  public:
    Result<ProcessOutput> run(const std::vector<std::string>& argv, const RunOptions& options) override;
};

// Enables SeShutdownPrivilege, then InitiateSystemShutdownExW(NULL, message, 0, TRUE, TRUE, reason):
// a restart without dialog, with the planned reason of the request.
class Win32Power final : public Power {
  public:
    Status reboot(const RebootRequest& request) override;
};

// The power port's test double for Wine (nothing may shut the host down): the request is written to a
// file; apply_recorded_reboot() plays the reboot when the agent starts next.
class RecordingPower final : public Power {
  public:
    RecordingPower(std::string request_file, FileSystem& files, Clock& clock)
        : request_file_(std::move(request_file)), files_(files), clock_(clock) {}
    Status reboot(const RebootRequest& request) override;

  private:
    std::string request_file_;
    FileSystem& files_;
    Clock& clock_;
};

// Boot time = now - GetTickCount64() (wpr-boot.md §4.4). Its id comes from a marker file: a boot time
// within 5 s of the marker's is the same boot (the two readings differ by the tick resolution), any
// other starts a new marker. With a simulated-boot file (RecordingPower's reboots under Wine) the id
// and the boot time are those of the latest simulated boot.
class Win32BootIdentity final : public BootIdentity {
  public:
    Win32BootIdentity(std::string marker_file, FileSystem& files, Clock& clock,
                      std::string simulated_boot_file = {})
        : marker_file_(std::move(marker_file)),
          simulated_boot_file_(std::move(simulated_boot_file)),
          files_(files),
          clock_(clock) {}
    Result<BootInfo> current() override;

  private:
    std::string marker_file_;
    std::string simulated_boot_file_;
    FileSystem& files_;
    Clock& clock_;
};

// The reboot RecordingPower asked for, played at agent start: a new simulated boot (number + 1, boot
// time now) and, as the kernel would at boot, an armed autologger (Start = 1) gets Status = 0.
// Returns true when there was a request.
Result<bool> apply_recorded_reboot(const std::string& request_file, const std::string& simulated_boot_file,
                                   FileSystem& files, Clock& clock, Registry& registry);

// CPU busy time from GetSystemTimes over the window; disk busy time from the PDH counter
// "\PhysicalDisk(_Total)\% Disk Time". Where that counter does not exist (Wine) the disk reads as
// idle and disk_counter() says so.
class Win32IdleSampler final : public IdleSampler {
  public:
    Win32IdleSampler();
    ~Win32IdleSampler() override;
    Win32IdleSampler(const Win32IdleSampler&) = delete;
    Win32IdleSampler& operator=(const Win32IdleSampler&) = delete;
    Result<IdleSample> sample(std::chrono::milliseconds window) override;
    bool disk_counter() const;

  private:
    struct Pdh;
    std::unique_ptr<Pdh> pdh_;
};

// The FileSystem with UTF-16 paths: CreateFileW, FlushFileBuffers, MoveFileExW(WRITE_THROUGH).
class Win32FileSystem final : public FileSystem {
  public:
    Status write_file(const std::string& path, std::string_view bytes) override;
    Result<std::optional<std::uint64_t>> file_size(const std::string& path) override;
    Status create_directories(const std::string& path) override;
    Status remove_file(const std::string& path) override;
};

// Where wpr.exe is: `explicit_path` when given (it must exist), else %SystemRoot%\System32\wpr.exe
// (the inbox one), else the Windows Performance Toolkit's folders. Errc::not_found names every place
// looked at.
Result<std::string> locate_wpr(const std::string& explicit_path = {});

// The computer's name (GetComputerNameExW, DNS host name).
Result<std::string> machine_name();

// True under Wine (ntdll exports wine_get_version): the few Win32 features Wine lacks are then
// reported and skipped instead of failing (docs/windows-agent.md).
bool running_under_wine();

// The path of the running executable.
Result<std::string> executable_path();

// Grants full control to SYSTEM and Administrators only (protected DACL, inherited by what is
// created below): the agent's data folder holds what a LocalSystem service executes and reads.
Status restrict_to_system_and_admins(const std::string& dir);

struct WindowsHostOptions {
    std::string data_dir;     // C:\ProgramData\Bootprint
    std::string wpr;          // explicit wpr.exe (empty: locate_wpr())
    bool test_power = false;  // RecordingPower + simulated boots (Wine tests)
};

// Every port of this Windows machine.
class WindowsHost {
  public:
    explicit WindowsHost(WindowsHostOptions options);
    ~WindowsHost();
    WindowsHost(const WindowsHost&) = delete;
    WindowsHost& operator=(const WindowsHost&) = delete;

    // Locates wpr (an error when it is missing).
    Result<Host> host();
    // With test_power: the reboot RecordingPower recorded happens now (the service calls this at start).
    Result<bool> play_recorded_reboot();
    const WindowsHostOptions& options() const { return options_; }
    std::string reboot_request_file() const;
    std::string simulated_boot_file() const;

  private:
    struct Ports;
    WindowsHostOptions options_;
    std::unique_ptr<Ports> ports_;
    std::string wpr_;
    std::string machine_;
};

}  // namespace bp::host::win32
