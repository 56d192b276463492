// Benchmark (not a test): the PDB address table on a generated driver with >= 40,000 functions.
//   bench_symbols [--functions N] [--cache DIR]
// Generates C++ sources (half public functions in namespaces, half statics), compiles them with
// clang-cl-14 /Z7 (two at a time) and links with lld-link-14 /driver; the PDB is cached in DIR (default
// build/.../bench_symbols_cache) because compiling takes a minute or more. Then prints, each measured
// in a child process (own peak RSS): the table build time (read + sort), and lookups/s over random
// RVAs through AddressTable::lookup and through StoreSymbolizer::resolve (name string included).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "bootprint/symbols/symbols.hpp"

namespace fs = std::filesystem;

namespace {

constexpr int kUnits = 4;

int sh(const std::string& cmd) { return std::system(cmd.c_str()); }

// Sources with `functions` functions in kUnits translation units, and the driver entry that calls the
// statics (otherwise the compiler drops them).
bool generate(const fs::path& dir, int functions) {
    fs::create_directories(dir);
    const int per = functions / kUnits + 1;
    for (int t = 0; t < kUnits; ++t) {
        std::ofstream f(dir / ("tu" + std::to_string(t) + ".cpp"));
        f << "namespace Drv" << t << " { namespace Sub {\n";
        for (int i = 0; i < per; ++i) {
            if (i % 2) {
                f << "static __declspec(noinline) int Fn_" << t << "_" << i << "(int x) { return x * " << i + 3 << " + " << t << "; }\n";
            } else {
                f << "__declspec(noinline) int Pub_" << t << "_" << i << "(int x) { return x * " << i + 5 << " - " << t << "; }\n";
            }
        }
        f << "}}\nextern \"C\" int Entry" << t << "(int x) { int s = 0;\n";
        for (int i = 1; i < per; i += 2) f << " s += Drv" << t << "::Sub::Fn_" << t << "_" << i << "(x);\n";
        f << " return s; }\n";
    }
    std::ofstream m(dir / "main.cpp");
    for (int t = 0; t < kUnits; ++t) m << "extern \"C\" int Entry" << t << "(int);\n";
    m << "extern \"C\" long DriverEntry(void*, void*) { return 0";
    for (int t = 0; t < kUnits; ++t) m << " + Entry" << t << "(" << t << ")";
    m << "; }\n";
    return true;
}

bool build(const fs::path& dir) {
    const std::string cl = "clang-cl-14 --target=x86_64-pc-windows-msvc /nologo /c /O1 /Z7 /GS- /GR- /Brepro "
                           "-ffile-compilation-dir=. ";
    std::string cmd = "cd '" + dir.string() + "' && (";
    for (int t = 0; t < kUnits; ++t) {
        cmd += cl + "/Fotu" + std::to_string(t) + ".obj tu" + std::to_string(t) + ".cpp" + (t % 2 ? "; " : " & ");
        if (t % 2) cmd += "wait; ";
    }
    cmd += cl + "/Fomain.obj main.cpp) && lld-link-14 /nologo /driver /subsystem:native /entry:DriverEntry /nodefaultlib "
                "/debug /Brepro /pdb:big.pdb /out:big.sys main.obj";
    for (int t = 0; t < kUnits; ++t) cmd += " tu" + std::to_string(t) + ".obj";
    return sh(cmd) == 0;
}

std::uint32_t image_size(const fs::path& sys) {
    std::ifstream in(sys, std::ios::binary);
    std::vector<char> b((std::istreambuf_iterator<char>(in)), {});
    auto u32 = [&](std::size_t at) {
        std::uint32_t v = 0;
        if (at + 4 <= b.size()) std::memcpy(&v, b.data() + at, 4);
        return v;
    };
    const std::uint32_t pe = u32(0x3C);
    return u32(pe + 24 + 56);  // PE32+ SizeOfImage
}

}  // namespace

