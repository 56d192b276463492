// One finding of the validator, tied to a line and an element of the checked file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bp::profiles {

enum class Severity : std::uint8_t { error, warning };

struct Diagnostic {
    Severity severity = Severity::error;
    std::size_t line = 0;  // 1-based; the line where the element's start tag ends (as xmllint counts)
    std::string element;   // the element the finding is about, e.g. "PoolTag"
    std::string message;   // e.g. "value 'ABCDE' has 5 characters; a pool tag has 1 to 4"
};

// "boot.wprp:12: <PoolTag>: value 'ABCDE' has 5 characters; a pool tag has 1 to 4"
// Warnings read "boot.wprp:12: warning: <Profile>: ...".
std::string format_diagnostic(std::string_view path, const Diagnostic& diagnostic);

}  // namespace bp::profiles
