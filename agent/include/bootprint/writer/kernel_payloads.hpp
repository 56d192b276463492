// Payload encoders mirroring the typed decoders of bootprint/etl/event_decoders.hpp: for every struct
// there, encode_*(x, pointer_size) builds the payload that decode() turns back into x (for pointer
// size 4, pointer-sized fields are truncated to 32 bits). The hook and event version to put in the
// record header come from the *_hook() helpers and the k*Version constants below.
//
//   bp::etl::PoolEvent alloc;
//   alloc.is_alloc = true;
//   alloc.pool_type = 1;          // paged
//   alloc.tag = 0x20707249;       // 'Irp '
//   alloc.size = 0x200;
//   alloc.address = 0xFFFF'A000'0000'1000;
//   bp::writer::KernelRecord r;
//   r.kind = bp::etl::HeaderKind::perfinfo64;
//   r.hook_id = bp::writer::pool_hook(alloc);
//   r.version = bp::writer::kPoolVersion;
//   r.payload = bp::writer::encode_pool_event(alloc, 8);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bootprint/etl/event_decoders.hpp"
#include "bootprint/etl/format.hpp"

namespace bp::writer {

// Event versions that current Windows logs and the decoders accept.
inline constexpr std::uint8_t kHeaderVersion = 2;
inline constexpr std::uint8_t kPoolVersion = 2;
inline constexpr std::uint8_t kStackWalkVersion = 2;
inline constexpr std::uint8_t kImageVersion = 3;
inline constexpr std::uint8_t kProcessVersion = 4;
inline constexpr std::uint8_t kThreadVersion = 3;
inline constexpr std::uint8_t kFileIoVersion = 2;
inline constexpr std::uint8_t kMemoryVersion = 2;

// ---- the logfile header (payload of the hook 0x0000 event) -----------------------------------------
// TRACE_LOGFILE_HEADER (0x110 / 0x118 bytes) + LoggerName + LogFileName as UTF-16z. Fields that
// LogfileHeader does not model (TimeZone names and dates, the LoggerName/LogFileName pointers) are 0;
// `start_timestamp` and `header_pointer_size` belong to the record header, not the payload.
std::vector<std::byte> encode_logfile_header(const etl::LogfileHeader& h, unsigned pointer_size);

// ---- header group ----------------------------------------------------------------------------------
// ETW_KERNEL_HEADER_EXTENSION: PERFINFO_GROUPMASK (8 × u32) + Version u32.
std::vector<std::byte> encode_header_extension(const etl::HeaderExtension& x, unsigned pointer_size,
                                               std::uint32_t version = 2);

// ---- pool ------------------------------------------------------------------------------------------
std::uint16_t pool_hook(const etl::PoolEvent& e);  // 0x0E20–0x0E23 from is_alloc / is_session
std::vector<std::byte> encode_pool_event(const etl::PoolEvent& e, unsigned pointer_size);
// Session variants (0x0E2C/2D, 0x0E2E/2F) when session_id != etl::kNoSession.
std::uint16_t pool_snap_hook(const etl::PoolSnap& s);
std::vector<std::byte> encode_pool_snap(const etl::PoolSnap& s, unsigned pointer_size);
std::uint16_t big_pool_snap_hook(const etl::BigPoolSnap& s);
std::vector<std::byte> encode_big_pool_snap(const etl::BigPoolSnap& s, unsigned pointer_size);

// ---- stacks ----------------------------------------------------------------------------------------
std::vector<std::byte> encode_stack_walk(const etl::StackWalk& s, unsigned pointer_size);  // 0x1820
std::uint16_t stack_key_reference_hook(const etl::StackKeyReference& s);                   // 0x1825/26
std::vector<std::byte> encode_stack_key_reference(const etl::StackKeyReference& s, unsigned pointer_size);
// 0x1823 (delete) or 0x1824 (rundown): the payload is the same, the caller picks the hook.
std::vector<std::byte> encode_stack_key_definition(const etl::StackKeyDefinition& s, unsigned pointer_size);

// ---- images ----------------------------------------------------------------------------------------
std::uint16_t image_hook(const etl::ImageEvent& e);  // 0x030A / 0x1402 / 0x1403 / 0x1404 from kind
// WMI_IMAGELOAD_INFORMATION version 3 (SignatureLevel/Type and Reserved fields 0) + UTF-16z name.
std::vector<std::byte> encode_image_event(const etl::ImageEvent& e, unsigned pointer_size);
// KernelTraceControl ImageID (class etl::image_id_guid(), type etl::kImageIdOpcodeInfo) and
// DbgID_RSDS (type etl::kImageIdOpcodeDbgIdRsds), carried in FULL_HEADER32/64 records.
std::vector<std::byte> encode_image_id_info(const etl::ImageIdInfo& e, unsigned pointer_size);
std::vector<std::byte> encode_dbg_id_rsds(const etl::DbgIdRsds& e, unsigned pointer_size);

// ---- processes and threads -------------------------------------------------------------------------
std::uint16_t process_hook(const etl::ProcessEvent& e);
// Parts of the process payload that ProcessEvent does not keep.
struct ProcessExtras {
    std::uint8_t version = kProcessVersion;  // 3: no Flags field; 4/5: Flags after DirectoryTableBase
    std::uint32_t flags = 0;
    std::vector<std::byte> user_sid;  // a SID (see make_sid); empty → the "no SID" u32 0
    std::string package_full_name;    // UTF-16z after the command line
    std::string application_id;       // UTF-16z
};
// A binary SID: revision 1, a 48-bit identifier authority, sub-authorities (S-1-5-18 = {5, {18}}).
std::vector<std::byte> make_sid(std::uint64_t authority, const std::vector<std::uint32_t>& sub_authorities);
std::vector<std::byte> encode_process_event(const etl::ProcessEvent& e, unsigned pointer_size,
                                            const ProcessExtras& extras = {});
std::uint16_t thread_hook(const etl::ThreadEvent& e);
// Thread version 3 layout: the ThreadEvent fields, TebBase 0, SubProcessTag 0, priorities 0, and an
// optional UTF-16z thread name.
std::vector<std::byte> encode_thread_event(const etl::ThreadEvent& e, unsigned pointer_size,
                                           std::string_view thread_name = {});

// ---- files -----------------------------------------------------------------------------------------
// FileObject + UTF-16z name: the payload of 0x0400 Name, 0x0420 FileCreate, 0x0423 FileDelete and
// 0x0424 FileRundown (the decoder sets `rundown` from the hook; file_name_hook picks 0x0424 or 0x0400).
std::uint16_t file_name_hook(const etl::FileNameEvent& e);
std::vector<std::byte> encode_file_name(const etl::FileNameEvent& e, unsigned pointer_size);

// ---- memory ----------------------------------------------------------------------------------------
// MMPFN_IDENTITY for 0x0223 / 0x0275 / 0x0285.
std::vector<std::byte> encode_page_event(const etl::PageEvent& e, unsigned pointer_size);
// Builds MMPFN_IDENTITY.u1 from its bit fields (kernel-events.md §4.2).
std::uint64_t page_identity_u1(unsigned use, unsigned list, bool pinned, std::uint64_t key,
                               unsigned priority);
std::vector<std::byte> encode_mem_info(const etl::MemInfo& m, unsigned pointer_size);       // 0x0270
std::vector<std::byte> encode_mem_info_ws(const etl::MemInfoWs& m, unsigned pointer_size);  // 0x027D
std::uint16_t virtual_alloc_hook(const etl::VirtualAllocEvent& e);  // 0x0262/63, rundown 0x0280
std::vector<std::byte> encode_virtual_alloc(const etl::VirtualAllocEvent& e, unsigned pointer_size);

}  // namespace bp::writer
