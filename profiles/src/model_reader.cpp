#include "bootprint/profiles/model_reader.hpp"

#include <algorithm>
#include <initializer_list>

#include "bootprint/profiles/validator.hpp"
#include "xml_source.hpp"

namespace bp::profiles {
namespace {

class ModelReader {
  public:
    explicit ModelReader(const detail::XmlSource& source) : source_(source) {}

    Result<WprDocument> read() {
        const pugi::xml_node root = source_.root();
        BP_TRY_STATUS(only(root, {"Version", "Author", "Comments"}));
        WprDocument doc;
        doc.version = root.attribute("Version").value();
        doc.author = root.attribute("Author").value();
        doc.comments = root.attribute("Comments").value();
        for (const pugi::xml_node& section : elements(root)) {
            if (std::string_view(section.name()) != "Profiles") return unsupported(section);
            for (const pugi::xml_node& node : elements(section)) {
                const std::string_view name = node.name();
                if (name == "SystemCollector" || name == "EventCollector") {
                    BP_TRY(CollectorDef c, collector(node));
                    (name == "SystemCollector" ? doc.system_collectors : doc.event_collectors)
                        .push_back(std::move(c));
                } else if (name == "SystemProvider") {
                    BP_TRY(SystemProviderDef sp, system_provider(node));
                    doc.system_providers.push_back(std::move(sp));
                } else if (name == "EventProvider") {
                    BP_TRY(EventProviderDef ep, event_provider(node));
                    doc.event_providers.push_back(std::move(ep));
                } else if (name == "Profile") {
                    BP_TRY(ProfileDef p, profile(node));
                    doc.profiles.push_back(std::move(p));
                } else {
                    return unsupported(node);
                }
            }
        }
        return doc;
    }

  private:
    static std::vector<pugi::xml_node> elements(const pugi::xml_node& node) {
        std::vector<pugi::xml_node> out;
        for (const pugi::xml_node& child : node.children()) {
            if (child.type() == pugi::node_element) out.push_back(child);
        }
        return out;
    }

    Error unsupported(const pugi::xml_node& node) const {
        return make_error(Errc::unsupported, "line " + std::to_string(source_.line_of(node)) + ": <" +
                                                 node.name() +
                                                 "> is outside what bootprint's profile model covers");
    }

    Status only(const pugi::xml_node& node, std::initializer_list<std::string_view> allowed) const {
        for (const pugi::xml_attribute& a : node.attributes()) {
            if (std::find(allowed.begin(), allowed.end(), std::string_view(a.name())) == allowed.end()) {
                return make_error(Errc::unsupported,
                                  "line " + std::to_string(source_.line_of(node)) + ": <" + node.name() +
                                      " " + a.name() + "> is outside what bootprint's profile model covers");
            }
        }
        return {};
    }

    static std::uint32_t number(const pugi::xml_node& node) {
        return static_cast<std::uint32_t>(node.attribute("Value").as_ullong());
    }

    Result<CollectorDef> collector(const pugi::xml_node& node) const {
        BP_TRY_STATUS(only(node, {"Id", "Name"}));
        CollectorDef c{node.attribute("Id").value(), node.attribute("Name").value(), {}};
        for (const pugi::xml_node& child : elements(node)) {
            const std::string_view name = child.name();
            BP_TRY_STATUS(only(child, {"Value"}));
            if (name == "BufferSize") {
                c.buffers.buffer_size_kb = number(child);
            } else if (name == "Buffers") {
                c.buffers.buffers = number(child);
            } else {
                return unsupported(child);
            }
        }
        return c;
    }

    Result<std::vector<std::string>> values(const pugi::xml_node& list, std::string_view item) const {
        BP_TRY_STATUS(only(list, {}));
        std::vector<std::string> out;
        for (const pugi::xml_node& child : elements(list)) {
            if (std::string_view(child.name()) != item) return unsupported(child);
            BP_TRY_STATUS(only(child, {"Value"}));
            out.emplace_back(child.attribute("Value").value());
        }
        return out;
    }

