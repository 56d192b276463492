// Generates the .wprp for a boot-trace campaign: the pool template plus, on request, the resident-set
// and first-level-triage templates, with one profile per group of at most 4 pool tags (WPR's limit).
// Output is deterministic: the same request always gives the same bytes.
//
// The campaign engine arms one profile per boot:
//
//   ProfileRequest request;
//   request.name = "Campaign42";
//   request.pool_tags = {"Irp ", "Mm*", "Ntf?", "Vi*", "Abcd"};
//   BP_TRY(GeneratedProfiles out, generate(request));
//   write out.xml to C:\...\campaign42.wprp, then for each p in out.profiles:
//       wpr -addboot <addboot_argument(path, p)> -filemode -recordtempto ...
//   // "C:\...\campaign42.wprp!Campaign42.g1.Verbose", then "...!Campaign42.g2.Verbose"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bootprint/common/result.hpp"
#include "bootprint/profiles/model.hpp"

namespace bp::profiles {

inline constexpr std::string_view kDefaultProfileName = "Bootprint";
inline constexpr std::uint32_t kMinBufferSizeKb = 4;
inline constexpr std::uint32_t kMaxBufferSizeKb = 1024;  // ETW's largest buffer
inline constexpr std::uint32_t kMinBuffers = 2;
inline constexpr std::uint32_t kMaxBuffers = 4096;

struct ProfileRequest {
    // Profile name: a letter, then letters, digits, '_' or '-' (at most 64). With more than 4 tags the
    // profiles are named <name>.g1, <name>.g2, ...
    std::string name = std::string(kDefaultProfileName);
    std::vector<std::string> pool_tags;           // empty: record every pool allocation
    bool resident_set = false;                    // add the resident-set template
    bool triage = false;                          // add the first-level-triage template
    bool single = false;                          // refuse requests that need more than one profile
    std::optional<std::uint32_t> buffer_size_kb;  // system collector buffer size, overrides the templates
    std::optional<std::uint32_t> buffers;         // system collector buffer count, overrides the templates
};

struct GeneratedProfile {
    std::string name;                    // "Bootprint.g1" (or "Bootprint" for a single profile)
    std::string id;                      // "Bootprint.g1.Verbose.File"
    std::string selector;                // "Bootprint.g1.Verbose": what follows '!' for wpr -addboot
    std::vector<std::string> pool_tags;  // this profile's tag group
};

struct GeneratedProfiles {
    WprDocument document;
    std::string xml;
    std::vector<GeneratedProfile> profiles;  // in file order, one per tag group
};

// Errors (Errc::invalid_argument) name the offending tag, name or setting and say why.
Result<GeneratedProfiles> generate(const ProfileRequest& request);

// Checks a profile name as ProfileRequest::name describes.
Status check_profile_name(std::string_view name);

// "<wprp_path>!<selector>", the argument of `wpr -addboot` (use with -filemode).
std::string addboot_argument(std::string_view wprp_path, const GeneratedProfile& profile);

}  // namespace bp::profiles
