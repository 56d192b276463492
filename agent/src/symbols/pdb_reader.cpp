// PDB → AddressTable with LLVM 14's native reader, low-level streams only (symbols-on-linux.md §2b):
// IPDBSession::findSymbolByRVA re-reads a module's symbols on each lookup and crashed on damaged files
// (no bounds check on section indices), so this walks the streams once and checks every index itself.
// The only translation unit that includes LLVM.
#include <cstring>
#include <memory>

#include "bootprint/symbols/symbols.hpp"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
#include <llvm/DebugInfo/CodeView/CVRecord.h>
#include <llvm/DebugInfo/CodeView/SymbolDeserializer.h>
#include <llvm/DebugInfo/CodeView/SymbolRecord.h>
#include <llvm/DebugInfo/MSF/MappedBlockStream.h>
#include <llvm/DebugInfo/PDB/Native/DbiModuleDescriptor.h>
#include <llvm/DebugInfo/PDB/Native/DbiModuleList.h>
#include <llvm/DebugInfo/PDB/Native/DbiStream.h>
#include <llvm/DebugInfo/PDB/Native/InfoStream.h>
#include <llvm/DebugInfo/PDB/Native/ModuleDebugStream.h>
#include <llvm/DebugInfo/PDB/Native/PDBFile.h>
#include <llvm/Support/BinaryStreamReader.h>
#include <llvm/DebugInfo/PDB/Native/RawConstants.h>
#include <llvm/DebugInfo/PDB/Native/SymbolStream.h>
#include <llvm/Demangle/Demangle.h>
#include <llvm/Object/COFF.h>
#include <llvm/Support/Allocator.h>
#include <llvm/Support/BinaryByteStream.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBuffer.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace bp::symbols {

namespace {

namespace cv = llvm::codeview;
namespace pdb = llvm::pdb;

constexpr std::uint32_t kExecute = 0x20000000;  // IMAGE_SCN_MEM_EXECUTE
constexpr std::uint32_t kCode = 0x00000020;     // IMAGE_SCN_CNT_CODE

std::string message_of(llvm::Error e) {
    std::string text = llvm::toString(std::move(e));
    return text.empty() ? "unknown reader error" : text;
}

Error corrupt(const std::string& name, const std::string& what) { return Error{Errc::corrupt, what, name}; }

class Reader {
public:
    Reader(const std::string& name, std::unique_ptr<llvm::BinaryStream> stream)
        : name_(name), file_(name, std::move(stream), allocator_) {}

