// Helpers of the Windows tests: where the test programs are, a scratch folder, "are we under Wine".
#pragma once

#include <windows.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "bootprint/host/windows_host.hpp"

namespace bp::wintest {

inline std::string exe_dir() {
    auto exe = host::win32::executable_path();
    return exe ? exe->substr(0, exe->find_last_of('\\')) : std::string(".");
}

// A fresh folder under %TEMP% (removed at scope exit), its path in UTF-8.
class ScratchDir {
  public:
    explicit ScratchDir(const std::string& stem) {
        wchar_t temp[MAX_PATH];
        const DWORD n = ::GetTempPathW(MAX_PATH, temp);
        static std::atomic<unsigned> counter{0};
        path_ = std::filesystem::path(std::wstring(temp, n)) /
                (std::filesystem::path(host::win32::widen(stem).value()).wstring() + L"-" +
                 std::to_wstring(::GetCurrentProcessId()) + L"-" + std::to_wstring(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string str() const { return host::win32::narrow(path_.wstring()).value(); }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

inline bool under_wine() {
    return host::win32::running_under_wine();
}

}  // namespace bp::wintest
