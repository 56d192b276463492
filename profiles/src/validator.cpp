// Walks a parsed document against the schema tables of schema.cpp. The messages name the element, say
// what is wrong with the value or position, and what is expected instead; the line is the one xmllint
// reports for the same element, so both tools' outputs can be lined up.
#include "bootprint/profiles/validator.hpp"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "schema.hpp"
#include "xml_source.hpp"

namespace bp::profiles {
namespace {

using detail::AttributeDecl;
using detail::ChildDecl;
using detail::kUnbounded;
using detail::TypeDecl;
using detail::ValueKind;

// A value as it appears in a message: quoted, control characters escaped, long values shortened.
std::string quoted(std::string_view value) {
    std::string out = "'";
    std::size_t shown = 0;
    for (char c : value) {
        if (++shown > 60) {
            out += "...";
            break;
        }
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) {
            static constexpr char kHex[] = "0123456789ABCDEF";
            out += "\\x";
            out += kHex[u >> 4];
            out += kHex[u & 0xF];
        } else {
            out += c;
        }
    }
    return out + "'";
}

std::string tag(std::string_view name) {
    return "<" + std::string(name) + ">";
}

std::string ordinal(int n) {
    const int mod100 = n % 100;
    const char* suffix = "th";
    if (mod100 < 11 || mod100 > 13) {
        if (n % 10 == 1) suffix = "st";
        if (n % 10 == 2) suffix = "nd";
        if (n % 10 == 3) suffix = "rd";
    }
    return std::to_string(n) + suffix;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// "; did you mean 'Pool'?" for near misses of an enumerated name, or "".
std::string suggestion(ValueKind kind, std::string_view value) {
    const auto names = detail::enumeration(kind);
    for (std::string_view name : names) {
        if (iequals(name, value))
            return "; did you mean '" + std::string(name) + "'? (names are case-sensitive)";
    }
    std::string_view best;
    std::size_t best_distance = std::max<std::size_t>(2, value.size() / 4) + 1;
    for (std::string_view name : names) {
        const std::size_t d = edit_distance(value, name);
        if (d < best_distance) {
            best_distance = d;
            best = name;
        }
    }
    return best.empty() ? std::string() : "; did you mean '" + std::string(best) + "'?";
}

std::string join_tags(const std::vector<std::string_view>& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
        out += tag(names[i]);
    }
    return out;
}

class Validator {
  public:
    explicit Validator(const detail::XmlSource& source) : source_(source) {}

