// The one XML writer for .wprp files: WprDocument -> text. Deterministic (same model, same bytes):
// UTF-8, LF line ends, two-space indentation, elements in the schema's order, attributes in a fixed
// order, values escaped by pugixml.
#pragma once

#include <string>

#include "bootprint/profiles/model.hpp"

namespace bp::profiles {

std::string write_wprp(const WprDocument& document);

}  // namespace bp::profiles
