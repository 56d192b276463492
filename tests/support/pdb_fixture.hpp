// Real PDBs for the symbol tests, built by the tests themselves: tests/data/symbols/ (a small
// kernel-style driver: static, C++, template and anonymous-namespace functions) compiled with
// clang-cl-14 and linked with lld-link-14 /driver, with reproducible flags (/Brepro,
// -ffile-compilation-dir). The linker's map file is the ground truth for function addresses: it comes
// from the linker, not from the PDB reader under test. The PE's RSDS record gives the PDB identity.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace bp::test {

struct MapSymbol {
    std::string name;  // as the map prints it (MSVC-decorated for C++)
    std::uint32_t rva = 0;
    bool is_static = false;  // from the map's "Static symbols" part
};

struct BuiltDriver {
    std::string error;   // non-empty when the build failed (the tool's output)
    std::string sys;     // the image
    std::string pdb;     // its PDB
    std::uint8_t guid[16] = {};  // from the image's RSDS record, raw bytes
    std::uint32_t age = 0;
    std::string pdb_path_in_image;  // RSDS PdbFileName
    std::uint64_t image_base = 0;   // preferred
    std::uint32_t image_size = 0;   // SizeOfImage
    std::vector<MapSymbol> code;    // .text symbols by RVA (publics and statics)
    std::string guid_text() const;  // "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}"
    const MapSymbol* find(const std::string& name) const;
};

// The toolchain the fixtures need (Debian: clang-14, lld-14, llvm-14); "" when every tool is there.
std::string missing_pdb_tools();

// Builds the test driver in `dir` (created). `public_only`: compiled without /Z7, linked with /debug,
// which gives a PDB with S_PUB32 records only (what Microsoft's public symbols look like).
BuiltDriver build_test_driver(const std::filesystem::path& dir, bool public_only);

// Copies the PDB into `store` in Microsoft's layout: STORE/name.pdb/GUIDAGE/name.pdb; returns the path.
std::string add_to_store(const BuiltDriver& d, const std::filesystem::path& store);

}  // namespace bp::test
