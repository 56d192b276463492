// The portable FileSystem: std::filesystem with error codes (no exceptions cross the API) and POSIX or
// Win32-agnostic stdio for the atomic write.
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "bootprint/host/file_system.hpp"

#if !defined(_WIN32)
#include <fcntl.h>
#include <unistd.h>
#endif

namespace bp::host {
namespace fs = std::filesystem;

namespace {

Error io_error(const std::string& path, const std::string& what, const std::error_code& ec) {
    return make_error(Errc::io, what + ": " + ec.message()).with_path(path);
}

}  // namespace

Status LocalFileSystem::write_file(const std::string& path, std::string_view bytes) {
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) return make_error(Errc::io, "cannot create the file").with_path(tmp);
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    bool flushed = std::fflush(f) == 0;
#if !defined(_WIN32)
    // The rename must not reach the disk before the data: a power cut would leave an empty file.
    flushed = flushed && ::fsync(::fileno(f)) == 0;
#endif
    const bool closed = std::fclose(f) == 0;
    if (!written || !flushed || !closed) {
        std::error_code ignored;
        fs::remove(tmp, ignored);
        return make_error(Errc::io, "cannot write " + std::to_string(bytes.size()) + " bytes (disk full?)")
            .with_path(path);
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) return io_error(path, "cannot rename the temporary file into place", ec);
#if !defined(_WIN32)
    // And the directory entry itself.
    const std::string parent = fs::path(path).parent_path().string();
    const int dir = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
#endif
    return {};
}

Result<std::optional<std::uint64_t>> LocalFileSystem::file_size(const std::string& path) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) return std::optional<std::uint64_t>();
    if (!fs::is_regular_file(status)) return make_error(Errc::io, "not a regular file").with_path(path);
    const auto size = fs::file_size(path, ec);
    if (ec) return io_error(path, "cannot read the file size", ec);
    return std::optional<std::uint64_t>(size);
}

Status LocalFileSystem::create_directories(const std::string& path) {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) return io_error(path, "cannot create the directory", ec);
    return {};
}

Status LocalFileSystem::remove_file(const std::string& path) {
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) return io_error(path, "cannot remove the file", ec);
    return {};
}

}  // namespace bp::host
