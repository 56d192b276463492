// The names WPR accepts for system (kernel) keywords and stacks, from WPRControlProfiles.xsd
// (WPT 11.3.2, 2022): SystemKeywordEnumeration and SystemStackEnumeration, in schema order.
#pragma once

#include <span>
#include <string_view>

namespace bp::profiles {

std::span<const std::string_view> system_keywords();
std::span<const std::string_view> system_stacks();
bool is_system_keyword(std::string_view name);
bool is_system_stack(std::string_view name);

}  // namespace bp::profiles