    Result<AddressTable> run(PdbInfo* info) {
        if (auto e = file_.parseFileHeaders()) return corrupt(name_, "not a PDB (MSF): " + message_of(std::move(e)));
        if (auto e = file_.parseStreamData()) return corrupt(name_, "bad stream directory: " + message_of(std::move(e)));
        // LLVM 14 sizes the info stream's named-stream hash table from its Capacity field before
        // reading it (HashTable::load: Buckets.resize(Capacity)): a damaged field asks for up to 32 GiB.
        // Check it here first (found by fuzz_pdb, tests/fuzz/regressions/pdb-crash-ed8556f5).
        if (auto st = check_info_stream(); !st) return std::move(st).error();
        if (auto st = require_stream(pdb::StreamDBI, "DBI stream"); !st) return std::move(st).error();
        auto pinfo = file_.getPDBInfoStream();
        if (!pinfo) return corrupt(name_, "PDB info stream: " + message_of(pinfo.takeError()));
        auto dbi = file_.getPDBDbiStream();
        if (!dbi) return corrupt(name_, "DBI stream: " + message_of(dbi.takeError()));
        if (info) {
            const cv::GUID g = pinfo->getGuid();  // by value (a temporary's .Guid would dangle)
            static_assert(sizeof g.Guid == 16);
            std::memcpy(info->guid.bytes.data(), g.Guid, 16);
            info->age = dbi->getAge();
        }

        // Sections: RVA = VirtualAddress of section (Segment - 1) + offset.
        // The headers are copied out of their stream with a checked read: iterating LLVM's
        // FixedStreamArray over a stream whose blocks cannot be read binds a reference to null
        // (fuzz crash pdb-crash-074ea7c5, UBSan in BinaryStreamArray.h).
        const llvm::BinaryStreamRef header_stream = dbi->getSectionHeaders().getUnderlyingStream();
        llvm::ArrayRef<std::uint8_t> header_bytes;
        if (header_stream.getLength() > 0) {
            if (auto e = header_stream.readBytes(0, header_stream.getLength(), header_bytes)) {
                return corrupt(name_, "section headers: " + message_of(std::move(e)));
            }
        }
        for (std::size_t off = 0; off + sizeof(llvm::object::coff_section) <= header_bytes.size();
             off += sizeof(llvm::object::coff_section)) {
            llvm::object::coff_section s;
            std::memcpy(&s, header_bytes.data() + off, sizeof s);
            sections_.push_back({static_cast<std::uint32_t>(s.VirtualAddress), static_cast<std::uint32_t>(s.VirtualSize),
                                 (s.Characteristics & (kExecute | kCode)) != 0});
            if (sections_.back().code) table_.add_section(sections_.back().rva, std::max<std::uint32_t>(sections_.back().size, 1));
        }
        if (sections_.empty()) return corrupt(name_, "the DBI stream has no section headers");

        const pdb::DbiModuleList& modules = dbi->modules();
        const std::uint32_t count = modules.getModuleCount();
        for (std::uint32_t i = 0; i < count; ++i) {
            const pdb::DbiModuleDescriptor m = modules.getModuleDescriptor(i);
            const std::uint16_t si = m.getModuleStreamIndex();
            if (si == pdb::kInvalidStreamIndex) continue;  // a module without symbols (e.g. public-only)
            if (auto st = require_stream(si, "module " + std::to_string(i) + " stream"); !st) return std::move(st).error();
            auto stream = file_.safelyCreateIndexedStream(si);
            if (!stream) return corrupt(name_, "module " + std::to_string(i) + ": " + message_of(stream.takeError()));
            pdb::ModuleDebugStreamRef mds(m, std::move(*stream));
            if (auto e = mds.reload()) return corrupt(name_, "module " + std::to_string(i) + ": " + message_of(std::move(e)));
            ++table_.stats().modules;
            bool had_error = false;
            for (const cv::CVSymbol& sym : mds.symbols(&had_error)) {
                switch (sym.kind()) {
                    case cv::S_GPROC32:
                    case cv::S_LPROC32:
                    case cv::S_GPROC32_ID:
                    case cv::S_LPROC32_ID: {
                        auto proc = cv::SymbolDeserializer::deserializeAs<cv::ProcSym>(sym);
                        if (!proc) {
                            llvm::consumeError(proc.takeError());
                            return corrupt(name_, "module " + std::to_string(i) + ": a damaged procedure record");
                        }
                        add(proc->Segment, proc->CodeOffset, proc->CodeSize, SymbolKind::function, proc->Name);
                        break;
                    }
                    default: break;
                }
            }
            if (had_error) return corrupt(name_, "module " + std::to_string(i) + ": damaged symbol records");
        }

        // Publics: every S_PUB32 of the global symbol record stream.
        if (file_.hasPDBSymbolStream()) {
            if (auto st = require_stream(dbi->getSymRecordStreamIndex(), "symbol record stream"); !st) {
                return std::move(st).error();
            }
            auto symbols = file_.getPDBSymbolStream();
            if (!symbols) return corrupt(name_, "symbol record stream: " + message_of(symbols.takeError()));
            bool had_error = false;
            for (const cv::CVSymbol& sym : symbols->getSymbols(&had_error)) {
                if (sym.kind() != cv::S_PUB32) continue;
                auto pub = cv::SymbolDeserializer::deserializeAs<cv::PublicSym32>(sym);
                if (!pub) {
                    llvm::consumeError(pub.takeError());
                    return corrupt(name_, "a damaged public symbol record");
                }
                add(pub->Segment, pub->Offset, 0, SymbolKind::public_symbol, pub->Name);
            }
            if (had_error) return corrupt(name_, "damaged global symbol records");
        }
        table_.seal();
        return std::move(table_);
    }

private:
    // A stream this reader opens must exist and not be a nil stream (size 0xFFFFFFFF: deleted). LLVM 14
    // gives a nil stream no blocks but that size as its length, and its first read dereferences the
    // empty block list (fuzz crash pdb-crash-3171d42c, a directory of nil streams).
    Status require_stream(std::uint32_t index, const std::string& what) {
        if (index >= file_.getNumStreams()) {
            return corrupt(name_, what + ": stream " + std::to_string(index) + " of " +
                                      std::to_string(file_.getNumStreams()) + " does not exist");
        }
        if (file_.getStreamByteSize(index) == UINT32_MAX) {
            return corrupt(name_, what + ": stream " + std::to_string(index) + " is a nil (deleted) stream");
        }
        return {};
    }

