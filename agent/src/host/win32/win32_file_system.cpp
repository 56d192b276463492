// The FileSystem port with UTF-16 paths: write through a temporary name, flush, rename with
// MOVEFILE_WRITE_THROUGH (readers see the old or the new file, also after a power cut).
#include <filesystem>
#include <system_error>

#include "bootprint/host/windows_host.hpp"
#include "host/win32/win32_util.hpp"

namespace bp::host::win32 {

Status Win32FileSystem::write_file(const std::string& path, std::string_view bytes) {
    BP_TRY(std::wstring wpath, widen(path));
    const std::wstring wtmp = wpath + L".tmp";
    HANDLE h =
        ::CreateFileW(wtmp.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE)
        return detail::last_error(Errc::io, "cannot create the file").with_path(path + ".tmp");
    std::size_t done = 0;
    bool ok = true;
    DWORD error = 0;
    while (done < bytes.size()) {
        const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(bytes.size() - done, 1u << 20));
        DWORD wrote = 0;
        if (!::WriteFile(h, bytes.data() + done, chunk, &wrote, nullptr) || wrote == 0) {
            ok = false;
            error = ::GetLastError();
            break;
        }
        done += wrote;
    }
    if (ok && !::FlushFileBuffers(h)) {
        ok = false;
        error = ::GetLastError();
    }
    ::CloseHandle(h);
    if (!ok) {
        ::DeleteFileW(wtmp.c_str());
        return detail::win32_error(Errc::io, "cannot write " + std::to_string(bytes.size()) + " bytes", error)
            .with_path(path);
    }
    if (!::MoveFileExW(wtmp.c_str(), wpath.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
        Error err = detail::last_error(Errc::io, "cannot rename the temporary file into place");
        ::DeleteFileW(wtmp.c_str());
        return std::move(err).with_path(path);
    }
    return {};
}

Result<std::optional<std::uint64_t>> Win32FileSystem::file_size(const std::string& path) {
    BP_TRY(std::wstring wpath, widen(path));
    WIN32_FILE_ATTRIBUTE_DATA data{};
    if (!::GetFileAttributesExW(wpath.c_str(), GetFileExInfoStandard, &data)) {
        const DWORD e = ::GetLastError();
        if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) return std::optional<std::uint64_t>();
        return detail::win32_error(Errc::io, "cannot read the file's attributes", e).with_path(path);
    }
    if (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
        return make_error(Errc::io, "not a regular file").with_path(path);
    return std::optional<std::uint64_t>((static_cast<std::uint64_t>(data.nFileSizeHigh) << 32) |
                                        data.nFileSizeLow);
}

Status Win32FileSystem::create_directories(const std::string& path) {
    BP_TRY(std::wstring wpath, widen(path));
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(wpath), ec);
    if (ec) return make_error(Errc::io, "cannot create the directory: " + ec.message()).with_path(path);
    return {};
}

Status Win32FileSystem::remove_file(const std::string& path) {
    BP_TRY(std::wstring wpath, widen(path));
    if (!::DeleteFileW(wpath.c_str())) {
        const DWORD e = ::GetLastError();
        if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) return {};
        return detail::win32_error(Errc::io, "cannot remove the file", e).with_path(path);
    }
    return {};
}

}  // namespace bp::host::win32
