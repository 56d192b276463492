#include "xml_source.hpp"

#include <algorithm>
#include <string_view>

namespace bp::profiles::detail {

bool is_xml_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), is_xml_space);
}

Result<XmlSource> XmlSource::parse(std::string text) {
    XmlSource src;
    src.text_ = std::move(text);
    src.line_starts_.push_back(0);
    for (std::size_t i = 0; i < src.text_.size(); ++i) {
        if (src.text_[i] == '\n') src.line_starts_.push_back(i + 1);
    }
    src.doc_ = std::make_unique<pugi::xml_document>();
    // No encoding guess: decode_source() already produced UTF-8, whatever the declaration says.
    const pugi::xml_parse_result parsed =
        src.doc_->load_buffer(src.text_.data(), src.text_.size(), pugi::parse_default, pugi::encoding_utf8);
    const auto first = src.text_.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return make_error(Errc::corrupt, "not XML: the file is empty");
    if (src.text_[first] != '<') {
        return make_error(Errc::corrupt, "line " + std::to_string(src.line_at_offset(first)) +
                                             ": not XML: the first character is not '<'");
    }
    if (!parsed) {
        const auto offset = static_cast<std::size_t>(std::max<std::ptrdiff_t>(parsed.offset, 0));
        return make_error(Errc::corrupt, "line " + std::to_string(src.line_at_offset(offset)) +
                                             ": not well-formed XML: " + parsed.description());
    }
    std::size_t roots = 0;
    for (const pugi::xml_node& child : src.doc_->children()) {
        if (child.type() == pugi::node_element) ++roots;
        if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
            return make_error(Errc::corrupt, "line " + std::to_string(src.line_of(child)) +
                                                 ": not well-formed XML: text outside the root element");
        }
    }
    if (roots != 1) {
        return make_error(Errc::corrupt, roots == 0 ? "not well-formed XML: no root element"
                                                    : "not well-formed XML: more than one root element");
    }
    // pugixml accepts repeated attributes; XML does not.
    std::vector<pugi::xml_node> pending{src.doc_->document_element()};
    while (!pending.empty()) {
        const pugi::xml_node node = pending.back();
        pending.pop_back();
        for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
            for (pugi::xml_attribute b = a.next_attribute(); b; b = b.next_attribute()) {
                if (std::string_view(a.name()) == b.name()) {
                    return make_error(Errc::corrupt, "line " + std::to_string(src.line_of(node)) +
                                                         ": not well-formed XML: attribute '" + a.name() +
                                                         "' appears twice in <" + node.name() + ">");
                }
            }
        }
        for (const pugi::xml_node& child : node.children()) {
            if (child.type() == pugi::node_element) pending.push_back(child);
        }
    }
    return src;
}

std::size_t XmlSource::line_at_offset(std::size_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    return static_cast<std::size_t>(it - line_starts_.begin());
}

std::size_t XmlSource::line_of(const pugi::xml_node& node) const {
    const std::ptrdiff_t start = node.offset_debug();
    if (start < 0) return 0;
    auto pos = static_cast<std::size_t>(start);
    if (node.type() == pugi::node_element) {
        // Walk to the '>' closing the start tag, skipping quoted attribute values.
        char quote = 0;
        for (; pos < text_.size(); ++pos) {
            const char c = text_[pos];
            if (quote != 0) {
                if (c == quote) quote = 0;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '>') {
                break;
            }
        }
    }
    return line_at_offset(std::min(pos, text_.size()));
}

}  // namespace bp::profiles::detail
