// Typed decoders for the kernel and KernelTraceControl events the product needs. Each decoder checks
// the payload length against the layout for the event's version and pointer size: a mismatch returns
// DecodeStatus::malformed (counted by callers), never a guessed value. Layouts and sources:
// docs/kernel-events.md of the shared notes (ntwmi.h via phnt, PerfView's KernelTraceEventParser,
// dissect.etl manifests).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bootprint/common/guid.hpp"
#include "bootprint/etl/record.hpp"

namespace bp::etl {

// Kernel hook ids (group << 8 | type) [NTWMI].
namespace hook {
inline constexpr std::uint16_t kHeader = 0x0000;
inline constexpr std::uint16_t kHeaderExtension = 0x0005;
inline constexpr std::uint16_t kRundownComplete = 0x0008;
inline constexpr std::uint16_t kGroupMasksEnd = 0x0020;
inline constexpr std::uint16_t kDbgIdRsds = 0x0040;
inline constexpr std::uint16_t kBuildLab = 0x0042;
inline constexpr std::uint16_t kPageInMemory = 0x0223;
inline constexpr std::uint16_t kVirtualAlloc = 0x0262;
inline constexpr std::uint16_t kVirtualFree = 0x0263;
inline constexpr std::uint16_t kMemInfo = 0x0270;
inline constexpr std::uint16_t kPageInMemoryActive = 0x0275;
inline constexpr std::uint16_t kKernelMemUsage = 0x027B;
inline constexpr std::uint16_t kMemInfoWs = 0x027D;
inline constexpr std::uint16_t kVirtualAllocRundown = 0x0280;
inline constexpr std::uint16_t kVirtualAllocRundownEnd = 0x0281;
inline constexpr std::uint16_t kInMemoryActiveRundown = 0x0285;
inline constexpr std::uint16_t kProcessStart = 0x0301;
inline constexpr std::uint16_t kProcessEnd = 0x0302;
inline constexpr std::uint16_t kProcessDcStart = 0x0303;
inline constexpr std::uint16_t kProcessDcEnd = 0x0304;
inline constexpr std::uint16_t kProcessDefunct = 0x0327;
inline constexpr std::uint16_t kImageLoad = 0x030A;  // logged in the PROCESS group
inline constexpr std::uint16_t kFileIoName = 0x0400;
inline constexpr std::uint16_t kFileIoFileCreate = 0x0420;
inline constexpr std::uint16_t kFileIoFileDelete = 0x0423;
inline constexpr std::uint16_t kFileIoRundown = 0x0424;
inline constexpr std::uint16_t kThreadStart = 0x0501;
inline constexpr std::uint16_t kThreadEnd = 0x0502;
inline constexpr std::uint16_t kThreadDcStart = 0x0503;
inline constexpr std::uint16_t kThreadDcEnd = 0x0504;
inline constexpr std::uint16_t kPoolAlloc = 0x0E20;
inline constexpr std::uint16_t kPoolAllocSession = 0x0E21;
inline constexpr std::uint16_t kPoolFree = 0x0E22;
inline constexpr std::uint16_t kPoolFreeSession = 0x0E23;
inline constexpr std::uint16_t kPoolSnapDcStart = 0x0E28;
inline constexpr std::uint16_t kPoolSnapDcEnd = 0x0E29;
inline constexpr std::uint16_t kBigPoolSnapDcStart = 0x0E2A;
inline constexpr std::uint16_t kBigPoolSnapDcEnd = 0x0E2B;
inline constexpr std::uint16_t kSessionPoolSnapDcStart = 0x0E2C;
inline constexpr std::uint16_t kSessionPoolSnapDcEnd = 0x0E2D;
inline constexpr std::uint16_t kSessionBigPoolSnapDcStart = 0x0E2E;
inline constexpr std::uint16_t kSessionBigPoolSnapDcEnd = 0x0E2F;
inline constexpr std::uint16_t kImageUnload = 0x1402;
inline constexpr std::uint16_t kImageDcStart = 0x1403;
inline constexpr std::uint16_t kImageDcEnd = 0x1404;
inline constexpr std::uint16_t kImageKernelBase = 0x1421;
inline constexpr std::uint16_t kStackWalk = 0x1820;
inline constexpr std::uint16_t kStackKeyDelete = 0x1823;
inline constexpr std::uint16_t kStackKeyRundown = 0x1824;
inline constexpr std::uint16_t kStackKeyKernel = 0x1825;
inline constexpr std::uint16_t kStackKeyUser = 0x1826;
}  // namespace hook

// KernelTraceControl's ImageID class GUID {b3e675d7-2554-4f18-830b-2762732560de} and its opcodes.
const Guid& image_id_guid();
inline constexpr std::uint8_t kImageIdOpcodeInfo = 0x00;
inline constexpr std::uint8_t kImageIdOpcodeDbgIdRsds = 0x24;

enum class DecodeStatus : std::uint8_t {
    ok,
    malformed,   // the payload does not have the layout's length for this version / pointer size
    not_this,    // the record is not of the decoder's kind (wrong hook or family)
};

// ---- header ----------------------------------------------------------------------------------------
struct HeaderExtension {  // 0x0005: PERFINFO_GROUPMASK (8 × u32) [+ Version]
    std::uint32_t masks[8] = {};
    // A WPR flag value v is enabled when masks[v >> 29] & (v & 0x1FFFFFFF) (kernel-events.md §0.2).
    bool enabled(std::uint32_t wpr_flag) const;
};
DecodeStatus decode(const EventRecord& e, HeaderExtension& out);

// ---- pool (0x0E20–0x0E23) --------------------------------------------------------------------------
inline constexpr std::uint32_t kPoolTypePaged = 0x1;
inline constexpr std::uint32_t kPoolTypeSession = 0x20;
inline constexpr std::uint32_t kPoolTypeNx = 0x200;
inline constexpr std::uint32_t kPoolTypeBigPool = 0x10000000;
inline constexpr std::uint32_t kNoSession = 0xFFFFFFFF;

struct PoolEvent {
    bool is_alloc = false;
    bool is_session = false;     // 0x0E21/0x0E23: SessionId present
    std::uint32_t pool_type = 0; // logged PoolType (flags kept by the kernel, + BigPool bit)
    std::uint32_t tag = 0;       // four ASCII bytes, little-endian
    std::uint64_t size = 0;      // NumberOfBytes
    std::uint64_t address = 0;   // Entry
    std::uint32_t session_id = kNoSession;
};
DecodeStatus decode(const EventRecord& e, PoolEvent& out);

// Pool snapshots (0x0E28/29: SYSTEM_POOLTAG entries; 0x0E2A/2B: SYSTEM_BIGPOOL_ENTRY entries).
struct PoolSnapEntry {
    std::uint32_t tag = 0;
    std::uint32_t paged_allocs = 0, paged_frees = 0;
    std::uint64_t paged_used = 0;
    std::uint32_t nonpaged_allocs = 0, nonpaged_frees = 0;
    std::uint64_t nonpaged_used = 0;
};
struct PoolSnap {
    bool is_end = false;  // DC_END (at trace stop) vs DC_START
    std::uint32_t session_id = kNoSession;
    std::vector<PoolSnapEntry> entries;
};
DecodeStatus decode(const EventRecord& e, PoolSnap& out);

struct BigPoolSnapEntry {
    std::uint64_t address = 0;  // bit 0 cleared
    bool nonpaged = false;      // bit 0 of VirtualAddress
    std::uint64_t size = 0;
    std::uint32_t tag = 0;
};
struct BigPoolSnap {
    bool is_end = false;
    std::uint32_t session_id = kNoSession;
    std::vector<BigPoolSnapEntry> entries;
};
DecodeStatus decode(const EventRecord& e, BigPoolSnap& out);

// Pool tag as WPA prints it: four bytes in memory order, the 0x80000000 "protected" bit masked,
// trailing NULs dropped, other non-printable bytes shown as '?'.
std::string pool_tag_string(std::uint32_t tag);
// "Paged"/"NonPaged" etc. follow WPA's bit rules (kernel-events.md §1.4).
bool pool_is_paged(std::uint32_t pool_type);
bool pool_is_big(std::uint32_t pool_type);
bool pool_is_session(std::uint32_t pool_type);
bool pool_is_nx(std::uint32_t pool_type);  // paged pool counts as non-executable
std::string pool_type_name(std::uint32_t pool_type);

// ---- stacks (0x1820, 0x1823–0x1826) -----------------------------------------------------------------
struct StackWalk {  // 0x1820
    std::int64_t event_timestamp = 0;
    std::uint32_t process_id = 0;
    std::uint32_t thread_id = 0;
    std::vector<std::uint64_t> frames;  // frame 0 = innermost
};
DecodeStatus decode(const EventRecord& e, StackWalk& out);

struct StackKeyReference {  // 0x1825 kernel / 0x1826 user
    bool user = false;
    std::int64_t event_timestamp = 0;
    std::uint32_t process_id = 0;
    std::uint32_t thread_id = 0;
    std::uint64_t key = 0;
};
DecodeStatus decode(const EventRecord& e, StackKeyReference& out);

struct StackKeyDefinition {  // 0x1823 delete / 0x1824 rundown
    std::uint64_t key = 0;
    std::vector<std::uint64_t> frames;
};
DecodeStatus decode(const EventRecord& e, StackKeyDefinition& out);

// ---- images (0x030A load, 0x1402 unload, 0x1403/0x1404 rundown) -----------------------------------
struct ImageEvent {
    enum class Kind : std::uint8_t { load, unload, dc_start, dc_end } kind = Kind::load;
    std::uint64_t image_base = 0;
    std::uint64_t image_size = 0;
    std::uint32_t process_id = 0;
    std::uint32_t checksum = 0;
    std::uint32_t time_date_stamp = 0;
    std::uint64_t default_base = 0;
    std::string file_name;  // NT path, UTF-8
};
DecodeStatus decode(const EventRecord& e, ImageEvent& out);

// KernelTraceControl ImageID/Info (opcode 0) and DbgID_RSDS (opcode 0x24), classic events.
struct ImageIdInfo {
    std::uint64_t image_base = 0;
    std::uint64_t image_size = 0;
    std::uint32_t process_id = 0;
    std::uint32_t time_date_stamp = 0;
    std::string original_file_name;
};
DecodeStatus decode(const EventRecord& e, ImageIdInfo& out);

struct DbgIdRsds {
    std::uint64_t image_base = 0;
    std::uint32_t process_id = 0;
    Guid pdb_guid;
    std::uint32_t age = 0;
    std::string pdb_file_name;
};
DecodeStatus decode(const EventRecord& e, DbgIdRsds& out);

// ---- processes and threads -------------------------------------------------------------------------
struct ProcessEvent {
    enum class Kind : std::uint8_t { start, end, dc_start, dc_end, defunct } kind = Kind::start;
    std::uint64_t unique_process_key = 0;
    std::uint32_t process_id = 0;
    std::uint32_t parent_id = 0;
    std::uint32_t session_id = 0;
    std::int32_t exit_status = 0;
    std::uint64_t directory_table_base = 0;
    std::string image_file_name;  // ANSI as logged
    std::string command_line;     // UTF-8
};
DecodeStatus decode(const EventRecord& e, ProcessEvent& out);

struct ThreadEvent {
    enum class Kind : std::uint8_t { start, end, dc_start, dc_end } kind = Kind::start;
    std::uint32_t process_id = 0;
    std::uint32_t thread_id = 0;
    std::uint64_t stack_base = 0, stack_limit = 0;
    std::uint64_t user_stack_base = 0, user_stack_limit = 0;
    std::uint64_t affinity = 0;  // v3: the thread's affinity mask (PerfView ThreadTraceData)
    std::uint64_t win32_start_address = 0;
};
DecodeStatus decode(const EventRecord& e, ThreadEvent& out);

// ---- files (FileIo name 0x0400/0x0420/0x0423, rundown 0x0424) ---------------------------------------
struct FileNameEvent {
    std::uint64_t file_object = 0;
    std::string file_name;
    bool rundown = false;
};
DecodeStatus decode(const EventRecord& e, FileNameEvent& out);

// ---- memory --------------------------------------------------------------------------------------
// 0x0223 PageInMemory, 0x0275 PageInMemoryActive, 0x0285 InMemoryActiveRundown: MMPFN_IDENTITY.
struct PageEvent {
    std::uint64_t u1 = 0;
    std::uint64_t page_frame = 0;
    std::uint64_t u2 = 0;  // VA, FileObject or prototype PTE depending on use
    unsigned use() const { return static_cast<unsigned>(u1 & 0xF); }          // MMPFNUSE
    unsigned list() const { return static_cast<unsigned>((u1 >> 4) & 0x7); }  // MMPFNLIST
    bool pinned() const { return (u1 >> 8) & 1; }
    std::uint64_t key() const { return (u1 >> 9) & ((1ULL << 48) - 1); }  // PID / file offset / key
    unsigned priority() const { return static_cast<unsigned>((u1 >> 57) & 0x7); }
};
DecodeStatus decode(const EventRecord& e, PageEvent& out);
const char* page_use_name(unsigned use);
const char* page_list_name(unsigned list);

struct MemInfo {  // 0x0270: 22 + 4 SIZE_T counters (pages)
    std::uint64_t zero = 0, free = 0, modified = 0, modified_no_write = 0, bad = 0;
    std::uint64_t standby_by_priority[8] = {};
    std::uint64_t repurposed_by_priority[8] = {};
    std::uint64_t modified_page_file = 0;
    std::uint64_t paged_pool_commit = 0, nonpaged_pool = 0, mdl = 0, commit = 0;
};
DecodeStatus decode(const EventRecord& e, MemInfo& out);

struct MemInfoWsEntry {
    std::uint32_t id = 0;  // process id (or session id for 0x027E)
    std::uint64_t working_set = 0, commit = 0, paged_pool_or_virtual = 0, private_working_set = 0;
    std::uint64_t store_size = 0, stored_pages = 0, commit_debt = 0, shared_commit = 0;
};
struct MemInfoWs {  // 0x027D
    std::vector<MemInfoWsEntry> entries;
};
DecodeStatus decode(const EventRecord& e, MemInfoWs& out);

struct VirtualAllocEvent {  // 0x0262/0x0263/0x0280/0x0281
    std::uint64_t base = 0;
    std::uint64_t size = 0;
    std::uint32_t process_id = 0;
    std::uint32_t flags = 0;
    bool free = false;
    bool rundown = false;
};
DecodeStatus decode(const EventRecord& e, VirtualAllocEvent& out);

// ---- presentation ----------------------------------------------------------------------------------
// Human name of an event key ("PoolAlloc", "ImageLoad", "StackWalk", ...), empty when unknown.
std::string describe_event_key(const std::string& key);
// The typed decode of a record as JSON fields, for `etl dump`; {"malformed": true} on a length
// mismatch, an empty object for events without a typed decoder.
nlohmann::ordered_json decode_fields(const EventRecord& e);

}  // namespace bp::etl
