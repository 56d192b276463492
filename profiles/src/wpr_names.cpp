#include "bootprint/profiles/wpr_names.hpp"

#include <algorithm>

#include "schema.hpp"

namespace bp::profiles {

std::span<const std::string_view> system_keywords() {
    return detail::enumeration(detail::ValueKind::system_keyword);
}
std::span<const std::string_view> system_stacks() {
    return detail::enumeration(detail::ValueKind::system_stack);
}
bool is_system_keyword(std::string_view name) {
    const auto names = system_keywords();
    return std::find(names.begin(), names.end(), name) != names.end();
}
bool is_system_stack(std::string_view name) {
    const auto names = system_stacks();
    return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace bp::profiles
