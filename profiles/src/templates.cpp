#include "bootprint/profiles/templates.hpp"

#include <string>

#include "bootprint/profiles/model_reader.hpp"
#include "embedded_templates.hpp"

namespace bp::profiles {

std::string_view template_file_name(BaseTemplate base) {
    switch (base) {
        case BaseTemplate::pool:
            return "pool.wprp";
        case BaseTemplate::resident_set:
            return "resident_set.wprp";
        case BaseTemplate::triage:
            return "triage.wprp";
    }
    return "";
}

std::string_view template_text(BaseTemplate base) {
    return detail::embedded_template(template_file_name(base));
}

Result<WprDocument> load_template(BaseTemplate base) {
    const std::string name(template_file_name(base));
    const std::string_view text = template_text(base);
    if (text.empty())
        return make_error(Errc::internal, "template " + name + " is not embedded in this build");
    auto doc = read_model(text);
    if (!doc) return make_error(Errc::internal, "template " + name + ": " + doc.error().message);
    return doc;
}

}  // namespace bp::profiles
