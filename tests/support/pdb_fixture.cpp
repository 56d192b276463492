#include "support/pdb_fixture.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "support/process.hpp"

namespace bp::test {

namespace fs = std::filesystem;

namespace {

const char* const kTools[] = {"clang-cl-14", "lld-link-14", "llvm-dlltool-14"};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::uint32_t u32(const std::string& b, std::size_t at) {
    if (at + 4 > b.size()) return 0;
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(b[at + static_cast<std::size_t>(i)]);
    return v;
}
std::uint64_t u64(const std::string& b, std::size_t at) {
    return u32(b, at) | (static_cast<std::uint64_t>(u32(b, at + 4)) << 32);
}

// The RSDS record of a PE32+ image, after the layout in symbols-on-linux.md §1.
bool read_rsds(const std::string& image, BuiltDriver& d) {
    const std::string b = slurp(image);
    const std::uint32_t pe = u32(b, 0x3C);
    if (b.size() < pe + 24 || b.compare(pe, 4, std::string("PE\0\0", 4)) != 0) return false;
    const std::size_t fh = pe + 4;
    const std::uint16_t sections = static_cast<std::uint16_t>(u32(b, fh + 2) & 0xFFFF);
    const std::uint16_t opt_size = static_cast<std::uint16_t>(u32(b, fh + 16) & 0xFFFF);
    const std::size_t opt = fh + 20;
    if ((u32(b, opt) & 0xFFFF) != 0x20B) return false;  // PE32+
    d.image_base = u64(b, opt + 24);
    d.image_size = u32(b, opt + 56);
    const std::uint32_t debug_rva = u32(b, opt + 112 + 6 * 8);
    const std::size_t sec = opt + opt_size;
    for (std::uint16_t i = 0; i < sections; ++i) {
        const std::size_t s = sec + 40u * i;
        const std::uint32_t va = u32(b, s + 12), vsize = u32(b, s + 8), raw = u32(b, s + 20);
        if (debug_rva < va || debug_rva >= va + vsize) continue;
        const std::size_t dir = raw + (debug_rva - va);
        if (u32(b, dir + 12) != 2) return false;  // IMAGE_DEBUG_TYPE_CODEVIEW
        const std::size_t cv = u32(b, dir + 24);
        if (u32(b, cv) != 0x53445352) return false;  // 'RSDS'
        std::memcpy(d.guid, b.data() + cv + 4, 16);
        d.age = u32(b, cv + 20);
        d.pdb_path_in_image = std::string(b.c_str() + cv + 24);
        return true;
    }
    return false;
}

// " 0001:000001f0       ??$TemplAdd@H@pdbtest@@YAHHH@Z 00000001400011f0     drv_cpp.obj"
void read_map(const std::string& path, BuiltDriver& d) {
    std::istringstream in(slurp(path));
    std::string line;
    bool statics = false;
    while (std::getline(in, line)) {
        if (line.find("Static symbols") != std::string::npos) statics = true;
        std::istringstream l(line);
        std::string where, name, rva_base;
        if (!(l >> where >> name >> rva_base)) continue;
        if (where.rfind("0001:", 0) != 0 || rva_base.size() != 16) continue;
        const std::uint64_t va = std::stoull(rva_base, nullptr, 16);
        d.code.push_back({name, static_cast<std::uint32_t>(va - d.image_base), statics});
    }
    std::sort(d.code.begin(), d.code.end(), [](const MapSymbol& a, const MapSymbol& b) { return a.rva < b.rva; });
}

}  // namespace

std::string BuiltDriver::guid_text() const {
    char buf[64];
    auto g = [&](int i) { return static_cast<unsigned>(guid[i]); };
    std::snprintf(buf, sizeof buf, "{%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X}", g(3), g(2), g(1),
                  g(0), g(5), g(4), g(7), g(6), g(8), g(9), g(10), g(11), g(12), g(13), g(14), g(15));
    return buf;
}

const MapSymbol* BuiltDriver::find(const std::string& name) const {
    for (const auto& s : code) {
        if (s.name == name) return &s;
    }
    return nullptr;
}

std::string missing_pdb_tools() {
    std::string missing;
    for (const char* t : kTools) {
        if (run_process({"sh", "-c", std::string("command -v ") + t}).exit_code != 0) missing += std::string(" ") + t;
    }
    return missing;
}

BuiltDriver build_test_driver(const fs::path& dir, bool public_only) {
    BuiltDriver d;
    fs::create_directories(dir);
    const fs::path src = fs::path(BOOTPRINT_SOURCE_DIR) / "tests" / "data" / "symbols";
    for (const char* f : {"drv_main.c", "drv_cpp.cpp", "ntoskrnl.def"}) {
        fs::copy_file(src / f, dir / f, fs::copy_options::overwrite_existing);
    }
    // Relative paths in the build directory and /Brepro: the same bytes wherever the test runs.
    const std::string cl = std::string("clang-cl-14 --target=x86_64-pc-windows-msvc /nologo /c /O2 /GS- /GR- /Brepro "
                                       "-ffile-compilation-dir=. ") + (public_only ? "" : "/Z7 ");
    const std::string script =
        "set -e; cd " + quote(dir.string()) +
        "; llvm-dlltool-14 -m i386:x86-64 -d ntoskrnl.def -l ntoskrnl.lib"
        "; " + cl + "/Fodrv_main.obj drv_main.c; " + cl + "/Fodrv_cpp.obj drv_cpp.cpp"
        "; lld-link-14 /nologo /driver /subsystem:native /entry:DriverEntry /nodefaultlib /debug /Brepro"
        " '/pdbsourcepath:C:\\src' /pdbaltpath:pdbtest.pdb /pdb:pdbtest.pdb /out:pdbtest.sys /map:pdbtest.map"
        " drv_main.obj drv_cpp.obj ntoskrnl.lib";
    const ProcessResult r = run_process({"sh", "-c", script});
    if (r.exit_code != 0) {
        d.error = "building the test driver failed (" + std::to_string(r.exit_code) + "): " + r.out + r.err;
        return d;
    }
    d.sys = (dir / "pdbtest.sys").string();
    d.pdb = (dir / "pdbtest.pdb").string();
    if (!read_rsds(d.sys, d)) {
        d.error = "no RSDS record in " + d.sys;
        return d;
    }
    read_map((dir / "pdbtest.map").string(), d);
    if (d.code.empty()) d.error = "no .text symbols in the map file";
    return d;
}

std::string add_to_store(const BuiltDriver& d, const fs::path& store) {
    std::string key = d.guid_text();
    key.erase(std::remove_if(key.begin(), key.end(), [](char c) { return c == '{' || c == '}' || c == '-'; }), key.end());
    char age[16];
    std::snprintf(age, sizeof age, "%X", d.age);
    const fs::path target = store / "pdbtest.pdb" / (key + age) / "pdbtest.pdb";
    fs::create_directories(target.parent_path());
    fs::copy_file(d.pdb, target, fs::copy_options::overwrite_existing);
    return target.string();
}

}  // namespace bp::test
