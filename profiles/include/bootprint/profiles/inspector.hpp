// Lists what each <Profile> of a .wprp file records, with WPR's inheritance resolved as far as the file
// allows: Base chains of profiles, collectors and providers, and Operation="Set|Add|Remove" on
// collections. Definitions the file refers to but does not contain (WPR built-ins such as
// "GeneralProfile.Verbose.File") are reported in `notes`.
//
//   BP_TRY(auto profiles, inspect_wprp(text));
//   for (const auto& p : profiles) std::cout << p.id << ": " << p.keywords.size() << " keywords\n";
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "bootprint/common/result.hpp"

namespace bp::profiles {

struct CollectorSummary {
    std::string kind;            // "system", "event", "heap" or "hypervisor"
    std::string id;              // the collector's Id
    std::string name;            // its Name (the ETW session name), if defined in the file
    std::string buffer_size_kb;  // as written, empty if not set
    std::string buffers;         // as written: "128", or "15% of RAM, at most 4000 MB"
    bool defined = true;         // false: the file refers to a collector it does not define
};

struct ProviderSummary {
    std::string id;
    std::string name;   // provider name or GUID
    std::string level;  // empty if not set
    std::vector<std::string> keywords;
};

struct ProfileSummary {
    std::size_t line = 0;
    std::string id;
    std::string name;
    std::string description;
    std::string logging_mode;
    std::string detail_level;
    std::string base;
    std::vector<CollectorSummary> collectors;
    std::vector<std::string> keywords;   // kernel keywords (system providers)
    std::vector<std::string> stacks;     // kernel stacks
    std::vector<std::string> pool_tags;  // pool tag filter; empty: no filter
    std::vector<ProviderSummary> providers;
    std::vector<std::string> notes;  // what could not be resolved
};

// Errors: Errc::corrupt when the text is not XML or its root is not <WindowsPerformanceRecorder>.
// Does not validate; run validate_wprp() for that.
Result<std::vector<ProfileSummary>> inspect_wprp(std::string_view text);

}  // namespace bp::profiles
