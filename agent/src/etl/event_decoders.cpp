// Typed kernel-event decoders. Every decoder first checks the record's family/hook, then that the
// payload length is exactly what the layout for the pointer size (and version) requires.
#include "bootprint/etl/event_decoders.hpp"

#include <cstdio>
#include <cstring>
#include <map>

#include "bootprint/common/byte_reader.hpp"

namespace bp::etl {

namespace {

bool is_kernel(const EventRecord& e) { return e.family == EventFamily::kernel; }
bool valid_pointer(unsigned p) { return p == 4 || p == 8; }

std::uint64_t ptr_at(const std::byte* p, unsigned psize) {
    return psize == 8 ? load_le<std::uint64_t>(p) : load_le<std::uint32_t>(p);
}

// Reads `count` entries of `entry_size` bytes after a `prefix`-byte header; the payload must be
// exactly prefix + count × entry_size bytes.
bool exact_array(std::span<const std::byte> payload, std::size_t prefix, std::size_t entry_size, std::uint32_t count) {
    return payload.size() >= prefix && (payload.size() - prefix) % entry_size == 0 &&
           (payload.size() - prefix) / entry_size == count;
}

}  // namespace

const Guid& image_id_guid() {
    static const Guid g = *Guid::parse("b3e675d7-2554-4f18-830b-2762732560de");
    return g;
}

bool HeaderExtension::enabled(std::uint32_t wpr_flag) const {
    return (masks[wpr_flag >> 29] & (wpr_flag & 0x1FFFFFFF)) != 0;
}

DecodeStatus decode(const EventRecord& e, HeaderExtension& out) {
    if (!is_kernel(e) || e.hook_id != hook::kHeaderExtension) return DecodeStatus::not_this;
    if (e.payload.size() < 32) return DecodeStatus::malformed;  // PERFINFO_GROUPMASK [+ Version]
    for (int i = 0; i < 8; ++i) out.masks[i] = load_le<std::uint32_t>(e.payload.data() + 4 * i);
    return DecodeStatus::ok;
}

// ---- pool ----------------------------------------------------------------------------------------

DecodeStatus decode(const EventRecord& e, PoolEvent& out) {
    if (!is_kernel(e) || e.hook_id < hook::kPoolAlloc || e.hook_id > hook::kPoolFreeSession) return DecodeStatus::not_this;
    const unsigned P = e.pointer_size;
    if (!valid_pointer(P)) return DecodeStatus::malformed;
    out.is_alloc = e.hook_id == hook::kPoolAlloc || e.hook_id == hook::kPoolAllocSession;
    out.is_session = e.hook_id == hook::kPoolAllocSession || e.hook_id == hook::kPoolFreeSession;
    // ETW_POOL_EVENT {ULONG PoolType; ULONG Tag; SIZE_T NumberOfBytes; PVOID Entry;} [+ ULONG SessionId]
    const std::size_t expected = 8 + 2 * P + (out.is_session ? 4 : 0);
    if (e.payload.size() != expected) return DecodeStatus::malformed;
    const std::byte* p = e.payload.data();
    out.pool_type = load_le<std::uint32_t>(p + 0);  // PoolType
    out.tag = load_le<std::uint32_t>(p + 4);        // Tag
    out.size = ptr_at(p + 8, P);                    // NumberOfBytes
    out.address = ptr_at(p + 8 + P, P);             // Entry
    out.session_id = out.is_session ? load_le<std::uint32_t>(p + 8 + 2 * P) : kNoSession;  // SessionId
    return DecodeStatus::ok;
}

DecodeStatus decode(const EventRecord& e, PoolSnap& out) {
    if (!is_kernel(e)) return DecodeStatus::not_this;
    const bool plain = e.hook_id == hook::kPoolSnapDcStart || e.hook_id == hook::kPoolSnapDcEnd;
    const bool session = e.hook_id == hook::kSessionPoolSnapDcStart || e.hook_id == hook::kSessionPoolSnapDcEnd;
    if (!plain && !session) return DecodeStatus::not_this;
    const unsigned P = e.pointer_size;
    if (!valid_pointer(P)) return DecodeStatus::malformed;
    out.is_end = e.hook_id == hook::kPoolSnapDcEnd || e.hook_id == hook::kSessionPoolSnapDcEnd;
    const std::size_t prefix = session ? 8 : 4;
    if (e.payload.size() < prefix) return DecodeStatus::malformed;
    const std::uint32_t count = load_le<std::uint32_t>(e.payload.data());  // Count
    out.session_id = session ? load_le<std::uint32_t>(e.payload.data() + 4) : kNoSession;
    // SYSTEM_POOLTAG: 28 bytes on x86, 40 on x64; entries follow the count unaligned.
    const std::size_t entry = P == 8 ? 40 : 28;
    if (!exact_array(e.payload, prefix, entry, count)) return DecodeStatus::malformed;
    out.entries.resize(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::byte* p = e.payload.data() + prefix + i * entry;
        PoolSnapEntry& s = out.entries[i];
        s.tag = load_le<std::uint32_t>(p + 0);            // TagUlong
        s.paged_allocs = load_le<std::uint32_t>(p + 4);   // PagedAllocs
        s.paged_frees = load_le<std::uint32_t>(p + 8);    // PagedFrees
        if (P == 8) {
            s.paged_used = load_le<std::uint64_t>(p + 16);       // PagedUsed (after 4 bytes padding)
            s.nonpaged_allocs = load_le<std::uint32_t>(p + 24);  // NonPagedAllocs
            s.nonpaged_frees = load_le<std::uint32_t>(p + 28);   // NonPagedFrees
            s.nonpaged_used = load_le<std::uint64_t>(p + 32);    // NonPagedUsed
        } else {
            s.paged_used = load_le<std::uint32_t>(p + 12);
            s.nonpaged_allocs = load_le<std::uint32_t>(p + 16);
            s.nonpaged_frees = load_le<std::uint32_t>(p + 20);
            s.nonpaged_used = load_le<std::uint32_t>(p + 24);
        }
    }
    return DecodeStatus::ok;
}

DecodeStatus decode(const EventRecord& e, BigPoolSnap& out) {
    if (!is_kernel(e)) return DecodeStatus::not_this;
    const bool plain = e.hook_id == hook::kBigPoolSnapDcStart || e.hook_id == hook::kBigPoolSnapDcEnd;
    const bool session = e.hook_id == hook::kSessionBigPoolSnapDcStart || e.hook_id == hook::kSessionBigPoolSnapDcEnd;
    if (!plain && !session) return DecodeStatus::not_this;
    const unsigned P = e.pointer_size;
    if (!valid_pointer(P)) return DecodeStatus::malformed;
    out.is_end = e.hook_id == hook::kBigPoolSnapDcEnd || e.hook_id == hook::kSessionBigPoolSnapDcEnd;
    const std::size_t prefix = session ? 8 : 4;
    if (e.payload.size() < prefix) return DecodeStatus::malformed;
    const std::uint32_t count = load_le<std::uint32_t>(e.payload.data());
    out.session_id = session ? load_le<std::uint32_t>(e.payload.data() + 4) : kNoSession;
    // SYSTEM_BIGPOOL_ENTRY: {VirtualAddress (bit0 = NonPaged); SizeInBytes; Tag} = 12 / 24 bytes.
    const std::size_t entry = P == 8 ? 24 : 12;
    if (!exact_array(e.payload, prefix, entry, count)) return DecodeStatus::malformed;
    out.entries.resize(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::byte* p = e.payload.data() + prefix + i * entry;
        BigPoolSnapEntry& b = out.entries[i];
        const std::uint64_t va = ptr_at(p, P);            // VirtualAddress
        b.nonpaged = (va & 1) != 0;
        b.address = va & ~std::uint64_t{1};
        b.size = ptr_at(p + P, P);                        // SizeInBytes
        b.tag = load_le<std::uint32_t>(p + 2 * P);        // Tag
    }
    return DecodeStatus::ok;
}

std::string pool_tag_string(std::uint32_t tag) {
    tag &= 0x7FFFFFFF;  // PROTECTED_POOL bit
    std::string s;
    for (int i = 0; i < 4; ++i) {
        const auto c = static_cast<unsigned char>((tag >> (8 * i)) & 0xFF);
        s.push_back(c == 0 ? '\0' : (c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?'));
    }
    while (!s.empty() && s.back() == '\0') s.pop_back();
    for (char& c : s) {
        if (c == '\0') c = ' ';
    }
    return s;
}

bool pool_is_paged(std::uint32_t t) { return (t & kPoolTypePaged) != 0; }
bool pool_is_big(std::uint32_t t) { return (t & kPoolTypeBigPool) != 0; }
bool pool_is_session(std::uint32_t t) { return (t & kPoolTypeSession) != 0; }
bool pool_is_nx(std::uint32_t t) { return pool_is_paged(t) || (t & kPoolTypeNx) != 0; }

std::string pool_type_name(std::uint32_t t) {
    static constexpr const char* kNames[] = {"NonPagedPool",         "PagedPool",
                                             "NonPagedPoolMustSucceed", "DontUseThisType",
                                             "NonPagedPoolCacheAligned", "PagedPoolCacheAligned",
                                             "NonPagedPoolCacheAlignedMustS", "MaxPoolType"};
    const std::uint32_t idx = t & 0xEFFFFDDF;  // clears BigPool, NX and Session bits (WPA's mask)
    return idx < 8 ? kNames[idx] : "Unknown";
}

// ---- stacks --------------------------------------------------------------------------------------

DecodeStatus decode(const EventRecord& e, StackWalk& out) {
    if (!is_kernel(e) || e.hook_id != hook::kStackWalk) return DecodeStatus::not_this;
    const unsigned P = e.pointer_size;
    if (!valid_pointer(P)) return DecodeStatus::malformed;
    // STACK_WALK_EVENT_DATA {ULONG64 TimeStamp; ULONG ProcessId; ULONG ThreadId; PVOID Stack[];}
    if (e.payload.size() < 16 || (e.payload.size() - 16) % P != 0) return DecodeStatus::malformed;
    const std::byte* p = e.payload.data();
    out.event_timestamp = load_le<std::int64_t>(p + 0);
    out.process_id = load_le<std::uint32_t>(p + 8);
    out.thread_id = load_le<std::uint32_t>(p + 12);
    const std::size_t n = (e.payload.size() - 16) / P;
    out.frames.resize(n);
    for (std::size_t i = 0; i < n; ++i) out.frames[i] = ptr_at(p + 16 + i * P, P);
    return DecodeStatus::ok;
}

DecodeStatus decode(const EventRecord& e, StackKeyReference& out) {
    if (!is_kernel(e) || (e.hook_id != hook::kStackKeyKernel && e.hook_id != hook::kStackKeyUser)) {
        return DecodeStatus::not_this;
    }
    const unsigned P = e.pointer_size;
    if (!valid_pointer(P) || e.payload.size() != 16 + P) return DecodeStatus::malformed;
    const std::byte* p = e.payload.data();
    out.user = e.hook_id == hook::kStackKeyUser;
    out.event_timestamp = load_le<std::int64_t>(p + 0);
    out.process_id = load_le<std::uint32_t>(p + 8);
    out.thread_id = load_le<std::uint32_t>(p + 12);
    out.key = ptr_at(p + 16, P);
    return DecodeStatus::ok;
}

DecodeStatus decode(const EventRecord& e, StackKeyDefinition& out) {
    if (!is_kernel(e) || (e.hook_id != hook::kStackKeyDelete && e.hook_id != hook::kStackKeyRundown)) {
        return DecodeStatus::not_this;
    }
    const unsigned P = e.pointer_size;
    if (!valid_pointer(P) || e.payload.size() < P || e.payload.size() % P != 0) return DecodeStatus::malformed;
    const std::byte* p = e.payload.data();
    out.key = ptr_at(p, P);
    const std::size_t n = e.payload.size() / P - 1;
    out.frames.resize(n);
    for (std::size_t i = 0; i < n; ++i) out.frames[i] = ptr_at(p + (i + 1) * P, P);
    return DecodeStatus::ok;
}

// ---- images --------------------------------------------------------------------------------------

DecodeStatus decode(const EventRecord& e, ImageEvent& out) {
    if (!is_kernel(e)) return DecodeStatus::not_this;
    switch (e.hook_id) {
        case hook::kImageLoad: out.kind = ImageEvent::Kind::load; break;
        case hook::kImageUnload: out.kind = ImageEvent::Kind::unload; break;
        case hook::kImageDcStart: out.kind = ImageEvent::Kind::dc_start; break;
        case hook::kImageDcEnd: out.kind = ImageEvent::Kind::dc_end; break;
        default: return DecodeStatus::not_this;
    }
    const unsigned P = e.pointer_size;
    // WMI_IMAGELOAD_INFORMATION, versions 2 and 3 share the layout (v3 names the reserved byte pair
    // SignatureLevel/SignatureType).
    if (!valid_pointer(P) || e.version < 2 || e.version > 3) return DecodeStatus::malformed;
    const std::size_t fixed = P == 8 ? 56 : 44;
    if (e.payload.size() < fixed + 2) return DecodeStatus::malformed;
    const std::byte* p = e.payload.data();
    out.image_base = ptr_at(p + 0, P);                            // ImageBase
    out.image_size = ptr_at(p + P, P);                            // ImageSize
    out.process_id = load_le<std::uint32_t>(p + 2 * P);           // ProcessId
    out.checksum = load_le<std::uint32_t>(p + 2 * P + 4);         // ImageChecksum
    out.time_date_stamp = load_le<std::uint32_t>(p + 2 * P + 8);  // TimeDateStamp
    out.default_base = ptr_at(p + 2 * P + 16, P);                 // DefaultBase
    ByteReader r(e.payload.subspan(fixed));
    if (!r.utf16z(out.file_name)) return DecodeStatus::malformed;  // FileName
    return DecodeStatus::ok;
}

DecodeStatus decode(const EventRecord& e, ImageIdInfo& out) {
    if (e.family != EventFamily::classic || e.guid != image_id_guid() || e.opcode != kImageIdOpcodeInfo) {
        return DecodeStatus::not_this;
    }
    const unsigned P = e.pointer_size;
    if (!valid_pointer(P) || e.payload.size() < 2 * P + 8) return DecodeStatus::malformed;
    const std::byte* p = e.payload.data();
    out.image_base = ptr_at(p, P);
    out.image_size = ptr_at(p + P, P);
    out.process_id = load_le<std::uint32_t>(p + 2 * P);
    out.time_date_stamp = load_le<std::uint32_t>(p + 2 * P + 4);
    ByteReader r(e.payload.subspan(2 * P + 8));
    out.original_file_name.clear();
    if (!r.empty() && !r.utf16z(out.original_file_name, true)) return DecodeStatus::malformed;
    return DecodeStatus::ok;
}

DecodeStatus decode(const EventRecord& e, DbgIdRsds& out) {
    if (e.family != EventFamily::classic || e.guid != image_id_guid() || e.opcode != kImageIdOpcodeDbgIdRsds) {
        return DecodeStatus::not_this;
    }
    const unsigned P = e.pointer_size;
    if (!valid_pointer(P) || e.payload.size() < P + 24 + 1) return DecodeStatus::malformed;
    const std::byte* p = e.payload.data();
    out.image_base = ptr_at(p, P);
    out.process_id = load_le<std::uint32_t>(p + P);
    std::memcpy(out.pdb_guid.bytes.data(), p + P + 4, 16);
    out.age = load_le<std::uint32_t>(p + P + 20);
    ByteReader r(e.payload.subspan(P + 24));
    if (!r.cstr(out.pdb_file_name)) return DecodeStatus::malformed;
    return DecodeStatus::ok;
}

// ---- processes and threads -------------------------------------------------------------------------

DecodeStatus decode(const EventRecord& e, ProcessEvent& out) {
    if (!is_kernel(e)) return DecodeStatus::not_this;
    switch (e.hook_id) {
        case hook::kProcessStart: out.kind = ProcessEvent::Kind::start; break;
        case hook::kProcessEnd: out.kind = ProcessEvent::Kind::end; break;
        case hook::kProcessDcStart: out.kind = ProcessEvent::Kind::dc_start; break;
        case hook::kProcessDcEnd: out.kind = ProcessEvent::Kind::dc_end; break;
        case hook::kProcessDefunct: out.kind = ProcessEvent::Kind::defunct; break;
        default: return DecodeStatus::not_this;
    }
    const unsigned P = e.pointer_size;
    // v3: no Flags; v4/v5: Flags u32 after DirectoryTableBase (PerfView ProcessTraceData).
    if (!valid_pointer(P) || e.version < 3 || e.version > 5) return DecodeStatus::malformed;
    ByteReader r(e.payload);
    std::uint32_t ignored = 0;
    if (!r.pointer(out.unique_process_key, P) || !r.u32(out.process_id) || !r.u32(out.parent_id) ||
        !r.u32(out.session_id) || !r.i32(out.exit_status) || !r.pointer(out.directory_table_base, P)) {
        return DecodeStatus::malformed;
    }
    if (e.version >= 4 && !r.u32(ignored)) return DecodeStatus::malformed;  // Flags
    // UserSID: a u32 0 when absent; else a TOKEN_USER-style header of two pointers, then the SID.
    std::uint32_t first = 0;
    if (!r.can_read(4)) return DecodeStatus::malformed;
    first = r.at<std::uint32_t>(r.pos());
    if (first == 0) {
        r.skip(4);
    } else {
        if (!r.skip(2 * P) || !r.can_read(8)) return DecodeStatus::malformed;
        const auto sub_authorities = static_cast<std::uint8_t>(r.at<std::uint8_t>(r.pos() + 1));
        if (!r.skip(8 + 4 * static_cast<std::size_t>(sub_authorities))) return DecodeStatus::malformed;
    }
    if (!r.cstr(out.image_file_name)) return DecodeStatus::malformed;       // ImageFileName
    if (!r.utf16z(out.command_line, true)) return DecodeStatus::malformed;  // CommandLine
    return DecodeStatus::ok;
}

DecodeStatus decode(const EventRecord& e, ThreadEvent& out) {
    if (!is_kernel(e)) return DecodeStatus::not_this;
    switch (e.hook_id) {
        case hook::kThreadStart: out.kind = ThreadEvent::Kind::start; break;
        case hook::kThreadEnd: out.kind = ThreadEvent::Kind::end; break;
        case hook::kThreadDcStart: out.kind = ThreadEvent::Kind::dc_start; break;
        case hook::kThreadDcEnd: out.kind = ThreadEvent::Kind::dc_end; break;
        default: return DecodeStatus::not_this;
    }
    const unsigned P = e.pointer_size;
    // ProcessId, TThreadId, StackBase, StackLimit, UserStackBase, UserStackLimit, Affinity,
    // Win32StartAddr, TebBase, SubProcessTag, 4 priority bytes [, ThreadName] (PerfView ThreadTraceData).
    if (!valid_pointer(P) || e.version < 2) return DecodeStatus::malformed;
    // 7 pointers (StackBase .. TebBase), then SubProcessTag u32 and 4 priority/flag bytes: 44 / 72.
    const std::size_t fixed = 8 + 7 * static_cast<std::size_t>(P) + 8;
    if (e.payload.size() < fixed) return DecodeStatus::malformed;
    const std::byte* p = e.payload.data();
    out.process_id = load_le<std::uint32_t>(p + 0);
    out.thread_id = load_le<std::uint32_t>(p + 4);
    out.stack_base = ptr_at(p + 8, P);
    out.stack_limit = ptr_at(p + 8 + P, P);
    out.user_stack_base = ptr_at(p + 8 + 2 * P, P);
    out.user_stack_limit = ptr_at(p + 8 + 3 * P, P);
    out.affinity = ptr_at(p + 8 + 4 * P, P);
    out.win32_start_address = ptr_at(p + 8 + 5 * P, P);
    return DecodeStatus::ok;
}

// ---- files ---------------------------------------------------------------------------------------

DecodeStatus decode(const EventRecord& e, FileNameEvent& out) {
    if (!is_kernel(e)) return DecodeStatus::not_this;
    if (e.hook_id != hook::kFileIoName && e.hook_id != hook::kFileIoFileCreate &&
        e.hook_id != hook::kFileIoFileDelete && e.hook_id != hook::kFileIoRundown) {
        return DecodeStatus::not_this;
    }
    const unsigned P = e.pointer_size;
    if (!valid_pointer(P) || e.payload.size() < P + 2) return DecodeStatus::malformed;
    ByteReader r(e.payload);
    (void)r.pointer(out.file_object, P);  // FileObject
    if (!r.utf16z(out.file_name)) return DecodeStatus::malformed;  // FileName
    out.rundown = e.hook_id == hook::kFileIoRundown;
    return DecodeStatus::ok;
}

// ---- memory ----------------------------------------------------------------------------------------

DecodeStatus decode(const EventRecord& e, PageEvent& out) {
    if (!is_kernel(e) || (e.hook_id != hook::kPageInMemory && e.hook_id != hook::kPageInMemoryActive &&
                          e.hook_id != hook::kInMemoryActiveRundown)) {
        return DecodeStatus::not_this;
    }
    const unsigned P = e.pointer_size;
    // MMPFN_IDENTITY {ULONGLONG u1; PFN_NUMBER PageFrameIndex; PVOID u2} = 16 / 24 bytes.
    if (!valid_pointer(P) || e.payload.size() != 8 + 2 * static_cast<std::size_t>(P)) return DecodeStatus::malformed;
    const std::byte* p = e.payload.data();
    out.u1 = load_le<std::uint64_t>(p);
    out.page_frame = ptr_at(p + 8, P);
    out.u2 = ptr_at(p + 8 + P, P);
    return DecodeStatus::ok;
}

const char* page_use_name(unsigned use) {
    static constexpr const char* kNames[] = {"ProcessPrivate", "File",       "PageFileMapped", "PageTable",
                                             "PagedPool",      "NonPagedPool", "SystemPTE",    "SessionPrivate",
                                             "MetaFile",       "AWEPage",    "DriverLockPage", "KernelStack",
                                             "WSMetaData",     "LargePage"};
    return use < std::size(kNames) ? kNames[use] : "Unknown";
}

const char* page_list_name(unsigned list) {
    static constexpr const char* kNames[] = {"Zero", "Free", "Standby", "Modified",
                                             "ModifiedNoWrite", "Bad", "Active", "Transition"};
    return list < std::size(kNames) ? kNames[list] : "Unknown";
}

DecodeStatus decode(const EventRecord& e, MemInfo& out) {
    if (!is_kernel(e) || e.hook_id != hook::kMemInfo) return DecodeStatus::not_this;
    const unsigned P = e.pointer_size;
    // PERFINFO_MEMORY_INFORMATION (22 × SIZE_T) + PERFINFO_SYSTEM_MEMORY_INFORMATION (4 × SIZE_T).
    if (!valid_pointer(P) || e.payload.size() != 26 * static_cast<std::size_t>(P)) return DecodeStatus::malformed;
    const std::byte* p = e.payload.data();
    auto at = [&](int i) { return ptr_at(p + static_cast<std::size_t>(i) * P, P); };
    out.zero = at(0);
    out.free = at(1);
    out.modified = at(2);
    out.modified_no_write = at(3);
    out.bad = at(4);
    for (int i = 0; i < 8; ++i) out.standby_by_priority[i] = at(5 + i);
    for (int i = 0; i < 8; ++i) out.repurposed_by_priority[i] = at(13 + i);
    out.modified_page_file = at(21);
    out.paged_pool_commit = at(22);
    out.nonpaged_pool = at(23);
    out.mdl = at(24);
    out.commit = at(25);
    return DecodeStatus::ok;
}

DecodeStatus decode(const EventRecord& e, MemInfoWs& out) {
    if (!is_kernel(e) || e.hook_id != hook::kMemInfoWs) return DecodeStatus::not_this;
    const unsigned P = e.pointer_size;
    if (!valid_pointer(P) || e.payload.size() < 4) return DecodeStatus::malformed;
    const std::uint32_t count = load_le<std::uint32_t>(e.payload.data());
    // Packed PERFINFO_WORKINGSET_ENTRY {ULONG Id; SIZE_T × 8} = 36 / 68 bytes.
    const std::size_t entry = 4 + 8 * static_cast<std::size_t>(P);
    if (!exact_array(e.payload, 4, entry, count)) return DecodeStatus::malformed;
    out.entries.resize(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::byte* p = e.payload.data() + 4 + i * entry;
        MemInfoWsEntry& w = out.entries[i];
        w.id = load_le<std::uint32_t>(p);
        std::uint64_t* fields[] = {&w.working_set,  &w.commit,       &w.paged_pool_or_virtual, &w.private_working_set,
                                   &w.store_size,   &w.stored_pages, &w.commit_debt,           &w.shared_commit};
        for (std::size_t k = 0; k < 8; ++k) *fields[k] = ptr_at(p + 4 + k * P, P);
    }
    return DecodeStatus::ok;
}

DecodeStatus decode(const EventRecord& e, VirtualAllocEvent& out) {
    if (!is_kernel(e) || (e.hook_id != hook::kVirtualAlloc && e.hook_id != hook::kVirtualFree &&
                          e.hook_id != hook::kVirtualAllocRundown && e.hook_id != hook::kVirtualAllocRundownEnd)) {
        return DecodeStatus::not_this;
    }
    const unsigned P = e.pointer_size;
    // {PVOID CapturedBase; SIZE_T CapturedRegionSize; ULONG ProcessId; ULONG Flags}
    if (!valid_pointer(P) || e.payload.size() != 2 * static_cast<std::size_t>(P) + 8) return DecodeStatus::malformed;
    const std::byte* p = e.payload.data();
    out.base = ptr_at(p, P);
    out.size = ptr_at(p + P, P);
    out.process_id = load_le<std::uint32_t>(p + 2 * P);
    out.flags = load_le<std::uint32_t>(p + 2 * P + 4);
    out.free = e.hook_id == hook::kVirtualFree;
    out.rundown = e.hook_id == hook::kVirtualAllocRundown || e.hook_id == hook::kVirtualAllocRundownEnd;
    return DecodeStatus::ok;
}

// ---- presentation ----------------------------------------------------------------------------------

std::string describe_event_key(const std::string& key) {
    static const std::map<std::string, const char*> kNames = {
        {"kernel/0x0000", "EventTrace/Header"},        {"kernel/0x0005", "EventTrace/Extension"},
        {"kernel/0x0008", "EventTrace/RundownComplete"}, {"kernel/0x0020", "EventTrace/EndExtension"},
        {"kernel/0x0040", "EventTrace/DbgIdRsds"},     {"kernel/0x0042", "EventTrace/BuildLab"},
        {"kernel/0x0050", "EventTrace/PartitionInfo"}, {"kernel/0x010a", "DiskIo/Read"},
        {"kernel/0x010b", "DiskIo/Write"},             {"kernel/0x0220", "PageFault/HardFault"},
        {"kernel/0x0223", "PageFault/PageInMemory"},   {"kernel/0x0262", "PageFault/VirtualAlloc"},
        {"kernel/0x0263", "PageFault/VirtualFree"},    {"kernel/0x0270", "PageFault/MemInfo"},
        {"kernel/0x0275", "PageFault/PageInMemoryActive"}, {"kernel/0x027b", "PageFault/KernelMemUsage"},
        {"kernel/0x027d", "PageFault/MemInfoWS"},      {"kernel/0x0280", "PageFault/VirtualAllocDCStart"},
        {"kernel/0x0281", "PageFault/VirtualAllocDCEnd"}, {"kernel/0x0285", "PageFault/InMemoryActiveRundown"},
        {"kernel/0x0301", "Process/Start"},            {"kernel/0x0302", "Process/End"},
        {"kernel/0x0303", "Process/DCStart"},          {"kernel/0x0304", "Process/DCEnd"},
        {"kernel/0x030a", "Image/Load"},               {"kernel/0x0327", "Process/Defunct"},
        {"kernel/0x0400", "FileIo/Name"},              {"kernel/0x0420", "FileIo/FileCreate"},
        {"kernel/0x0423", "FileIo/FileDelete"},        {"kernel/0x0424", "FileIo/FileRundown"},
        {"kernel/0x0501", "Thread/Start"},             {"kernel/0x0502", "Thread/End"},
        {"kernel/0x0503", "Thread/DCStart"},           {"kernel/0x0504", "Thread/DCEnd"},
        {"kernel/0x0524", "Thread/CSwitch"},           {"kernel/0x0e20", "PoolTrace/PoolAlloc"},
        {"kernel/0x0e21", "PoolTrace/SessionPoolAlloc"}, {"kernel/0x0e22", "PoolTrace/PoolFree"},
        {"kernel/0x0e23", "PoolTrace/SessionPoolFree"}, {"kernel/0x0e28", "PoolTrace/PoolSnapDCStart"},
        {"kernel/0x0e29", "PoolTrace/PoolSnapDCEnd"},  {"kernel/0x0e2a", "PoolTrace/BigPoolSnapDCStart"},
        {"kernel/0x0e2b", "PoolTrace/BigPoolSnapDCEnd"}, {"kernel/0x0f2e", "PerfInfo/SampledProfile"},
        {"kernel/0x1402", "Image/UnLoad"},             {"kernel/0x1403", "Image/DCStart"},
        {"kernel/0x1404", "Image/DCEnd"},              {"kernel/0x1421", "Image/KernelBase"},
        {"kernel/0x1422", "Image/HypercallPage"},      {"kernel/0x1820", "StackWalk/Stack"},
        {"kernel/0x1823", "StackWalk/KeyDelete"},      {"kernel/0x1824", "StackWalk/KeyRundown"},
        {"kernel/0x1825", "StackWalk/KeyKernel"},      {"kernel/0x1826", "StackWalk/KeyUser"},
        {"classic/{b3e675d7-2554-4f18-830b-2762732560de}/0", "ImageId/Info"},
        {"classic/{b3e675d7-2554-4f18-830b-2762732560de}/36", "ImageId/DbgID_RSDS"},
        {"classic/{b3e675d7-2554-4f18-830b-2762732560de}/64", "ImageId/FileVersion"},
        {"classic/{9b79ee91-b5fd-41c0-a243-4248e266e9d0}/32", "SysConfigEx/BuildInfo"},
        {"classic/{9b79ee91-b5fd-41c0-a243-4248e266e9d0}/33", "SysConfigEx/SystemPaths"},
        {"classic/{9b79ee91-b5fd-41c0-a243-4248e266e9d0}/35", "SysConfigEx/VolumeMapping"},
    };
    // Strip the version: "kernel/0x0e20/2" → "kernel/0x0e20".
    const auto slash = key.rfind('/');
    if (slash == std::string::npos) return {};
    auto it = kNames.find(key.substr(0, slash));
    if (it != kNames.end()) return it->second;
    if (key.rfind("kernel/0x0b", 0) == 0) return "SystemConfig";
    return {};
}

namespace {
std::string hex64(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}
nlohmann::ordered_json frames_json(const std::vector<std::uint64_t>& frames) {
    auto a = nlohmann::ordered_json::array();
    for (auto f : frames) a.push_back(hex64(f));
    return a;
}
}  // namespace

nlohmann::ordered_json decode_fields(const EventRecord& e) {
    using nlohmann::ordered_json;
    ordered_json j = ordered_json::object();
    const ordered_json malformed = {{"malformed", true}, {"payload_bytes", e.payload.size()}};
    auto check = [&](DecodeStatus s) { return s == DecodeStatus::ok; };
    if (PoolEvent pe; decode(e, pe) != DecodeStatus::not_this) {
        if (!check(decode(e, pe))) return malformed;
        j = {{"tag", pool_tag_string(pe.tag)}, {"pool_type", hex64(pe.pool_type)}, {"size", pe.size},
             {"address", hex64(pe.address)}, {"paged", pool_is_paged(pe.pool_type)}, {"big", pool_is_big(pe.pool_type)}};
        if (pe.is_session) j["session"] = pe.session_id;
        return j;
    }
    if (StackWalk sw; decode(e, sw) != DecodeStatus::not_this) {
        if (!check(decode(e, sw))) return malformed;
        return {{"event_timestamp", sw.event_timestamp}, {"pid", sw.process_id}, {"tid", sw.thread_id},
                {"frames", frames_json(sw.frames)}};
    }
    if (StackKeyReference sk; decode(e, sk) != DecodeStatus::not_this) {
        if (!check(decode(e, sk))) return malformed;
        return {{"event_timestamp", sk.event_timestamp}, {"pid", sk.process_id}, {"tid", sk.thread_id},
                {"key", hex64(sk.key)}};
    }
    if (StackKeyDefinition sd; decode(e, sd) != DecodeStatus::not_this) {
        if (!check(decode(e, sd))) return malformed;
        return {{"key", hex64(sd.key)}, {"frames", frames_json(sd.frames)}};
    }
    if (ImageEvent im; decode(e, im) != DecodeStatus::not_this) {
        if (!check(decode(e, im))) return malformed;
        return {{"base", hex64(im.image_base)}, {"size", hex64(im.image_size)}, {"pid", im.process_id},
                {"timestamp", im.time_date_stamp}, {"file", im.file_name}};
    }
    if (ProcessEvent pr; decode(e, pr) != DecodeStatus::not_this) {
        if (!check(decode(e, pr))) return malformed;
        return {{"pid", pr.process_id}, {"parent", pr.parent_id}, {"session", pr.session_id},
                {"image", pr.image_file_name}, {"command_line", pr.command_line}};
    }
    if (ThreadEvent th; decode(e, th) != DecodeStatus::not_this) {
        if (!check(decode(e, th))) return malformed;
        return {{"pid", th.process_id}, {"tid", th.thread_id}, {"stack_base", hex64(th.stack_base)},
                {"stack_limit", hex64(th.stack_limit)}, {"affinity", hex64(th.affinity)}, {"win32_start", hex64(th.win32_start_address)}};
    }
    if (FileNameEvent fn; decode(e, fn) != DecodeStatus::not_this) {
        if (!check(decode(e, fn))) return malformed;
        return {{"file_object", hex64(fn.file_object)}, {"name", fn.file_name}};
    }
    if (PageEvent pg; decode(e, pg) != DecodeStatus::not_this) {
        if (!check(decode(e, pg))) return malformed;
        return {{"use", page_use_name(pg.use())}, {"list", page_list_name(pg.list())}, {"pfn", hex64(pg.page_frame)},
                {"u2", hex64(pg.u2)}, {"key", pg.key()}, {"priority", pg.priority()}};
    }
    if (MemInfo mi; decode(e, mi) != DecodeStatus::not_this) {
        if (!check(decode(e, mi))) return malformed;
        std::uint64_t standby = 0;
        for (auto v : mi.standby_by_priority) standby += v;
        return {{"zero", mi.zero}, {"free", mi.free}, {"modified", mi.modified}, {"standby", standby},
                {"paged_pool_commit", mi.paged_pool_commit}, {"nonpaged_pool", mi.nonpaged_pool},
                {"commit", mi.commit}};
    }
    if (MemInfoWs ws; decode(e, ws) != DecodeStatus::not_this) {
        if (!check(decode(e, ws))) return malformed;
        return {{"entries", ws.entries.size()}};
    }
    if (VirtualAllocEvent va; decode(e, va) != DecodeStatus::not_this) {
        if (!check(decode(e, va))) return malformed;
        return {{"base", hex64(va.base)}, {"size", va.size}, {"pid", va.process_id}, {"flags", hex64(va.flags)}};
    }
    if (PoolSnap ps; decode(e, ps) != DecodeStatus::not_this) {
        if (!check(decode(e, ps))) return malformed;
        return {{"entries", ps.entries.size()}, {"end", ps.is_end}};
    }
    if (BigPoolSnap bs; decode(e, bs) != DecodeStatus::not_this) {
        if (!check(decode(e, bs))) return malformed;
        return {{"entries", bs.entries.size()}, {"end", bs.is_end}};
    }
    if (ImageIdInfo ii; decode(e, ii) != DecodeStatus::not_this) {
        if (!check(decode(e, ii))) return malformed;
        return {{"base", hex64(ii.image_base)}, {"size", hex64(ii.image_size)}, {"file", ii.original_file_name}};
    }
    if (DbgIdRsds dbg; decode(e, dbg) != DecodeStatus::not_this) {
        if (!check(decode(e, dbg))) return malformed;
        return {{"base", hex64(dbg.image_base)}, {"guid", dbg.pdb_guid.to_string()}, {"age", dbg.age},
                {"pdb", dbg.pdb_file_name}};
    }
    if (HeaderExtension hx; decode(e, hx) != DecodeStatus::not_this) {
        if (!check(decode(e, hx))) return malformed;
        auto masks = ordered_json::array();
        for (auto m : hx.masks) masks.push_back(hex64(m));
        return {{"group_masks", masks}};
    }
    return j;
}

}  // namespace bp::etl
