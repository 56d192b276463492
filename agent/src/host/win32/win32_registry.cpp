// The registry port on RegGetValueW / RegSetValueExW / RegQueryInfoKeyW (64-bit view).
#include "bootprint/host/windows_host.hpp"
#include "host/win32/win32_util.hpp"

namespace bp::host::win32 {
namespace {

struct KeyPath {
    HKEY root = nullptr;
    std::wstring subkey;
};

Result<KeyPath> parse_key(std::string_view key) {
    const auto slash = key.find('\\');
    const std::string_view root = key.substr(0, slash);
    KeyPath out;
    if (root == "HKLM" || root == "HKEY_LOCAL_MACHINE") {
        out.root = HKEY_LOCAL_MACHINE;
    } else if (root == "HKCU" || root == "HKEY_CURRENT_USER") {
        out.root = HKEY_CURRENT_USER;
    } else {
        return make_error(Errc::invalid_argument,
                          "registry key must start with HKLM\\ or HKCU\\: " + std::string(key));
    }
    if (slash == std::string_view::npos || slash + 1 >= key.size())
        return make_error(Errc::invalid_argument, "registry key has no subkey: " + std::string(key));
    BP_TRY(out.subkey, widen(key.substr(slash + 1)));
    return out;
}

std::string describe(std::string_view key, std::string_view name) {
    return std::string(key) + (name.empty() ? std::string() : "\\" + std::string(name));
}

// Closes an HKEY at scope exit.
struct KeyHandle {
    HKEY key = nullptr;
    ~KeyHandle() {
        if (key) ::RegCloseKey(key);
    }
};

}  // namespace

Result<std::optional<std::uint32_t>> Win32Registry::read_dword(std::string_view key, std::string_view name) {
    BP_TRY(KeyPath path, parse_key(key));
    BP_TRY(std::wstring wname, widen(name));
    DWORD value = 0;
    DWORD size = sizeof value;
    const LSTATUS rc = ::RegGetValueW(path.root, path.subkey.c_str(), wname.c_str(),
                                      RRF_RT_REG_DWORD | RRF_SUBKEY_WOW6464KEY, nullptr, &value, &size);
    if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND) return std::optional<std::uint32_t>();
    if (rc == ERROR_UNSUPPORTED_TYPE || rc == ERROR_MORE_DATA || rc == ERROR_INVALID_DATA) {
        return make_error(Errc::corrupt, "registry value is not a REG_DWORD: " + describe(key, name));
    }
    if (rc != ERROR_SUCCESS)
        return detail::win32_error(Errc::io, "cannot read " + describe(key, name), static_cast<DWORD>(rc));
    return std::optional<std::uint32_t>(value);
}

Status Win32Registry::write_dword(std::string_view key, std::string_view name, std::uint32_t value) {
    BP_TRY(KeyPath path, parse_key(key));
    BP_TRY(std::wstring wname, widen(name));
    KeyHandle h;
    LSTATUS rc = ::RegCreateKeyExW(path.root, path.subkey.c_str(), 0, nullptr, REG_OPTION_NON_VOLATILE,
                                   KEY_SET_VALUE | KEY_WOW64_64KEY, nullptr, &h.key, nullptr);
    if (rc != ERROR_SUCCESS)
        return detail::win32_error(Errc::io, "cannot create or open " + std::string(key),
                                   static_cast<DWORD>(rc));
    const DWORD data = value;
    rc = ::RegSetValueExW(h.key, wname.c_str(), 0, REG_DWORD, reinterpret_cast<const BYTE*>(&data),
                          sizeof data);
    if (rc != ERROR_SUCCESS)
        return detail::win32_error(Errc::io, "cannot write " + describe(key, name), static_cast<DWORD>(rc));
    // The value must be on disk before the reboot that makes it effective.
    ::RegFlushKey(h.key);
    return {};
}

Status Win32Registry::delete_value(std::string_view key, std::string_view name) {
    BP_TRY(KeyPath path, parse_key(key));
    BP_TRY(std::wstring wname, widen(name));
    KeyHandle h;
    LSTATUS rc = ::RegOpenKeyExW(path.root, path.subkey.c_str(), 0, KEY_SET_VALUE | KEY_WOW64_64KEY, &h.key);
    if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND) return {};
    if (rc != ERROR_SUCCESS)
        return detail::win32_error(Errc::io, "cannot open " + std::string(key), static_cast<DWORD>(rc));
    rc = ::RegDeleteValueW(h.key, wname.c_str());
    if (rc == ERROR_FILE_NOT_FOUND) return {};
    if (rc != ERROR_SUCCESS)
        return detail::win32_error(Errc::io, "cannot delete " + describe(key, name), static_cast<DWORD>(rc));
    ::RegFlushKey(h.key);
    return {};
}

Result<std::optional<std::int64_t>> Win32Registry::key_last_write_us(std::string_view key) {
    BP_TRY(KeyPath path, parse_key(key));
    KeyHandle h;
    const LSTATUS rc =
        ::RegOpenKeyExW(path.root, path.subkey.c_str(), 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY, &h.key);
    if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND) return std::optional<std::int64_t>();
    if (rc != ERROR_SUCCESS)
        return detail::win32_error(Errc::io, "cannot open " + std::string(key), static_cast<DWORD>(rc));
    FILETIME written{};
    const LSTATUS q = ::RegQueryInfoKeyW(h.key, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                         nullptr, nullptr, nullptr, &written);
    if (q != ERROR_SUCCESS)
        return detail::win32_error(Errc::io, "cannot query " + std::string(key), static_cast<DWORD>(q));
    return std::optional<std::int64_t>(detail::filetime_to_unix_us(written));
}

Status Win32Registry::delete_key(std::string_view key) {
    BP_TRY(KeyPath path, parse_key(key));
    const LSTATUS rc = ::RegDeleteKeyExW(path.root, path.subkey.c_str(), KEY_WOW64_64KEY, 0);
    if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND || rc == ERROR_SUCCESS) return {};
    return detail::win32_error(Errc::io, "cannot delete " + std::string(key), static_cast<DWORD>(rc));
}

}  // namespace bp::host::win32
