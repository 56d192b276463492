// The seam between the store (which knows images and stacks) and a symbol resolver (which knows
// PDBs): the store maps a return address to an image and an RVA, the resolver names the function.
// bootprint::symbols implements it over a local symbol store with LLVM's PDB reader; nothing else
// needs to link LLVM. An implementation without symbols (`NoSymbols`) gives module+offset frames.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bootprint/footprint/model.hpp"

namespace bp::footprint {

// What became of one image's symbols (images_symbols.status in the store).
struct ImageSymbolStatus {
    std::string status;    // "full", "public-only", "no-identity", "not-found", "mismatch", "corrupt", "none"
    std::string pdb_path;  // the PDB used or the last candidate looked at ("" when none)
    std::string detail;    // why a PDB was not used (the reader's message), "" when it was
};

// A function found for an RVA.
struct ResolvedSymbol {
    std::string function;       // undecorated ("Drv::Widget::Spin", "DriverEntry")
    std::uint32_t start = 0;    // the function's RVA
    bool approximate = false;   // from a public symbol: statics are missing, so maybe a neighbour
    bool past_end = false;      // beyond the function's recorded size (padding or a trailing call)
};

class FrameSymbolizer {
public:
    virtual ~FrameSymbolizer() = default;
    // Called once per image before any resolve() for it: finds and opens its PDB.
    virtual ImageSymbolStatus load(const Image& image) = 0;
    // The function containing `rva` of `image` (load() was called), nullopt when none is known.
    virtual std::optional<ResolvedSymbol> resolve(const Image& image, std::uint32_t rva) = 0;
};

// No symbols at all: every frame stays module+offset.
class NoSymbols final : public FrameSymbolizer {
public:
    ImageSymbolStatus load(const Image&) override { return {"none", "", "no symbol path given"}; }
    std::optional<ResolvedSymbol> resolve(const Image&, std::uint32_t) override { return std::nullopt; }
};

}  // namespace bp::footprint
