// Reads a .wprp file back into the typed model -- only the subset model.hpp covers, and only from a
// file that passes validate_wprp(). Used to load the base templates (profiles/templates/*.wprp) and to
// check that the writer's output reads back to the same model. For arbitrary real-world profiles use
// inspector.hpp instead.
#pragma once

#include <string_view>

#include "bootprint/common/result.hpp"
#include "bootprint/profiles/model.hpp"

namespace bp::profiles {

// Errors: Errc::corrupt for text that is not XML or fails validation (first error quoted),
// Errc::unsupported naming the line and element for valid WPR features outside the model.
Result<WprDocument> read_model(std::string_view text);

}  // namespace bp::profiles
