// UTF-8 <-> UTF-16 conversion, Win32 error texts, reading a file by its UTF-16 path.
#include <string>

#include "bootprint/host/windows_host.hpp"
#include "host/win32/win32_util.hpp"

namespace bp::host::win32 {

Result<std::wstring> widen(std::string_view utf8) {
    if (utf8.empty()) return std::wstring();
    if (utf8.size() > 0x7FFFFFFF) return make_error(Errc::invalid_argument, "text too long for Win32");
    const int n = ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(),
                                        static_cast<int>(utf8.size()), nullptr, 0);
    if (n <= 0) return make_error(Errc::invalid_argument, "not valid UTF-8: " + std::string(utf8));
    std::wstring out(static_cast<std::size_t>(n), L'\0');
    ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), static_cast<int>(utf8.size()),
                          out.data(), n);
    return out;
}

Result<std::string> narrow(std::wstring_view utf16) {
    if (utf16.empty()) return std::string();
    if (utf16.size() > 0x7FFFFFFF) return make_error(Errc::invalid_argument, "text too long for Win32");
    const int n = ::WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, utf16.data(),
                                        static_cast<int>(utf16.size()), nullptr, 0, nullptr, nullptr);
    if (n <= 0) return make_error(Errc::invalid_argument, "not valid UTF-16 (unpaired surrogate)");
    std::string out(static_cast<std::size_t>(n), '\0');
    ::WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, utf16.data(), static_cast<int>(utf16.size()),
                          out.data(), n, nullptr, nullptr);
    return out;
}

namespace detail {

Error win32_error(Errc code, const std::string& what, DWORD error) {
    wchar_t* text = nullptr;
    const DWORD n = ::FormatMessageW(
        FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
        error, 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
    std::string message;
    if (n > 0 && text) {
        std::wstring w(text, n);
        while (!w.empty() && (w.back() == L'\n' || w.back() == L'\r' || w.back() == L' ' || w.back() == L'.'))
            w.pop_back();
        if (auto s = narrow(w)) message = *s;
    }
    if (text) ::LocalFree(text);
    if (message.empty()) message = "Win32 error";
    return make_error(code, what + ": " + message + " (error " + std::to_string(error) + ")");
}

Error last_error(Errc code, const std::string& what) {
    return win32_error(code, what, ::GetLastError());
}

Result<std::optional<std::string>> read_file(const std::string& path) {
    BP_TRY(std::wstring wpath, widen(path));
    HANDLE h = ::CreateFileW(wpath.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, nullptr,
                             OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
        const DWORD e = ::GetLastError();
        if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) return std::optional<std::string>();
        return win32_error(Errc::io, "cannot open the file", e).with_path(path);
    }
    std::string out;
    char buffer[65536];
    for (;;) {
        DWORD got = 0;
        if (!::ReadFile(h, buffer, sizeof buffer, &got, nullptr)) {
            Error err = last_error(Errc::io, "cannot read the file");
            ::CloseHandle(h);
            return std::move(err).with_path(path);
        }
        if (got == 0) break;
        out.append(buffer, got);
    }
    ::CloseHandle(h);
    return std::optional<std::string>(std::move(out));
}

std::int64_t filetime_to_unix_us(const FILETIME& ft) {
    const std::uint64_t ticks = (static_cast<std::uint64_t>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime;
    constexpr std::uint64_t kEpochDelta = 116444736000000000ULL;  // 1601-01-01 -> 1970-01-01 in 100 ns
    return (static_cast<std::int64_t>(ticks) - static_cast<std::int64_t>(kEpochDelta)) / 10;
}

}  // namespace detail
}  // namespace bp::host::win32
