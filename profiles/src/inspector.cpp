#include "bootprint/profiles/inspector.hpp"

#include <algorithm>
#include <map>

#include "xml_source.hpp"

namespace bp::profiles {
namespace {

constexpr int kMaxBaseDepth = 32;

std::vector<pugi::xml_node> elements(const pugi::xml_node& node, std::string_view name = {}) {
    std::vector<pugi::xml_node> out;
    for (const pugi::xml_node& child : node.children()) {
        if (child.type() == pugi::node_element && (name.empty() || name == child.name()))
            out.push_back(child);
    }
    return out;
}

void add_unique(std::vector<std::string>& list, const std::string& value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

// Applies one collection element (<Keywords>, <Stacks>, <PoolTags>) to a list, honouring Operation.
void apply_list(std::vector<std::string>& list, const pugi::xml_node& collection) {
    std::vector<std::string> items;
    for (const pugi::xml_node& item : elements(collection))
        add_unique(items, item.attribute("Value").value());
    const std::string_view op = collection.attribute("Operation").value();
    if (op == "Add") {
        for (const std::string& v : items) add_unique(list, v);
    } else if (op == "Remove") {
        std::erase_if(list, [&](const std::string& v) {
            return std::find(items.begin(), items.end(), v) != items.end();
        });
    } else {
        list = std::move(items);
    }
}

struct Kernel {
    std::vector<std::string> keywords, stacks, pool_tags;
};

struct Collector {
    CollectorSummary summary;
    Kernel kernel;
    std::vector<ProviderSummary> providers;
};

class Inspector {
  public:
    explicit Inspector(const detail::XmlSource& source) : source_(source) {}

    Result<std::vector<ProfileSummary>> run() {
        const pugi::xml_node root = source_.root();
        if (std::string_view(root.name()) != "WindowsPerformanceRecorder") {
            return make_error(Errc::corrupt,
                              "the root element is <" + std::string(root.name()) +
                                  ">; a WPR profile's root element is <WindowsPerformanceRecorder>");
        }
        for (const pugi::xml_node& profiles : elements(root, "Profiles")) {
            for (const pugi::xml_node& def : elements(profiles)) {
                if (def.attribute("Id")) definitions_.emplace(def.attribute("Id").value(), def);
            }
        }
        std::vector<ProfileSummary> out;
        for (const pugi::xml_node& profiles : elements(root, "Profiles")) {
            for (const pugi::xml_node& p : elements(profiles, "Profile")) out.push_back(summarize(p));
        }
        return out;
    }

  private:
    ProfileSummary summarize(const pugi::xml_node& profile) {
        notes_.clear();
        ProfileSummary s;
        s.line = source_.line_of(profile);
        s.id = profile.attribute("Id").value();
        s.name = profile.attribute("Name").value();
        s.description = profile.attribute("Description").value();
        s.logging_mode = profile.attribute("LoggingMode").value();
        s.detail_level = profile.attribute("DetailLevel").value();
        s.base = profile.attribute("Base").value();
        for (const Collector& c : profile_collectors(profile, 0)) {
            s.collectors.push_back(c.summary);
            for (const std::string& v : c.kernel.keywords) add_unique(s.keywords, v);
            for (const std::string& v : c.kernel.stacks) add_unique(s.stacks, v);
            for (const std::string& v : c.kernel.pool_tags) add_unique(s.pool_tags, v);
            s.providers.insert(s.providers.end(), c.providers.begin(), c.providers.end());
        }
        s.notes = notes_;
        return s;
    }

    void note(const std::string& text) { add_unique(notes_, text); }

    // The definition with this Id if it is a <kind> element; notes why not otherwise.
    pugi::xml_node definition(const std::string& id, std::string_view kind, int depth) {
        if (depth > kMaxBaseDepth) {
            note("Base chain through '" + id + "' is circular or deeper than " +
                 std::to_string(kMaxBaseDepth));
            return {};
        }
        const auto it = definitions_.find(id);
        if (it == definitions_.end() || kind != it->second.name()) {
            note("<" + std::string(kind) + "> '" + id +
                 "' is not defined in this file (a WPR built-in?); its settings are not shown");
            return {};
        }
        return it->second;
    }

    std::vector<Collector> profile_collectors(const pugi::xml_node& profile, int depth) {
        std::vector<Collector> collectors;
        if (const pugi::xml_attribute base = profile.attribute("Base")) {
            if (const pugi::xml_node b = definition(base.value(), "Profile", depth + 1)) {
                collectors = profile_collectors(b, depth + 1);
            }
        }
        for (const pugi::xml_node& set : elements(profile, "Collectors")) {
            const std::string_view op = set.attribute("Operation").value();
            if (op != "Add" && op != "Remove") collectors.clear();
            for (const pugi::xml_node& ref : elements(set)) {
                const std::string id = ref.attribute("Value").value();
                auto existing = std::find_if(collectors.begin(), collectors.end(),
                                             [&](const Collector& c) { return c.summary.id == id; });
                if (op == "Remove") {
                    if (existing == collectors.end()) continue;
                    if (elements(ref).empty()) {
                        collectors.erase(existing);
                    } else {
                        apply_reference(*existing, ref);
                    }
                    continue;
                }
                if (existing == collectors.end()) {
                    collectors.push_back(new_collector(ref));
                    existing = collectors.end() - 1;
                }
                apply_reference(*existing, ref);
            }
        }
        return collectors;
    }

    Collector new_collector(const pugi::xml_node& ref) {
        static const std::map<std::string_view, std::string_view> kKinds = {
            {"SystemCollectorId", "SystemCollector"},
            {"EventCollectorId", "EventCollector"},
            {"HeapEventCollectorId", "HeapEventCollector"},
            {"HypervisorEventCollectorId", "HypervisorEventCollector"}};
        static const std::map<std::string_view, std::string_view> kShort = {
            {"SystemCollector", "system"},
            {"EventCollector", "event"},
            {"HeapEventCollector", "heap"},
            {"HypervisorEventCollector", "hypervisor"}};
        Collector c;
        const auto kind = kKinds.find(ref.name());
        const std::string_view element = kind == kKinds.end() ? std::string_view(ref.name()) : kind->second;
        c.summary.kind = kind == kKinds.end() ? std::string(ref.name()) : std::string(kShort.at(element));
        c.summary.id = ref.attribute("Value").value();
        c.summary.defined = collector_definition(c.summary, c.summary.id, element, 0);
        return c;
    }

    bool collector_definition(CollectorSummary& s, const std::string& id, std::string_view element,
                              int depth) {
        const pugi::xml_node def = definition(id, element, depth);
        if (!def) return false;
        if (const pugi::xml_attribute base = def.attribute("Base")) {
            collector_definition(s, base.value(), element, depth + 1);
        }
        if (const pugi::xml_attribute name = def.attribute("Name")) s.name = name.value();
        apply_buffers(s, def);
        return true;
    }

    static void apply_buffers(CollectorSummary& s, const pugi::xml_node& node) {
        if (const pugi::xml_node size = node.child("BufferSize"))
            s.buffer_size_kb = size.attribute("Value").value();
        pugi::xml_node buffers = node.child("Buffers");
        if (!buffers) buffers = node.child("BuffersPerCPU");
        if (buffers) {
            s.buffers = buffers.attribute("Value").value();
            if (buffers.attribute("PercentageOfTotalMemory").as_bool()) s.buffers += "% of RAM";
            if (const pugi::xml_attribute max = buffers.attribute("MaximumBufferSpace")) {
                s.buffers += std::string(", at most ") + max.value() + " MB";
            }
            if (std::string_view(buffers.name()) == "BuffersPerCPU") s.buffers += " per CPU";
        }
    }

    // A <SystemCollectorId>/<EventCollectorId>/... inside <Collectors>: buffer overrides and providers.
    void apply_reference(Collector& c, const pugi::xml_node& ref) {
        const bool remove = std::string_view(ref.parent().attribute("Operation").value()) == "Remove";
        if (!remove) apply_buffers(c.summary, ref);
        for (const pugi::xml_node& child : elements(ref)) {
            const std::string_view name = child.name();
            if (name == "SystemProviderId" || name == "SystemProvider") {
                Kernel k;
                if (name == "SystemProviderId") {
                    k = system_provider(child.attribute("Value").value(), 0);
                    apply_kernel(k, child);
                } else {
                    k = inline_system_provider(child, 0);
                }
                merge_kernel(c.kernel, k, remove);
            } else if (name == "EventProviders" || name == "HeapEventProviders") {
                apply_providers(c.providers, child);
            }
        }
    }

    static void merge_kernel(Kernel& into, const Kernel& from, bool remove) {
        auto merge = [remove](std::vector<std::string>& a, const std::vector<std::string>& b) {
            if (remove) {
                std::erase_if(
                    a, [&](const std::string& v) { return std::find(b.begin(), b.end(), v) != b.end(); });
            } else {
                for (const std::string& v : b) add_unique(a, v);
            }
        };
        merge(into.keywords, from.keywords);
        merge(into.stacks, from.stacks);
        merge(into.pool_tags, from.pool_tags);
    }

    static void apply_kernel(Kernel& k, const pugi::xml_node& node) {
        for (const pugi::xml_node& child : elements(node)) {
            const std::string_view name = child.name();
            if (name == "Keywords") apply_list(k.keywords, child);
            if (name == "Stacks") apply_list(k.stacks, child);
            if (name == "PoolTags") apply_list(k.pool_tags, child);
        }
    }

    Kernel system_provider(const std::string& id, int depth) {
        const pugi::xml_node def = definition(id, "SystemProvider", depth);
        return def ? inline_system_provider(def, depth) : Kernel{};
    }

    Kernel inline_system_provider(const pugi::xml_node& def, int depth) {
        Kernel k;
        if (const pugi::xml_attribute base = def.attribute("Base"))
            k = system_provider(base.value(), depth + 1);
        apply_kernel(k, def);
        return k;
    }

    void apply_providers(std::vector<ProviderSummary>& list, const pugi::xml_node& set) {
        const std::string_view op = set.attribute("Operation").value();
        std::vector<ProviderSummary> items;
        for (const pugi::xml_node& child : elements(set)) {
            const std::string_view name = child.name();
            if (name == "EventProviderId" || name == "HeapEventProviderId") {
                ProviderSummary p =
                    event_provider(child.attribute("Value").value(),
                                   name == "EventProviderId" ? "EventProvider" : "HeapEventProvider", 0);
                for (const pugi::xml_node& kw : elements(child, "Keywords")) apply_list(p.keywords, kw);
                items.push_back(std::move(p));
            } else if (name == "EventProvider" || name == "HeapEventProvider") {
                items.push_back(inline_event_provider(child, name, 0));
            }
        }
        if (op == "Remove") {
            std::erase_if(list, [&](const ProviderSummary& p) {
                return std::any_of(items.begin(), items.end(),
                                   [&](const ProviderSummary& i) { return i.id == p.id; });
            });
            return;
        }
        if (op != "Add") list.clear();
        for (ProviderSummary& p : items) {
            const auto same = std::find_if(list.begin(), list.end(),
                                           [&](const ProviderSummary& q) { return q.id == p.id; });
            if (same == list.end()) list.push_back(std::move(p));
        }
    }

    ProviderSummary event_provider(const std::string& id, std::string_view element, int depth) {
        const pugi::xml_node def = definition(id, element, depth);
        if (!def) {
            ProviderSummary p;
            p.id = id;
            return p;
        }
        return inline_event_provider(def, element, depth);
    }

    ProviderSummary inline_event_provider(const pugi::xml_node& def, std::string_view element, int depth) {
        ProviderSummary p;
        if (const pugi::xml_attribute base = def.attribute("Base"))
            p = event_provider(base.value(), element, depth + 1);
        p.id = def.attribute("Id").value();
        if (const pugi::xml_attribute name = def.attribute("Name")) p.name = name.value();
        if (const pugi::xml_attribute level = def.attribute("Level")) p.level = level.value();
        for (const pugi::xml_node& kw : elements(def, "Keywords")) apply_list(p.keywords, kw);
        return p;
    }

    const detail::XmlSource& source_;
    std::map<std::string, pugi::xml_node, std::less<>> definitions_;
    std::vector<std::string> notes_;
};

}  // namespace

Result<std::vector<ProfileSummary>> inspect_wprp(std::string_view text) {
    BP_TRY(auto source, detail::XmlSource::parse(std::string(text)));
    return Inspector(source).run();
}

}  // namespace bp::profiles
