#include "bootprint/profiles/generator.hpp"

#include <algorithm>

#include "bootprint/profiles/pool_tag.hpp"
#include "bootprint/profiles/templates.hpp"
#include "bootprint/profiles/validator.hpp"
#include "bootprint/profiles/xml_writer.hpp"

namespace bp::profiles {
namespace {

constexpr std::string_view kTemplateIdPrefix = "Bootprint_";
constexpr std::size_t kMaxNameLength = 64;

// Template Ids start with "Bootprint_"; generated Ids start with "<name>_" instead.
std::string rename_id(std::string_view name, std::string_view template_id) {
    if (template_id.starts_with(kTemplateIdPrefix)) template_id.remove_prefix(kTemplateIdPrefix.size());
    return std::string(name) + "_" + std::string(template_id);
}

void append_unique(std::vector<std::string>& to, const std::vector<std::string>& from) {
    for (const std::string& v : from) {
        if (std::find(to.begin(), to.end(), v) == to.end()) to.push_back(v);
    }
}

void take_larger(std::optional<std::uint32_t>& to, const std::optional<std::uint32_t>& from) {
    if (from && (!to || *from > *to)) to = from;
}

Status check_buffers(const ProfileRequest& request) {
    if (request.buffer_size_kb &&
        (*request.buffer_size_kb < kMinBufferSizeKb || *request.buffer_size_kb > kMaxBufferSizeKb)) {
        return make_error(Errc::invalid_argument, "buffer size " + std::to_string(*request.buffer_size_kb) +
                                                      " KB is outside " + std::to_string(kMinBufferSizeKb) +
                                                      ".." + std::to_string(kMaxBufferSizeKb) + " KB");
    }
    if (request.buffers && (*request.buffers < kMinBuffers || *request.buffers > kMaxBuffers)) {
        return make_error(Errc::invalid_argument, "buffer count " + std::to_string(*request.buffers) +
                                                      " is outside " + std::to_string(kMinBuffers) + ".." +
                                                      std::to_string(kMaxBuffers));
    }
    return {};
}

std::string join_tags(const std::vector<std::string>& tags) {
    std::string out;
    for (const std::string& t : tags) {
        if (!out.empty()) out += ' ';
        out += quote_pool_tag(t);  // appended, not `literal + string`: GCC 12 -O3 warns falsely (-Wrestrict)
    }
    return out;
}

std::string description(const ProfileRequest& request, const std::vector<std::string>& tags,
                        std::size_t group, std::size_t groups) {
    std::string d = "Bootprint boot trace: ";
    if (tags.empty()) {
        d += "all pool tags";
    } else {
        d += "pool tags ";
        d += join_tags(tags);
    }
    if (groups > 1) d += " (group " + std::to_string(group) + " of " + std::to_string(groups) + ")";
    if (request.resident_set) d += ", resident set";
    if (request.triage) d += ", first level triage";
    return d;
}

// The parts every profile of the file shares, merged from the selected templates.
struct Composition {
    CollectorDef system_collector;
    std::optional<CollectorDef> event_collector;
    SystemProviderDef kernel;  // keywords and stacks; no Id, no tags
    std::vector<EventProviderDef> event_providers;
    std::vector<std::string> template_names;
};

Result<Composition> compose(const ProfileRequest& request) {
    std::vector<BaseTemplate> selected = {BaseTemplate::pool};
    if (request.resident_set) selected.push_back(BaseTemplate::resident_set);
    if (request.triage) selected.push_back(BaseTemplate::triage);

    Composition c;
    for (BaseTemplate base : selected) {
        BP_TRY(WprDocument t, load_template(base));
        c.template_names.emplace_back(template_file_name(base));
        if (t.system_collectors.size() != 1 || t.system_providers.size() != 1) {
            return make_error(Errc::internal, std::string(template_file_name(base)) +
                                                  " must define one SystemCollector and one SystemProvider");
        }
        const CollectorDef& sc = t.system_collectors.front();
        if (c.system_collector.id.empty()) {
            c.system_collector = CollectorDef{rename_id(request.name, sc.id), sc.name, sc.buffers};
        }
        take_larger(c.system_collector.buffers.buffer_size_kb, sc.buffers.buffer_size_kb);
        take_larger(c.system_collector.buffers.buffers, sc.buffers.buffers);
        append_unique(c.kernel.keywords, t.system_providers.front().keywords);
        append_unique(c.kernel.stacks, t.system_providers.front().stacks);
        for (const CollectorDef& ec : t.event_collectors) {
            if (!c.event_collector)
                c.event_collector = CollectorDef{rename_id(request.name, ec.id), ec.name, ec.buffers};
        }
        for (EventProviderDef ep : t.event_providers) {
            ep.id = rename_id(request.name, ep.id);
            const bool known = std::any_of(c.event_providers.begin(), c.event_providers.end(),
                                           [&](const EventProviderDef& e) { return e.id == ep.id; });
            if (!known) c.event_providers.push_back(std::move(ep));
        }
    }
    if (request.buffer_size_kb) c.system_collector.buffers.buffer_size_kb = request.buffer_size_kb;
    if (request.buffers) c.system_collector.buffers.buffers = request.buffers;
    return c;
}

}  // namespace

Status check_profile_name(std::string_view name) {
    const std::string shown = "profile name '" + std::string(name.substr(0, kMaxNameLength + 1)) + "'";
    if (name.empty()) return make_error(Errc::invalid_argument, "profile name is empty");
    if (name.size() > kMaxNameLength) {
        return make_error(Errc::invalid_argument,
                          shown + "... is longer than " + std::to_string(kMaxNameLength) + " characters");
    }
    const auto is_alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
    if (!is_alpha(name.front())) {
        return make_error(Errc::invalid_argument, shown + " must start with a letter");
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-') {
            return make_error(
                Errc::invalid_argument,
                shown + ": character " + std::to_string(i + 1) +
                    " is not a letter, digit, '_' or '-' (WPR names cannot hold ':' or "
                    "whitespace, '.' separates name and level, '!' separates file and profile)");
        }
    }
    return {};
}

