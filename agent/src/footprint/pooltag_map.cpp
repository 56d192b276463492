#include "bootprint/footprint/pooltag_map.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace bp::footprint {

namespace {
std::string trim(std::string s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

bool matches(const std::string& pattern, const std::string& tag) {
    std::size_t i = 0;
    for (; i < pattern.size(); ++i) {
        if (pattern[i] == '*') return true;
        if (i >= tag.size()) return false;
        if (pattern[i] != '?' && pattern[i] != tag[i]) return false;
    }
    return i == tag.size();
}

std::size_t literal_prefix(const std::string& p) {
    const auto n = p.find_first_of("*?");
    return n == std::string::npos ? p.size() : n;
}
}  // namespace

Result<PoolTagMap> PoolTagMap::parse(const std::string& text, const std::string& source_name) {
    PoolTagMap map;
    std::istringstream in(text);
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        const std::string t = trim(line);
        if (t.empty() || t.rfind("//", 0) == 0 || t.rfind("rem", 0) == 0 || t[0] == ';' || t[0] == '#') continue;
        // "Tag - binary - description": the tag is at most 4 characters before the first " - ".
        const auto dash = line.find(" - ");
        if (dash == std::string::npos) {
            return make_error(Errc::corrupt, source_name + ":" + std::to_string(line_no) +
                                                 ": expected 'Tag - binary - description', got '" + t + "'");
        }
        std::string tag = line.substr(0, dash);
        while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.pop_back();
        while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.erase(tag.begin());
        if (tag.empty() || tag.size() > 4) {
            return make_error(Errc::corrupt, source_name + ":" + std::to_string(line_no) + ": tag '" + tag +
                                                 "' must have 1 to 4 characters");
        }
        std::string rest = line.substr(dash + 3);
        const auto dash2 = rest.find(" - ");
        std::string binary = trim(dash2 == std::string::npos ? rest : rest.substr(0, dash2));
        if (binary.empty()) continue;
        map.entries_.push_back({tag, binary, tag.find_first_of("*?") != std::string::npos});
    }
    return map;
}

Result<PoolTagMap> PoolTagMap::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{Errc::io, "cannot open pool tag file", path};
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), path);
}

std::string PoolTagMap::lookup(const std::string& tag) const {
    // Drivers pad short tags with spaces; compare without trailing spaces.
    std::string t = tag;
    while (!t.empty() && t.back() == ' ') t.pop_back();
    const Entry* best = nullptr;
    for (const auto& e : entries_) {
        std::string p = e.pattern;
        if (!e.wildcard) {
            while (!p.empty() && p.back() == ' ') p.pop_back();
            if (p == t) return e.binary;
            continue;
        }
        if (matches(p, t) && (!best || literal_prefix(p) > literal_prefix(best->pattern))) best = &e;
    }
    return best ? best->binary : std::string();
}

}  // namespace bp::footprint
