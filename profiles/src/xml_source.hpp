// A parsed .wprp document together with the text it came from, so that any node can be mapped back to
// a line number. Private to the profiles library (validator, inspector, model reader).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "bootprint/common/result.hpp"

namespace bp::profiles::detail {

class XmlSource {
  public:
    // Parses UTF-8 text (see source_text.hpp). Fails with Errc::corrupt, message "line N: ...", when
    // the text is not well-formed XML or has no single root element.
    static Result<XmlSource> parse(std::string text);

    pugi::xml_node root() const { return doc_->document_element(); }

    // The line (1-based) of the end of `node`'s start tag. libxml2 (xmllint) reports that line for an
    // element, so reporting it too lets users match our messages with xmllint's.
    std::size_t line_of(const pugi::xml_node& node) const;

    std::size_t line_at_offset(std::size_t offset) const;

  private:
    XmlSource() = default;

    std::string text_;
    std::vector<std::size_t> line_starts_;
    std::unique_ptr<pugi::xml_document> doc_;
};

// Whitespace as XML defines it (#x20 | #x9 | #xD | #xA).
bool is_xml_space(char c);
bool is_blank(std::string_view s);

}  // namespace bp::profiles::detail
