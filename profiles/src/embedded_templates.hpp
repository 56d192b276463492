// The base templates of profiles/templates/, embedded at build time (see embed_templates.cmake).
#pragma once

#include <string_view>

namespace bp::profiles::detail {

// The bytes of profiles/templates/<file_name>, or an empty view if there is no such template.
std::string_view embedded_template(std::string_view file_name);

}  // namespace bp::profiles::detail
