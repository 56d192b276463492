// The typed model of the .wprp files Bootprint writes: the subset of WPR's schema a boot-time pool
// trace needs (collectors with buffer settings, one system provider per profile with keywords, stacks
// and pool tags, event providers, and profiles that tie them together). xml_writer.hpp turns it into
// XML; model_reader.hpp reads the same subset back (used for the templates in profiles/templates/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bp::profiles {

enum class LoggingMode : std::uint8_t { file, memory };
enum class DetailLevel : std::uint8_t { light, verbose };

std::string_view to_string(LoggingMode mode);   // "File", "Memory"
std::string_view to_string(DetailLevel level);  // "Light", "Verbose"

// <BufferSize Value=KB/> and <Buffers Value=N/>; absent values are left to WPR's defaults.
struct BufferSettings {
    std::optional<std::uint32_t> buffer_size_kb;
    std::optional<std::uint32_t> buffers;
    bool operator==(const BufferSettings&) const = default;
};

// <SystemCollector> or <EventCollector>.
struct CollectorDef {
    std::string id;
    std::string name;
    BufferSettings buffers;
    bool operator==(const CollectorDef&) const = default;
};

// <SystemProvider>: kernel keywords, stacks and the pool tag filter (at most 4 tags).
struct SystemProviderDef {
    std::string id;
    std::vector<std::string> keywords;
    std::vector<std::string> stacks;
    std::vector<std::string> pool_tags;
    bool operator==(const SystemProviderDef&) const = default;
};

// <EventProvider>: a manifest/TraceLogging provider by name or GUID.
struct EventProviderDef {
    std::string id;
    std::string name;
    std::optional<bool> non_paged_memory;
    std::optional<std::uint8_t> level;
    std::vector<std::string> keywords;  // "0x..." masks
    bool operator==(const EventProviderDef&) const = default;
};

// <Profile> with its <Collectors>: one system collector with one system provider, optionally one
// event collector with event providers.
struct ProfileDef {
    std::string id;  // Name.DetailLevel.LoggingMode (see profile_id())
    std::string name;
    std::string description;
    LoggingMode logging_mode = LoggingMode::file;
    DetailLevel detail_level = DetailLevel::verbose;
    std::string system_collector_id;
    std::string system_provider_id;
    std::string event_collector_id;  // empty: no event collector
    std::vector<std::string> event_provider_ids;
    bool operator==(const ProfileDef&) const = default;
};

// <WindowsPerformanceRecorder>.
struct WprDocument {
    std::string version = "1.0";
    std::string author;
    std::string comments;
    std::vector<CollectorDef> system_collectors;
    std::vector<CollectorDef> event_collectors;
    std::vector<SystemProviderDef> system_providers;
    std::vector<EventProviderDef> event_providers;
    std::vector<ProfileDef> profiles;
    bool operator==(const WprDocument&) const = default;
};

// WPR's naming rule: "Name.DetailLevel.LoggingMode", e.g. "Bootprint.Verbose.File".
std::string profile_id(std::string_view name, DetailLevel level, LoggingMode mode);

}  // namespace bp::profiles
