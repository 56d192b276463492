// Validates a .wprp profile the way WPR does before it records anything: every rule of WPR's schema
// (WPRControlProfiles.xsd, WPT 11.3.2) -- element order and counts, required and allowed attributes,
// value types (keyword and stack names, 1-4 pool tags of 1-4 characters, Ids without ':' or
// whitespace), unique keys (Ids unique across all definitions, no duplicate keyword/stack/tag) -- plus
// WPR's profile naming rule (Profile Id = Name.DetailLevel.LoggingMode), which wpr.exe relies on to
// resolve `file.wprp!Name.Verbose`. No schema file is needed at run time.
//
//   BP_TRY(auto text, read_source_file(path));
//   BP_TRY(auto report, validate_wprp(text));
//   for (const auto& d : report.diagnostics) std::cerr << format_diagnostic(path, d) << '\n';
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "bootprint/common/result.hpp"
#include "bootprint/profiles/diagnostic.hpp"

namespace bp::profiles {

struct ValidationReport {
    std::vector<Diagnostic> diagnostics;  // sorted by line
    std::size_t profile_count = 0;        // <Profile> elements found

    std::size_t error_count() const;
    bool ok() const { return error_count() == 0; }
};

// Validates UTF-8 text (see source_text.hpp). An Error (Errc::corrupt, "line N: ...") means the text
// is not XML at all; schema violations are diagnostics in the report.
Result<ValidationReport> validate_wprp(std::string_view text);

}  // namespace bp::profiles
