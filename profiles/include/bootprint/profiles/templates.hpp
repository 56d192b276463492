// The three base templates the generator composes from: profiles/templates/{pool,resident_set,triage}
// .wprp, compiled into the library. Each is a complete, valid WPR profile on its own; the generator
// reads them into the typed model and merges keywords, stacks, collectors and providers.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "bootprint/common/result.hpp"
#include "bootprint/profiles/model.hpp"

namespace bp::profiles {

enum class BaseTemplate : std::uint8_t { pool, resident_set, triage };

inline constexpr std::array<BaseTemplate, 3> kBaseTemplates = {BaseTemplate::pool, BaseTemplate::resident_set,
                                                               BaseTemplate::triage};

std::string_view template_file_name(BaseTemplate base);  // "pool.wprp", ...

// The embedded text of the template (empty if the build embedded none -- a packaging bug).
std::string_view template_text(BaseTemplate base);

// The template read into the model. Errc::internal if the embedded text is missing or invalid.
Result<WprDocument> load_template(BaseTemplate base);

}  // namespace bp::profiles
