// A read-only file with positional reads. Reads copy into caller-owned memory, so a reader's resident
// memory stays flat in the file's size (no mapping of the whole file).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bootprint/common/result.hpp"

namespace bp {

class InputFile {
public:
    static Result<InputFile> open(const std::string& path);
    // A file held in memory (fuzzing, tests); `name` is used in error messages.
    static InputFile from_memory(std::vector<std::byte> bytes, std::string name);

    const std::string& path() const { return path_; }
    std::uint64_t size() const { return size_; }
    // Reads exactly out.size() bytes at `offset`; an error names the path and offset.
    Status read_at(std::uint64_t offset, std::span<std::byte> out) const;

private:
    struct Handle;
    Status read_memory(std::uint64_t offset, std::span<std::byte> out) const;
    std::shared_ptr<Handle> handle_;
    std::string path_;
    std::uint64_t size_ = 0;
};

}  // namespace bp
