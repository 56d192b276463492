// Helpers shared by the profiles tests: the shared reference folder, temporary directories, running
// xmllint and the bootprint CLI as real processes, and parsing both tools' messages.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.hpp"

#include <sys/wait.h>

namespace bp::profiles::testing {

namespace fs = std::filesystem;

// ../shared if present (tests that need it skip otherwise).
inline std::optional<fs::path> shared_dir() {
    const fs::path dir = BOOTPRINT_SHARED_DIR;
    std::error_code ec;
    if (fs::is_directory(dir / "wprp" / "profiles", ec)) return dir;
    return std::nullopt;
}

inline std::optional<fs::path> wpr_xsd() {
    auto dir = shared_dir();
    if (!dir) return std::nullopt;
    const fs::path xsd = *dir / "wprp" / "xsd" / "WPRControlProfiles.WPT-11.3.2-2022.libxml2-patched.xsd";
    return fs::exists(xsd) ? std::optional<fs::path>(xsd) : std::nullopt;
}

inline std::vector<fs::path> real_profiles() {
    std::vector<fs::path> files;
    if (auto dir = shared_dir()) {
        for (const auto& entry : fs::directory_iterator(*dir / "wprp" / "profiles")) {
            if (entry.path().extension() == ".wprp") files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

inline std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

inline void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

using bp::test::ProcessResult;
using bp::test::TempDir;

// Runs a command (no shell interpretation of the arguments) and captures stdout and stderr.
inline ProcessResult run(const std::vector<std::string>& argv) { return bp::test::run_process(argv); }

inline bool have_xmllint() {
    return run({"sh", "-c", "command -v xmllint"}).exit_code == 0;
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

struct Message {
    std::size_t line = 0;
    std::string element;
    std::string text;
};

// xmllint: "FILE:LINE: element NAME: Schemas validity error : Element 'NAME'...: TEXT"
inline std::vector<Message> xmllint_errors(const std::string& file, const std::string& err) {
    std::vector<Message> out;
    for (const std::string& l : lines_of(err)) {
        if (!l.starts_with(file + ":")) continue;
        const std::string rest = l.substr(file.size() + 1);
        const auto colon = rest.find(':');
        const auto element = rest.find("element ");
        if (colon == std::string::npos || element == std::string::npos) continue;
        Message m;
        m.line = std::stoul(rest.substr(0, colon));
        const auto name_end = rest.find(':', element);
        m.element = rest.substr(element + 8, name_end - element - 8);
        m.text = rest;
        out.push_back(m);
    }
    return out;
}

// bootprint: "FILE:LINE: <NAME>: TEXT"
inline std::vector<Message> bootprint_errors(const std::string& file, const std::string& err) {
    std::vector<Message> out;
    for (const std::string& l : lines_of(err)) {
        if (!l.starts_with(file + ":")) continue;
        const std::string rest = l.substr(file.size() + 1);
        const auto colon = rest.find(':');
        const auto open = rest.find('<');
        const auto close = rest.find('>', open);
        if (colon == std::string::npos || open == std::string::npos || close == std::string::npos) continue;
        if (rest.substr(0, colon).find_first_not_of("0123456789") != std::string::npos) continue;
        Message m;
        m.line = std::stoul(rest.substr(0, colon));
        m.element = rest.substr(open + 1, close - open - 1);
        m.text = rest;
        out.push_back(m);
    }
    return out;
}

}  // namespace bp::profiles::testing
