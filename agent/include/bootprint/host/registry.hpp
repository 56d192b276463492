// Port: the machine's registry (HKLM values the campaign reads and writes). Windows: RegGetValueW /
// RegSetValueExW / RegQueryInfoKeyW; simulated lab: a JSON file in the machine directory.
//
//   BP_TRY(auto dpe, registry.read_dword(kMemoryManagementKey, kDisablePagingExecutive));
//   if (!dpe || *dpe != 1) BP_TRY_STATUS(registry.write_dword(kMemoryManagementKey, kDisablePagingExecutive,
//   1)); BP_TRY(auto written, registry.key_last_write_us(kMemoryManagementKey));  // compare with the boot
//   time
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bootprint/common/result.hpp"

namespace bp::host {

// wpr-boot.md §3: read at boot; 0 (default) lets drivers page, 1 keeps them resident.
inline constexpr std::string_view kMemoryManagementKey =
    "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management";
inline constexpr std::string_view kDisablePagingExecutive = "DisablePagingExecutive";

class Registry {
  public:
    virtual ~Registry() = default;
    // nullopt when the key or the value does not exist.
    virtual Result<std::optional<std::uint32_t>> read_dword(std::string_view key, std::string_view name) = 0;
    // Creates the key when missing; updates the key's last-write time.
    virtual Status write_dword(std::string_view key, std::string_view name, std::uint32_t value) = 0;
    // Removing a value that does not exist succeeds.
    virtual Status delete_value(std::string_view key, std::string_view name) = 0;
    // The key's last-write time (microseconds since 1970-01-01 UTC), nullopt when the key does not exist.
    virtual Result<std::optional<std::int64_t>> key_last_write_us(std::string_view key) = 0;
};

}  // namespace bp::host