Result<GeneratedProfiles> generate(const ProfileRequest& request) {
    BP_TRY_STATUS(check_profile_name(request.name));
    BP_TRY_STATUS(check_pool_tags(request.pool_tags));
    BP_TRY_STATUS(check_buffers(request));

    std::vector<std::vector<std::string>> groups = group_pool_tags(request.pool_tags);
    if (groups.empty()) groups.emplace_back();
    if (request.single && groups.size() > 1) {
        const std::string& first_extra = request.pool_tags[kMaxPoolTagsPerProfile];
        return make_error(
            Errc::invalid_argument,
            "pool tag " + quote_pool_tag(first_extra) + " (#" + std::to_string(kMaxPoolTagsPerProfile + 1) +
                ") does not fit: a single profile " + "holds at most 4 pool tags (WPR's limit), and " +
                std::to_string(request.pool_tags.size()) + " tags were given");
    }

    BP_TRY(Composition c, compose(request));

    GeneratedProfiles out;
    WprDocument& doc = out.document;
    doc.author = "bootprint";
    doc.comments = "Boot trace generated by bootprint from templates";
    for (const std::string& t : c.template_names) doc.comments += " " + t;
    doc.comments += ". Arm one profile per boot: wpr -addboot FILE.wprp!NAME.Verbose -filemode";
    doc.system_collectors.push_back(c.system_collector);
    if (c.event_collector) doc.event_collectors.push_back(*c.event_collector);
    doc.event_providers = c.event_providers;

    for (std::size_t g = 0; g < groups.size(); ++g) {
        const std::string suffix = groups.size() > 1 ? ".g" + std::to_string(g + 1) : "";
        const std::string id_suffix = groups.size() > 1 ? "_g" + std::to_string(g + 1) : "";

        SystemProviderDef provider = c.kernel;
        provider.id = rename_id(request.name, "SystemProvider" + id_suffix);
        provider.pool_tags = groups[g];
        doc.system_providers.push_back(provider);

        ProfileDef profile;
        profile.name = request.name + suffix;
        profile.id = profile_id(profile.name, DetailLevel::verbose, LoggingMode::file);
        profile.description = description(request, groups[g], g + 1, groups.size());
        profile.system_collector_id = c.system_collector.id;
        profile.system_provider_id = provider.id;
        if (c.event_collector) {
            profile.event_collector_id = c.event_collector->id;
            for (const EventProviderDef& ep : c.event_providers) profile.event_provider_ids.push_back(ep.id);
        }
        out.profiles.push_back(
            GeneratedProfile{profile.name, profile.id,
                             profile.name + "." + std::string(to_string(DetailLevel::verbose)), groups[g]});
        doc.profiles.push_back(std::move(profile));
    }

    out.xml = write_wprp(doc);
    // Defence in depth: what we write must pass our own validator.
    BP_TRY(ValidationReport report, validate_wprp(out.xml));
    if (!report.ok()) {
        const Diagnostic& d = report.diagnostics.front();
        return make_error(Errc::internal,
                          "generated profile fails validation: " + format_diagnostic("output", d));
    }
    return out;
}

std::string addboot_argument(std::string_view wprp_path, const GeneratedProfile& profile) {
    return std::string(wprp_path) + "!" + profile.selector;
}

}  // namespace bp::profiles
