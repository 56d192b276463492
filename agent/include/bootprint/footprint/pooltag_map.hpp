// Tag → driver map in pooltag.txt format ("Tag  - binary.sys - description", // comments), used to
// attribute pool rows that have no allocation stack. Tags may hold '*' (rest) and '?' (one char).
#pragma once

#include <string>
#include <vector>

#include "bootprint/common/result.hpp"

namespace bp::footprint {

class PoolTagMap {
public:
    // Parses the text; malformed lines are reported with their line number.
    static Result<PoolTagMap> parse(const std::string& text, const std::string& source_name = "pooltag");
    static Result<PoolTagMap> load(const std::string& path);

    // The binary for a tag (as pool_tag_string prints it), or "" when no entry matches. Exact entries
    // win over wildcard entries; among wildcards the longest literal prefix wins.
    std::string lookup(const std::string& tag) const;
    std::size_t size() const { return entries_.size(); }

private:
    struct Entry {
        std::string pattern;
        std::string binary;
        bool wildcard = false;
    };
    std::vector<Entry> entries_;
};

}  // namespace bp::footprint
