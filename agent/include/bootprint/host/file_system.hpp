// Port: the few file operations the campaign needs (profiles, temp folders, trace files). The
// portable implementation (std::filesystem) serves Windows and the simulated lab; tests may fake it
// (disk full, missing volume).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bootprint/common/result.hpp"

namespace bp::host {

class FileSystem {
  public:
    virtual ~FileSystem() = default;
    // Writes through a temporary name, flushes and renames: readers see the old or the new file.
    virtual Status write_file(const std::string& path, std::string_view bytes) = 0;
    // nullopt when the file does not exist.
    virtual Result<std::optional<std::uint64_t>> file_size(const std::string& path) = 0;
    virtual Status create_directories(const std::string& path) = 0;
    // Removing a file that does not exist succeeds.
    virtual Status remove_file(const std::string& path) = 0;
};

class LocalFileSystem final : public FileSystem {
  public:
    Status write_file(const std::string& path, std::string_view bytes) override;
    Result<std::optional<std::uint64_t>> file_size(const std::string& path) override;
    Status create_directories(const std::string& path) override;
    Status remove_file(const std::string& path) override;
};

}  // namespace bp::host