    Result<SystemProviderDef> system_provider(const pugi::xml_node& node) const {
        BP_TRY_STATUS(only(node, {"Id"}));
        SystemProviderDef sp;
        sp.id = node.attribute("Id").value();
        for (const pugi::xml_node& child : elements(node)) {
            const std::string_view name = child.name();
            if (name == "Keywords") {
                BP_TRY(sp.keywords, values(child, "Keyword"));
            } else if (name == "Stacks") {
                BP_TRY(sp.stacks, values(child, "Stack"));
            } else if (name == "PoolTags") {
                BP_TRY(sp.pool_tags, values(child, "PoolTag"));
            } else {
                return unsupported(child);
            }
        }
        return sp;
    }

    Result<EventProviderDef> event_provider(const pugi::xml_node& node) const {
        BP_TRY_STATUS(only(node, {"Id", "Name", "NonPagedMemory", "Level"}));
        EventProviderDef ep;
        ep.id = node.attribute("Id").value();
        ep.name = node.attribute("Name").value();
        if (const auto a = node.attribute("NonPagedMemory")) ep.non_paged_memory = a.as_bool();
        if (const auto a = node.attribute("Level")) ep.level = static_cast<std::uint8_t>(a.as_uint());
        for (const pugi::xml_node& child : elements(node)) {
            if (std::string_view(child.name()) != "Keywords") return unsupported(child);
            BP_TRY(ep.keywords, values(child, "Keyword"));
        }
        return ep;
    }

    Result<ProfileDef> profile(const pugi::xml_node& node) const {
        BP_TRY_STATUS(only(node, {"Id", "Name", "Description", "LoggingMode", "DetailLevel"}));
        ProfileDef p;
        p.id = node.attribute("Id").value();
        p.name = node.attribute("Name").value();
        p.description = node.attribute("Description").value();
        p.logging_mode = std::string_view(node.attribute("LoggingMode").value()) == "File"
                             ? LoggingMode::file
                             : LoggingMode::memory;
        p.detail_level = std::string_view(node.attribute("DetailLevel").value()) == "Light"
                             ? DetailLevel::light
                             : DetailLevel::verbose;
        for (const pugi::xml_node& collectors : elements(node)) {
            if (std::string_view(collectors.name()) != "Collectors") return unsupported(collectors);
            BP_TRY_STATUS(only(collectors, {}));
            for (const pugi::xml_node& ref : elements(collectors)) {
                BP_TRY_STATUS(only(ref, {"Value"}));
                const std::string_view name = ref.name();
                if (name == "SystemCollectorId") {
                    p.system_collector_id = ref.attribute("Value").value();
                    for (const pugi::xml_node& sp : elements(ref)) {
                        if (std::string_view(sp.name()) != "SystemProviderId" || !elements(sp).empty()) {
                            return unsupported(sp);
                        }
                        BP_TRY_STATUS(only(sp, {"Value"}));
                        p.system_provider_id = sp.attribute("Value").value();
                    }
                } else if (name == "EventCollectorId" && p.event_collector_id.empty()) {
                    p.event_collector_id = ref.attribute("Value").value();
                    for (const pugi::xml_node& providers : elements(ref)) {
                        if (std::string_view(providers.name()) != "EventProviders")
                            return unsupported(providers);
                        BP_TRY_STATUS(only(providers, {}));
                        for (const pugi::xml_node& ep : elements(providers)) {
                            if (std::string_view(ep.name()) != "EventProviderId" || !elements(ep).empty()) {
                                return unsupported(ep);
                            }
                            BP_TRY_STATUS(only(ep, {"Value"}));
                            p.event_provider_ids.emplace_back(ep.attribute("Value").value());
                        }
                    }
                } else {
                    return unsupported(ref);
                }
            }
        }
        return p;
    }

    const detail::XmlSource& source_;
};

}  // namespace

Result<WprDocument> read_model(std::string_view text) {
    BP_TRY(ValidationReport report, validate_wprp(text));
    if (!report.ok()) {
        for (const Diagnostic& d : report.diagnostics) {
            if (d.severity == Severity::error) {
                return make_error(Errc::corrupt, "invalid profile: line " + std::to_string(d.line) + ": <" +
                                                     d.element + ">: " + d.message);
            }
        }
    }
    BP_TRY(auto source, detail::XmlSource::parse(std::string(text)));
    return ModelReader(source).read();
}

}  // namespace bp::profiles
