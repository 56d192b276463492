// Pool tags as the generator accepts them: 1 to 4 printable ASCII characters, where '?' matches any one
// character and a final '*' matches the rest of the tag (the kernel's ExCheckSingleFilter rules, see
// kernel-events.md §1.6). WPR takes at most 4 tags per profile (the kernel's ETW_MAX_POOLTAG_FILTER);
// longer lists are split into groups of 4, one profile -- one boot -- per group.
//
//   BP_TRY(auto tags, parse_pool_tag_list("Irp ,Mm*,Ntf?"));
//   auto groups = group_pool_tags(tags);   // {{"Irp ", "Mm*", "Ntf?"}}
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "bootprint/common/result.hpp"

namespace bp::profiles {

inline constexpr std::size_t kMaxPoolTagsPerProfile = 4;
inline constexpr std::size_t kMaxPoolTagLength = 4;

// Checks one tag; the error (Errc::invalid_argument) names the tag and says why it is refused.
Status check_pool_tag(std::string_view tag);

// Checks every tag and refuses duplicates; errors name the tag and its 1-based position.
Status check_pool_tags(const std::vector<std::string>& tags);

// Splits "T1,T2,..." (no trimming: spaces are part of a tag, e.g. "Irp ") and checks the result.
Result<std::vector<std::string>> parse_pool_tag_list(std::string_view comma_separated);

// Consecutive groups of at most kMaxPoolTagsPerProfile tags, in input order.
std::vector<std::vector<std::string>> group_pool_tags(const std::vector<std::string>& tags);

// A tag as shown in messages and descriptions: quoted, non-printable bytes escaped ('Irp ', 'A\x01').
std::string quote_pool_tag(std::string_view tag);

}  // namespace bp::profiles