    ValidationReport run() {
        const pugi::xml_node root = source_.root();
        if (root.name() != detail::kRootElement) {
            error(root, "the root element is " + tag(root.name()) + "; a WPR profile's root element is " +
                            tag(detail::kRootElement));
        } else {
            element(root, detail::type_decl(detail::root_type()));
            id_key(root);
            onoff_type_key(root);
        }
        std::stable_sort(report_.diagnostics.begin(), report_.diagnostics.end(),
                         [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
        return std::move(report_);
    }

  private:
    void add(Severity severity, const pugi::xml_node& node, std::string message) {
        report_.diagnostics.push_back({severity, source_.line_of(node), node.name(), std::move(message)});
    }
    void error(const pugi::xml_node& node, std::string message) {
        add(Severity::error, node, std::move(message));
    }

    void element(const pugi::xml_node& node, const TypeDecl& type) {
        attributes(node, type);
        content(node, type);
        if (!type.value_key.empty()) value_key(node, type);
        if (std::string_view(node.name()) == "Profile") {
            ++report_.profile_count;
            profile_naming_rule(node);
        }
    }

    void attributes(const pugi::xml_node& node, const TypeDecl& type) {
        for (const pugi::xml_attribute& attribute : node.attributes()) {
            const std::string_view name = attribute.name();
            if (name == "xmlns") {
                error(node, "declares the namespace " + quoted(attribute.value()) +
                                "; WPR profiles use no namespace (the schema has no target namespace)");
                continue;
            }
            if (name.starts_with("xmlns:")) continue;  // a prefix declaration, not an attribute
            const auto decl = std::find_if(type.attributes.begin(), type.attributes.end(),
                                           [&](const AttributeDecl& d) { return d.name == name; });
            if (decl == type.attributes.end()) {
                std::string allowed;
                for (const AttributeDecl& d : type.attributes)
                    allowed += (allowed.empty() ? "" : ", ") + std::string(d.name);
                error(node, "attribute '" + std::string(name) + "' is not allowed; " + tag(node.name()) +
                                (allowed.empty() ? " takes no attributes" : " takes " + allowed));
                continue;
            }
            if (auto why = detail::check_value(decl->kind, attribute.value())) {
                const std::string label = name == "Value" ? "value" : std::string(name);
                std::string message = label + " " + quoted(attribute.value()) + " " + *why;
                if (!detail::enumeration(decl->kind).empty())
                    message += suggestion(decl->kind, attribute.value());
                error(node, std::move(message));
                bad_attributes_.insert(attribute.hash_value());
            }
        }
        for (const AttributeDecl& decl : type.attributes) {
            if (decl.required && !node.attribute(decl.name.data())) {
                error(node, "missing required attribute '" + std::string(decl.name) + "'");
            }
        }
    }

    // Checks the children of `node` against the sequence (or repeated choice) of its type, then
    // validates each child that the type declares.
    void content(const pugi::xml_node& node, const TypeDecl& type) {
        const std::vector<ChildDecl>& decls = type.children;
        const std::string parent = tag(node.name());
        auto decl_named = [&](std::string_view name) -> const ChildDecl* {
            for (const ChildDecl& d : decls) {
                if (d.name == name) return &d;
            }
            return nullptr;
        };

        bool text_reported = false;
        bool broken = false;  // after the first order/count error, only validate children by name
        std::size_t index = 0;
        int count = 0;  // occurrences of decls[index] so far (or of the choice)
        pugi::xml_node previous;

        for (const pugi::xml_node& child : node.children()) {
            if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
                if (!text_reported && !detail::is_blank(child.value())) {
                    std::string_view text = child.value();
                    text.remove_prefix(std::min(text.find_first_not_of(" \t\r\n"), text.size()));
                    text = text.substr(0, text.find_last_not_of(" \t\r\n") + 1);
                    error(node,
                          "text " + quoted(text) + " is not allowed; " + parent + " contains only elements");
                    text_reported = true;
                }
                continue;
            }
            if (child.type() != pugi::node_element) continue;
            const std::string_view name = child.name();
            const ChildDecl* decl = decl_named(name);

            if (!broken && type.choice) {
                if (decl == nullptr) {
                    std::vector<std::string_view> names;
                    for (const ChildDecl& d : decls) names.push_back(d.name);
                    error(child, "not allowed inside " + parent + "; expected " + join_tags(names));
                    broken = true;
                }
                ++count;
            } else if (!broken) {
                broken = !sequence_step(node, child, decls, index, count, previous);
            }
            if (decl != nullptr) element(child, detail::type_decl(decl->type));
            previous = child;
        }

        if (broken) return;
        if (type.choice) {
            if (count < type.choice_min) {
                std::vector<std::string_view> names;
                for (const ChildDecl& d : decls) names.push_back(d.name);
                error(node, "missing required child: " + parent + " needs at least " +
                                std::to_string(type.choice_min) + " " + join_tags(names));
            }
            return;
        }
        for (std::size_t k = index; k < decls.size(); ++k) {
            const int have = k == index ? count : 0;
            if (have < decls[k].min_occurs) {
                error(node, "missing required child: " + parent + " needs at least " +
                                std::to_string(decls[k].min_occurs) + " " + tag(decls[k].name));
                return;
            }
        }
    }

    // Advances the sequence state over one child; reports and returns false when the child does not fit.
    bool sequence_step(const pugi::xml_node& node, const pugi::xml_node& child,
                       const std::vector<ChildDecl>& decls, std::size_t& index, int& count,
                       const pugi::xml_node& previous) {
        const std::string_view name = child.name();
        const std::string parent = tag(node.name());
        auto has_room = [&](std::size_t k) {
            return k != index || decls[k].max_occurs == kUnbounded || count < decls[k].max_occurs;
        };
        std::size_t k = index;
        while (k < decls.size() && !(decls[k].name == name && has_room(k))) ++k;

        if (k < decls.size()) {
            for (std::size_t m = index; m < k; ++m) {
                const int have = m == index ? count : 0;
                if (have < decls[m].min_occurs) {
                    error(child, "cannot come yet: " + parent + " needs " + tag(decls[m].name) + " before " +
                                     tag(name));
                    return false;
                }
            }
            count = k == index ? count + 1 : 1;
            index = k;
            return true;
        }
        if (index < decls.size() && decls[index].name == name) {
            const int max = decls[index].max_occurs;
            std::string message = "too many: " + parent + " holds at most " + std::to_string(max) + " " +
                                  tag(name) + "; this is the " + ordinal(count + 1);
            if (name == "PoolTag") message += " (WPR filters on at most 4 pool tags per profile)";
            error(child, std::move(message));
            return false;
        }
        for (std::size_t m = 0; m < index; ++m) {
            if (decls[m].name == name) {
                error(child, "out of order: " + tag(name) + " must come before " + tag(previous.name()) +
                                 " inside " + parent);
                return false;
            }
        }
        std::vector<std::string_view> expected;
        for (std::size_t m = index; m < decls.size(); ++m) {
            if (has_room(m)) expected.push_back(decls[m].name);
            if (decls[m].min_occurs > (m == index ? count : 0)) break;
        }
        error(child, "not allowed inside " + parent +
                         (expected.empty() ? std::string("; nothing more is allowed here")
                                           : "; expected " + join_tags(expected)));
        return false;
    }

    // xs:key with selector "./*" and field "@Value": every child needs a Value, all different.
    void value_key(const pugi::xml_node& node, const TypeDecl& type) {
        std::map<std::string, pugi::xml_node, std::less<>> seen;
        for (const pugi::xml_node& child : node.children()) {
            if (child.type() != pugi::node_element) continue;
            const auto decl = std::find_if(type.children.begin(), type.children.end(),
                                           [&](const ChildDecl& d) { return d.name == child.name(); });
            if (decl == type.children.end()) continue;  // already reported as not allowed
            const pugi::xml_attribute value = child.attribute("Value");
            if (!value) {
                // A missing required Value is already reported; an optional one still breaks the key.
                const auto& child_attributes = detail::type_decl(decl->type).attributes;
                const bool required =
                    std::any_of(child_attributes.begin(), child_attributes.end(),
                                [](const AttributeDecl& a) { return a.name == "Value" && a.required; });
                if (!required) {
                    error(child, "has no Value; every child of " + tag(node.name()) + " needs one (key " +
                                     std::string(type.value_key) + ")");
                }
                continue;
            }
            if (bad_attributes_.contains(value.hash_value())) continue;
            const auto [it, inserted] = seen.emplace(value.value(), child);
            if (!inserted) {
                const std::string what = std::string_view(child.name()) == "PoolTag" ? "pool tag" : "value";
                error(child, "duplicate " + what + " " + quoted(value.value()) + " in " + tag(node.name()) +
                                 " (first at line " + std::to_string(source_.line_of(it->second)) +
                                 "); each may appear once");
            }
        }
    }

    // IdKey: the Id of every element two levels below the root is unique, across element types.
    void id_key(const pugi::xml_node& root) {
        std::map<std::string, pugi::xml_node, std::less<>> seen;
        for (const pugi::xml_node& section : root.children()) {
            if (section.type() != pugi::node_element) continue;
            for (const pugi::xml_node& definition : section.children()) {
                if (definition.type() != pugi::node_element) continue;
                const pugi::xml_attribute id = definition.attribute("Id");
                if (!id || bad_attributes_.contains(id.hash_value())) continue;
                const auto [it, inserted] = seen.emplace(id.value(), definition);
                if (!inserted) {
                    error(definition,
                          "duplicate Id " + quoted(id.value()) + ": already used by " +
                              tag(it->second.name()) + " at line " +
                              std::to_string(source_.line_of(it->second)) +
                              "; Ids must be unique across all collectors, providers and profiles");
                }
            }
        }
    }

    // OnOffTransitionKey: at most one configuration per transition Type.
    void onoff_type_key(const pugi::xml_node& root) {
        std::map<std::string, pugi::xml_node, std::less<>> seen;
        for (const pugi::xml_node& configuration : root.child("OnOffTransitionConfigurations").children()) {
            if (configuration.type() != pugi::node_element) continue;
            const pugi::xml_attribute type = configuration.attribute("Type");
            if (!type || bad_attributes_.contains(type.hash_value())) continue;
            const auto [it, inserted] = seen.emplace(type.value(), configuration);
            if (!inserted) {
                error(configuration, "duplicate Type " + quoted(type.value()) + " (first at line " +
                                         std::to_string(source_.line_of(it->second)) + ")");
            }
        }
    }

    // Not in the XSD, but wpr.exe resolves "file.wprp!Name.Level" plus the logging mode to the Id
    // "Name.Level.Mode" ("Expected Profile Id: %ws"), so a profile named otherwise cannot be selected.
    void profile_naming_rule(const pugi::xml_node& profile) {
        const char* parts[] = {"Id", "Name", "DetailLevel", "LoggingMode"};
        for (const char* part : parts) {
            const pugi::xml_attribute a = profile.attribute(part);
            if (!a || bad_attributes_.contains(a.hash_value())) return;
        }
        const std::string expected = std::string(profile.attribute("Name").value()) + "." +
                                     profile.attribute("DetailLevel").value() + "." +
                                     profile.attribute("LoggingMode").value();
        if (expected != profile.attribute("Id").value()) {
            error(profile, "Id " + quoted(profile.attribute("Id").value()) +
                               " breaks WPR's naming rule Name.DetailLevel.LoggingMode; expected " +
                               quoted(expected) + " (wpr selects profiles as file.wprp!Name.DetailLevel)");
        }
    }

    const detail::XmlSource& source_;
    ValidationReport report_;
    std::unordered_set<std::size_t> bad_attributes_;  // hash_value() of attributes with invalid values
};

}  // namespace

std::size_t ValidationReport::error_count() const {
    return static_cast<std::size_t>(
        std::count_if(diagnostics.begin(), diagnostics.end(),
                      [](const Diagnostic& d) { return d.severity == Severity::error; }));
}

std::string format_diagnostic(std::string_view path, const Diagnostic& diagnostic) {
    std::string out(path);
    out += ":" + std::to_string(diagnostic.line) + ": ";
    if (diagnostic.severity == Severity::warning) out += "warning: ";
    out += "<" + diagnostic.element + ">: " + diagnostic.message;
    return out;
}

Result<ValidationReport> validate_wprp(std::string_view text) {
    BP_TRY(auto source, detail::XmlSource::parse(std::string(text)));
    return Validator(source).run();
}

}  // namespace bp::profiles