    // The PDB info stream: Version, Signature, Age, GUID (28 bytes), the named-stream map's string
    // buffer (size + bytes), then its hash table header (Size, Capacity). Real PDBs name a handful of
    // streams; a capacity beyond 65,536 buckets, or smaller than its size, is damage.
    Status check_info_stream() {
        if (auto st = require_stream(pdb::StreamPDB, "PDB info stream"); !st) return st;
        auto stream = file_.safelyCreateIndexedStream(1);
        if (!stream) return corrupt(name_, "PDB info stream: " + message_of(stream.takeError()));
        llvm::BinaryStreamReader reader(**stream);
        std::uint32_t strings = 0, size = 0, capacity = 0;
        if (auto e = reader.skip(28)) return corrupt(name_, "PDB info stream header: " + message_of(std::move(e)));
        if (auto e = reader.readInteger(strings)) return corrupt(name_, "PDB info stream: " + message_of(std::move(e)));
        if (auto e = reader.skip(strings)) return corrupt(name_, "PDB info stream names: " + message_of(std::move(e)));
        if (auto e = reader.readInteger(size)) return corrupt(name_, "PDB info stream: " + message_of(std::move(e)));
        if (auto e = reader.readInteger(capacity)) return corrupt(name_, "PDB info stream: " + message_of(std::move(e)));
        if (capacity == 0 || capacity > 65536 || size > capacity) {
            return corrupt(name_, "PDB info stream: named stream map of " + std::to_string(size) + " entries in " +
                                      std::to_string(capacity) + " buckets is implausible");
        }
        return {};
    }

    struct Section {
        std::uint32_t rva = 0;
        std::uint32_t size = 0;
        bool code = false;
    };

    void add(std::uint16_t segment, std::uint32_t offset, std::uint32_t size, SymbolKind kind, llvm::StringRef name) {
        if (segment == 0 || segment > sections_.size()) return;  // absolute or damaged: not code
        const Section& s = sections_[segment - 1u];
        if (!s.code) return;
        const std::uint64_t rva = std::uint64_t{s.rva} + offset;
        if (rva > 0xFFFFFFFFu) return;
        if (kind == SymbolKind::public_symbol) {
            table_.add(static_cast<std::uint32_t>(rva), 0, kind, undecorate(std::string_view(name.data(), name.size())));
        } else {
            table_.add(static_cast<std::uint32_t>(rva), size, kind, std::string_view(name.data(), name.size()));
        }
    }

    std::string name_;
    llvm::BumpPtrAllocator allocator_;  // before file_: PDBFile keeps a reference
    pdb::PDBFile file_;
    std::vector<Section> sections_;
    AddressTable table_;
};

}  // namespace

std::string undecorate(std::string_view name) {
    if (name.empty() || name.front() != '?') return std::string(name);
    const std::string mangled(name);
    int status = 0;
    const auto flags = static_cast<llvm::MSDemangleFlags>(llvm::MSDF_NoCallingConvention | llvm::MSDF_NoAccessSpecifier |
                                                         llvm::MSDF_NoReturnType | llvm::MSDF_NoMemberType);
    char* out = llvm::microsoftDemangle(mangled.c_str(), nullptr, nullptr, nullptr, &status, flags);
    if (!out || status != 0) {
        std::free(out);
        return mangled;
    }
    std::string text(out);
    std::free(out);
    return text;
}

Result<AddressTable> read_pdb_bytes(std::span<const std::byte> bytes, const std::string& name, PdbInfo* info) {
    llvm::ArrayRef<std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    auto stream = std::make_unique<llvm::BinaryByteStream>(data, llvm::support::little);
    Reader reader(name, std::move(stream));
    return reader.run(info);
}

Result<AddressTable> read_pdb(const std::string& path, PdbInfo* info) {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
    if (!buffer) return Error{Errc::io, "cannot read PDB: " + buffer.getError().message(), path};
    auto stream = std::make_unique<llvm::MemoryBufferByteStream>(std::move(*buffer), llvm::support::little);
    Reader reader(path, std::move(stream));
    return reader.run(info);
}

}  // namespace bp::symbols
