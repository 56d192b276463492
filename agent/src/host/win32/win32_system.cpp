// Where things are on a Windows machine: wpr.exe, the computer's name, our own executable; and the
// data folder's ACL.
#include <aclapi.h>
#include <sddl.h>

#include "bootprint/host/windows_host.hpp"
#include "host/win32/win32_util.hpp"

namespace bp::host::win32 {
namespace {

bool is_file(const std::wstring& path) {
    const DWORD a = ::GetFileAttributesW(path.c_str());
    return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

std::wstring environment(const wchar_t* name) {
    wchar_t buffer[MAX_PATH * 2];
    const DWORD n = ::GetEnvironmentVariableW(name, buffer, MAX_PATH * 2);
    return n > 0 && n < MAX_PATH * 2 ? std::wstring(buffer, n) : std::wstring();
}

}  // namespace

Result<std::string> locate_wpr(const std::string& explicit_path) {
    if (!explicit_path.empty()) {
        BP_TRY(std::wstring w, widen(explicit_path));
        if (!is_file(w))
            return make_error(Errc::not_found, "wpr.exe does not exist").with_path(explicit_path);
        return explicit_path;
    }
    std::vector<std::wstring> candidates;
    wchar_t system[MAX_PATH];
    const UINT n = ::GetSystemDirectoryW(system, MAX_PATH);
    if (n > 0 && n < MAX_PATH) candidates.push_back(std::wstring(system, n) + L"\\wpr.exe");
    // The Windows Performance Toolkit of the ADK/SDK (newer than the inbox one on older builds).
    for (const wchar_t* var : {L"ProgramFiles(x86)", L"ProgramFiles"}) {
        const std::wstring base = environment(var);
        if (!base.empty())
            candidates.push_back(base + L"\\Windows Kits\\10\\Windows Performance Toolkit\\wpr.exe");
    }
    std::string looked;
    for (const auto& c : candidates) {
        if (is_file(c)) return narrow(c);
        if (auto s = narrow(c)) looked += (looked.empty() ? "" : ", ") + *s;
    }
    return make_error(Errc::not_found, "wpr.exe is not installed (looked at " + looked + ")");
}

Result<std::string> machine_name() {
    wchar_t name[256];
    DWORD size = 256;
    if (!::GetComputerNameExW(ComputerNameDnsHostname, name, &size))
        return detail::last_error(Errc::io, "GetComputerNameExW failed");
    return narrow(std::wstring_view(name, size));
}

bool running_under_wine() {
    HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
    return ntdll && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

Result<std::string> executable_path() {
    std::wstring buffer(MAX_PATH, L'\0');
    for (;;) {
        const DWORD n = ::GetModuleFileNameW(nullptr, buffer.data(), static_cast<DWORD>(buffer.size()));
        if (n == 0) return detail::last_error(Errc::io, "GetModuleFileNameW failed");
        if (n < buffer.size()) {
            buffer.resize(n);
            return narrow(buffer);
        }
        buffer.resize(buffer.size() * 2);
    }
}

Status restrict_to_system_and_admins(const std::string& dir) {
    BP_TRY(std::wstring wdir, widen(dir));
    // Protected (no inheritance from above); full control for SYSTEM and Administrators, inherited by
    // files and folders below.
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)",
                                                                SDDL_REVISION_1, &sd, nullptr))
        return detail::last_error(Errc::internal, "cannot build the data folder's security descriptor");
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = nullptr;
    ::GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
    const DWORD rc = ::SetNamedSecurityInfoW(wdir.data(), SE_FILE_OBJECT,
                                             DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                                             nullptr, nullptr, dacl, nullptr);
    ::LocalFree(sd);
    if (rc != ERROR_SUCCESS)
        return detail::win32_error(Errc::io, "cannot set the data folder's ACL", rc).with_path(dir);
    return {};
}

}  // namespace bp::host::win32