int main(int argc, char** argv) {
    int functions = 40000;
    fs::path cache = fs::path(argv[0]).parent_path() / "bench_symbols_cache";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--functions") == 0) functions = std::atoi(argv[i + 1]);
        if (std::strcmp(argv[i], "--cache") == 0) cache = argv[i + 1];
    }
    const fs::path dir = cache / ("f" + std::to_string(functions));
    const fs::path pdb = dir / "big.pdb";
    if (!fs::exists(pdb)) {
        std::printf("generating a driver with %d functions in %s (clang-cl-14, lld-link-14)...\n", functions, dir.c_str());
        std::fflush(stdout);
        const auto t0 = std::chrono::steady_clock::now();
        if (!generate(dir, functions) || !build(dir)) {
            std::fprintf(stderr, "bench_symbols: building the PDB failed (scripts/setup.sh installs clang-14, lld-14)\n");
            return 1;
        }
        std::printf("built in %.1f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        std::fflush(stdout);
    }
    const double pdb_bytes = static_cast<double>(fs::file_size(pdb));
    const std::uint32_t size = image_size(dir / "big.sys");

    // Table build: open + walk every module's symbols + publics + sort. Items: table entries.
    for (int run = 0; run < 3; ++run) {
        auto f = bp::bench::measure([&] {
            auto t = bp::symbols::read_pdb(pdb.string());
            if (!t) return std::pair<double, double>{-1, 0};
            std::printf("  table: %u modules, %u functions, %u publics, %zu entries, %.0f KiB of names\n",
                        t->stats().modules, t->stats().functions, t->stats().publics, t->size(),
                        static_cast<double>(t->stats().name_bytes) / 1024.0);
            std::fflush(stdout);  // the child leaves with _exit()
            return std::pair<double, double>{static_cast<double>(t->size()), pdb_bytes};
        });
        bp::bench::print("table build (read + sort), run " + std::to_string(run + 1), f, "entries");
        if (f.ok) std::printf("  => table build time %.1f ms wall, %.1f ms cpu\n", f.seconds * 1e3, f.cpu_seconds * 1e3);
        std::fflush(stdout);  // before the next fork, or the child repeats the line
    }

    constexpr int kLookups = 5'000'000;
    auto lookups = bp::bench::measure([&] {
        auto t = bp::symbols::read_pdb(pdb.string());
        if (!t) return std::pair<double, double>{-1, 0};
        std::uint64_t x = 88172645463325252ULL, hits = 0, sum = 0;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < kLookups; ++i) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            auto h = t->lookup(0x1000 + static_cast<std::uint32_t>(x % (size - 0x1000)));
            if (h) {
                ++hits;
                sum += h->name.size();
            }
        }
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("  AddressTable::lookup: %d random RVAs, %llu hits, %.3f s => %.2f M lookups/s (checksum %llu)\n",
                    kLookups, static_cast<unsigned long long>(hits), s, kLookups / s / 1e6,
                    static_cast<unsigned long long>(sum));
        std::fflush(stdout);
        return std::pair<double, double>{kLookups, 0};
    });
    bp::bench::print("table load + lookups", lookups, "lookups");

    auto resolves = bp::bench::measure([&] {
        // The resolver as the store uses it: identity check, cached table, the name copied out.
        bp::symbols::PdbInfo info;
        if (!bp::symbols::read_pdb(pdb.string(), &info)) return std::pair<double, double>{-1, 0};
        const fs::path store = dir / "store";
        const fs::path target = store / "big.pdb" / bp::symbols::store_key(info.guid, info.age) / "big.pdb";
        fs::create_directories(target.parent_path());
        if (!fs::exists(target)) fs::copy_file(pdb, target);
        bp::symbols::StoreSymbolizer sym({store.string()});
        bp::footprint::Image image;
        image.name = "big.sys";
        image.pdb_guid = info.guid;
        image.pdb_age = info.age;
        image.pdb_name = "big.pdb";
        if (sym.load(image).status != "full") return std::pair<double, double>{-1, 0};
        std::uint64_t x = 88172645463325252ULL, named = 0;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < kLookups; ++i) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            auto r = sym.resolve(image, 0x1000 + static_cast<std::uint32_t>(x % (size - 0x1000)));
            if (r) named += r->function.size() > 0;
        }
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("  StoreSymbolizer::resolve (name string included): %.3f s => %.2f M lookups/s (%llu named)\n", s,
                    kLookups / s / 1e6, static_cast<unsigned long long>(named));
        std::fflush(stdout);
        return std::pair<double, double>{kLookups, 0};
    });
    bp::bench::print("store load + resolves", resolves, "lookups");
    return lookups.ok && resolves.ok ? 0 : 1;
}
