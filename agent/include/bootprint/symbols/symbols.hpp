// Kernel return addresses → "driver.sys!Function+0xOFF" from PDBs on Linux, without Windows.
//
// A PDB is read once with LLVM 14's native PDB reader (low-level streams: DBI module symbol streams for
// S_GPROC32/S_LPROC32 with sizes, the publics for S_PUB32) into one sorted AddressTable; a lookup is a
// binary search. PDBs are found in local symbol stores in Microsoft's layout
// (STORE/name.pdb/GUIDAGE/name.pdb) and verified against the trace's DbgID_RSDS identity (GUID bytes
// and DBI age). A missing, mismatched or damaged PDB is a status, never an error: the frame stays
// module+offset. LLVM is linked into this library only and appears in no header.
//
//   BP_TRY(auto dirs, bp::symbols::parse_symbol_path("srv*/srv/symbols;/home/me/pdbs"));
//   bp::symbols::StoreSymbolizer sym(dirs);
//   footprint::ImageSymbolStatus st = sym.load(image);        // finds and reads image's PDB once
//   auto fn = sym.resolve(image, rva);                          // "ACPIInitStartACPI", start RVA
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bootprint/common/guid.hpp"
#include "bootprint/common/result.hpp"
#include "bootprint/footprint/frame_symbolizer.hpp"

namespace bp::symbols {

// ---- symbol path -------------------------------------------------------------------------------------
// The local directories of a symbol path: "DIR;srv*DIR;srv*DIR*https://server;cache*DIR" (the
// _NT_SYMBOL_PATH forms; server URLs are ignored: this tool never downloads). Empty elements are
// skipped; an element naming only a URL is invalid_argument.
Result<std::vector<std::string>> parse_symbol_path(std::string_view text);
// BOOTPRINT_SYMBOL_PATH, else _NT_SYMBOL_PATH, else "" (no symbols).
std::string symbol_path_from_environment();

// ---- identity and store layout -------------------------------------------------------------------
struct PdbIdentity {
    Guid guid;              // raw GUID bytes as in RSDS / the PDB info stream
    std::uint32_t age = 0;  // DBI age (the store key's age)
    std::string name;       // the PDB file name, without directories ("ntkrnlmp.pdb")
};
// "815807F7ECD2C2D94C4C44205044422E1": Data1..Data4 in hex (upper case), then the age in hex.
std::string store_key(const Guid& guid, std::uint32_t age);
// The file name of a logged PDB path: after the last '\' or '/'.
std::string pdb_base_name(std::string_view logged_path);
// Candidate paths in one store directory, in the order tried: DIR/name/KEY/name, the same with the
// name in lower case, then DIR/name (a flat folder of PDBs).
std::vector<std::string> store_candidates(const std::string& dir, const PdbIdentity& id);

// ---- the address table ---------------------------------------------------------------------------
enum class SymbolKind : std::uint8_t { function, public_symbol };

struct TableStats {
    std::uint32_t modules = 0;     // DBI modules walked
    std::uint32_t functions = 0;   // S_*PROC32 records kept
    std::uint32_t publics = 0;     // S_PUB32 records kept (not shadowed by a function at the same RVA)
    std::uint64_t name_bytes = 0;
};

// One PDB's code symbols sorted by RVA. Immutable once built: safe to share between threads.
class AddressTable {
public:
    struct Hit {
        std::string_view name;
        std::uint32_t start = 0;
        SymbolKind kind = SymbolKind::function;
        bool past_end = false;  // a function whose recorded size ends before the RVA
    };
    // The symbol at or before `rva` in the same section; nullopt outside every section or before the
    // section's first symbol.
    std::optional<Hit> lookup(std::uint32_t rva) const;

    // Building (used by the reader; also by tests): sections first, then symbols, then seal().
    void add_section(std::uint32_t rva, std::uint32_t size);
    void add(std::uint32_t rva, std::uint32_t size, SymbolKind kind, std::string_view name);
    void seal();  // sorts, drops publics shadowed by a function at the same RVA

    std::size_t size() const { return entries_.size(); }
    const TableStats& stats() const { return stats_; }
    TableStats& stats() { return stats_; }
    bool public_only() const { return stats_.functions == 0; }

private:
    struct Entry {
        std::uint32_t rva = 0;
        std::uint32_t size = 0;
        std::uint32_t name_offset = 0;
        std::uint32_t name_length = 0;
        std::uint32_t section = 0;
        SymbolKind kind = SymbolKind::function;
    };
    std::uint32_t section_of(std::uint32_t rva) const;  // 1-based, 0: none
    std::vector<Entry> entries_;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> sections_;  // (rva, size), sorted by seal()
    std::string names_;
    TableStats stats_;
};

struct PdbInfo {
    Guid guid;                  // from the PDB info stream
    std::uint32_t age = 0;      // the DBI stream's age (what the store key uses)
};

// Reads a PDB (a file, or bytes in memory named `name` for messages) into a table. A damaged PDB is
// Errc::corrupt naming the file and LLVM's reason; never a crash.
Result<AddressTable> read_pdb(const std::string& path, PdbInfo* info = nullptr);
Result<AddressTable> read_pdb_bytes(std::span<const std::byte> bytes, const std::string& name,
                                    PdbInfo* info = nullptr);

// A public symbol's MSVC decoration undone ("?Spin@Widget@pdbtest@@QEBAHH@Z" →
// "pdbtest::Widget::Spin(int) const"); names that are not decorated come back unchanged.
std::string undecorate(std::string_view name);

// ---- the resolver over symbol stores -------------------------------------------------------------
// Not thread-safe (it caches); one per thread or per ingest. The tables it holds are immutable.
class StoreSymbolizer final : public footprint::FrameSymbolizer {
public:
    explicit StoreSymbolizer(std::vector<std::string> store_dirs);
    footprint::ImageSymbolStatus load(const footprint::Image& image) override;
    std::optional<footprint::ResolvedSymbol> resolve(const footprint::Image& image, std::uint32_t rva) override;

    // Tables stay cached per PDB identity: the same driver in many traces is read once.
    std::size_t cached_tables() const { return tables_.size(); }

private:
    struct Loaded {
        footprint::ImageSymbolStatus status;
        std::shared_ptr<const AddressTable> table;  // null unless status is full/public-only
    };
    const Loaded& load_identity(const PdbIdentity& id);
    const Loaded& loaded_for(const footprint::Image& image);
    std::vector<std::string> dirs_;
    std::map<std::string, Loaded> tables_;  // by name + store key
    // The last image's identity and its entry: consecutive frames are mostly in the same image.
    Guid last_guid_;
    std::uint32_t last_age_ = 0;
    std::string last_name_;
    const Loaded* last_ = nullptr;
};

}  // namespace bp::symbols
