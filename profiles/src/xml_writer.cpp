#include "bootprint/profiles/xml_writer.hpp"

#include <sstream>

#include <pugixml.hpp>

namespace bp::profiles {
namespace {

void set(pugi::xml_node node, const char* name, const std::string& value) {
    node.append_attribute(name).set_value(value.c_str());
}

void value_child(pugi::xml_node parent, const char* name, const std::string& value) {
    set(parent.append_child(name), "Value", value);
}

void write_buffers(pugi::xml_node node, const BufferSettings& buffers) {
    if (buffers.buffer_size_kb) value_child(node, "BufferSize", std::to_string(*buffers.buffer_size_kb));
    if (buffers.buffers) value_child(node, "Buffers", std::to_string(*buffers.buffers));
}

void write_collector(pugi::xml_node profiles, const char* element, const CollectorDef& c) {
    pugi::xml_node node = profiles.append_child(element);
    set(node, "Id", c.id);
    set(node, "Name", c.name);
    write_buffers(node, c.buffers);
}

void write_list(pugi::xml_node parent, const char* list, const char* item,
                const std::vector<std::string>& values) {
    if (values.empty()) return;
    pugi::xml_node node = parent.append_child(list);
    for (const std::string& v : values) value_child(node, item, v);
}

void write_profile(pugi::xml_node profiles, const ProfileDef& p) {
    pugi::xml_node node = profiles.append_child("Profile");
    set(node, "Id", p.id);
    set(node, "Name", p.name);
    set(node, "Description", p.description);
    set(node, "LoggingMode", std::string(to_string(p.logging_mode)));
    set(node, "DetailLevel", std::string(to_string(p.detail_level)));
    pugi::xml_node collectors = node.append_child("Collectors");
    if (!p.system_collector_id.empty()) {
        pugi::xml_node sc = collectors.append_child("SystemCollectorId");
        set(sc, "Value", p.system_collector_id);
        if (!p.system_provider_id.empty()) value_child(sc, "SystemProviderId", p.system_provider_id);
    }
    if (!p.event_collector_id.empty()) {
        pugi::xml_node ec = collectors.append_child("EventCollectorId");
        set(ec, "Value", p.event_collector_id);
        pugi::xml_node providers = ec.append_child("EventProviders");
        for (const std::string& id : p.event_provider_ids) value_child(providers, "EventProviderId", id);
    }
}

}  // namespace

std::string write_wprp(const WprDocument& document) {
    pugi::xml_document doc;
    pugi::xml_node decl = doc.append_child(pugi::node_declaration);
    decl.append_attribute("version").set_value("1.0");
    decl.append_attribute("encoding").set_value("utf-8");

    pugi::xml_node root = doc.append_child("WindowsPerformanceRecorder");
    set(root, "Version", document.version);
    if (!document.author.empty()) set(root, "Author", document.author);
    if (!document.comments.empty()) set(root, "Comments", document.comments);

    pugi::xml_node profiles = root.append_child("Profiles");
    for (const CollectorDef& c : document.system_collectors) write_collector(profiles, "SystemCollector", c);
    for (const CollectorDef& c : document.event_collectors) write_collector(profiles, "EventCollector", c);
    for (const SystemProviderDef& sp : document.system_providers) {
        pugi::xml_node node = profiles.append_child("SystemProvider");
        set(node, "Id", sp.id);
        write_list(node, "Keywords", "Keyword", sp.keywords);
        write_list(node, "Stacks", "Stack", sp.stacks);
        write_list(node, "PoolTags", "PoolTag", sp.pool_tags);
    }
    for (const EventProviderDef& ep : document.event_providers) {
        pugi::xml_node node = profiles.append_child("EventProvider");
        set(node, "Id", ep.id);
        set(node, "Name", ep.name);
        if (ep.non_paged_memory) set(node, "NonPagedMemory", *ep.non_paged_memory ? "true" : "false");
        if (ep.level) set(node, "Level", std::to_string(*ep.level));
        write_list(node, "Keywords", "Keyword", ep.keywords);
    }
    for (const ProfileDef& p : document.profiles) write_profile(profiles, p);

    std::ostringstream out;
    doc.save(out, "  ", pugi::format_indent, pugi::encoding_utf8);
    std::string text = out.str();
    if (!text.ends_with('\n')) text += '\n';
    return text;
}

}  // namespace bp::profiles
