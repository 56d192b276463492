// Fuzz target: the PDB reader (LLVM 14's native MSF/DBI/symbol streams + our bounds checks) on arbitrary
// bytes. A damaged PDB must come back as Errc::corrupt or as a table that is safe to query; never a
// crash, a hang or an out-of-bounds read. Seeds: tests/fuzz/corpus/pdb (the test driver's full and
// public-only PDBs, as tests/support/pdb_fixture.cpp builds them).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "bootprint/symbols/symbols.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    bp::symbols::PdbInfo info;
    auto table = bp::symbols::read_pdb_bytes(bytes, "fuzz.pdb", &info);
    if (!table) {
        if (table.error().code != bp::Errc::corrupt) std::abort();  // memory input: only "corrupt" is possible
        return 0;
    }
    // Query across the whole RVA range the table could cover.
    std::uint32_t rva = 0;
    for (int i = 0; i < 64; ++i) {
        auto hit = table->lookup(rva);
        if (hit && (hit->start > rva || hit->name.size() > table->stats().name_bytes)) std::abort();
        rva = rva * 3 + 0x1F3;
    }
    for (std::uint32_t r = 0x1000; r < 0x1400; r += 7) (void)table->lookup(r);
    return 0;
}
