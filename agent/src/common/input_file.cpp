#include "bootprint/common/input_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#if defined(_WIN32)
// Portable stdio path for the Windows build (no <windows.h> outside host/win32).
#include <mutex>
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace bp {

#if defined(_WIN32)
struct InputFile::Handle {
    std::vector<std::byte> memory;
    bool in_memory = false;
    std::FILE* f = nullptr;
    std::mutex lock;  // guards the shared file position of `f`
    ~Handle() {
        if (f) std::fclose(f);
    }
};

Result<InputFile> InputFile::open(const std::string& path) {
    InputFile file;
    file.path_ = path;
    file.handle_ = std::make_shared<Handle>();
    file.handle_->f = std::fopen(path.c_str(), "rb");
    if (!file.handle_->f) return Error{Errc::io, std::strerror(errno), path};
    if (_fseeki64(file.handle_->f, 0, SEEK_END) != 0) return Error{Errc::io, "cannot seek", path};
    file.size_ = static_cast<std::uint64_t>(_ftelli64(file.handle_->f));
    return file;
}

Status InputFile::read_at(std::uint64_t offset, std::span<std::byte> out) const {
    if (handle_->in_memory) return read_memory(offset, out);
    std::lock_guard<std::mutex> guard(handle_->lock);
    if (_fseeki64(handle_->f, static_cast<long long>(offset), SEEK_SET) != 0 ||
        std::fread(out.data(), 1, out.size(), handle_->f) != out.size()) {
        Error e = make_error_at(Errc::io, offset, "short read of " + std::to_string(out.size()) + " bytes");
        e.path = path_;
        return e;
    }
    return {};
}
#else
struct InputFile::Handle {
    std::vector<std::byte> memory;
    bool in_memory = false;
    int fd = -1;
    ~Handle() {
        if (fd >= 0) ::close(fd);
    }
};

Result<InputFile> InputFile::open(const std::string& path) {
    InputFile file;
    file.path_ = path;
    file.handle_ = std::make_shared<Handle>();
    file.handle_->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (file.handle_->fd < 0) return Error{Errc::io, std::strerror(errno), path};
    struct stat st {};
    if (::fstat(file.handle_->fd, &st) != 0) return Error{Errc::io, std::strerror(errno), path};
    if (S_ISDIR(st.st_mode)) return Error{Errc::io, "is a directory", path};
    file.size_ = static_cast<std::uint64_t>(st.st_size);
#if defined(POSIX_FADV_SEQUENTIAL)
    (void)::posix_fadvise(file.handle_->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    return file;
}

Status InputFile::read_at(std::uint64_t offset, std::span<std::byte> out) const {
    if (handle_->in_memory) return read_memory(offset, out);
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::pread(handle_->fd, out.data() + done, out.size() - done,
                                  static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            Error e = make_error_at(Errc::io, offset + done,
                                    n < 0 ? std::string(std::strerror(errno)) : "unexpected end of file");
            e.path = path_;
            return e;
        }
        done += static_cast<std::size_t>(n);
    }
    return {};
}
#endif

InputFile InputFile::from_memory(std::vector<std::byte> bytes, std::string name) {
    InputFile file;
    file.path_ = std::move(name);
    file.handle_ = std::make_shared<Handle>();
    file.size_ = bytes.size();
    file.handle_->memory = std::move(bytes);
    file.handle_->in_memory = true;
    return file;
}

Status InputFile::read_memory(std::uint64_t offset, std::span<std::byte> out) const {
    const auto& m = handle_->memory;
    if (offset > m.size() || out.size() > m.size() - offset) {
        Error e = make_error_at(Errc::io, offset, "unexpected end of file");
        e.path = path_;
        return e;
    }
    std::memcpy(out.data(), m.data() + offset, out.size());
    return {};
}

}  // namespace bp
