#include "bootprint/profiles/model.hpp"

namespace bp::profiles {

std::string_view to_string(LoggingMode mode) {
    return mode == LoggingMode::file ? "File" : "Memory";
}

std::string_view to_string(DetailLevel level) {
    return level == DetailLevel::light ? "Light" : "Verbose";
}

std::string profile_id(std::string_view name, DetailLevel level, LoggingMode mode) {
    std::string id(name);
    id += '.';
    id += to_string(level);
    id += '.';
    id += to_string(mode);
    return id;
}

}  // namespace bp::profiles
