// Payload encoders: the inverse of agent/src/etl/event_decoders.cpp and decode_logfile_header. Layouts
// and sources: docs/kernel-events.md §0–§4 and docs/etl-format.md §3 (NTWMI via phnt, PerfView's
// KernelTraceEventParser, dissect.etl manifests, Geoff Chappell's TRACE_LOGFILE_HEADER page).
#include "bootprint/writer/kernel_payloads.hpp"

#include "writer/byte_writer.hpp"

namespace bp::writer {

namespace {
using detail::ByteWriter;
}  // namespace

// ---- logfile header ----------------------------------------------------------------------------------

std::vector<std::byte> encode_logfile_header(const etl::LogfileHeader& h, unsigned pointer_size) {
    const unsigned p = pointer_size == 4 ? 4 : 8;
    ByteWriter w(0x118 + 2 * (h.logger_name.size() + h.log_file_name.size()) + 4);
    w.u32(h.buffer_size);        // 0x00 BufferSize
    w.u8(h.os_major);            // 0x04 VersionDetail.MajorVersion
    w.u8(h.os_minor);            // 0x05 VersionDetail.MinorVersion
    w.u8(h.layout_major);        // 0x06 VersionDetail.SubVersion
    w.u8(h.layout_minor);        // 0x07 VersionDetail.SubMinorVersion
    w.u32(h.build);              // 0x08 ProviderVersion
    w.u32(h.processors);         // 0x0C NumberOfProcessors
    w.u64(h.end_time);           // 0x10 EndTime
    w.u32(h.timer_resolution);   // 0x18 TimerResolution
    w.u32(h.maximum_file_size);  // 0x1C MaximumFileSize
    w.u32(h.log_file_mode);      // 0x20 LogFileMode
    w.u32(h.buffers_written);    // 0x24 BuffersWritten
    w.u32(h.start_buffers);      // 0x28 StartBuffers
    w.u32(h.pointer_size);       // 0x2C PointerSize
    w.u32(h.events_lost);        // 0x30 EventsLost
    w.u32(h.cpu_speed_mhz);      // 0x34 CpuSpeedInMHz
    w.pointer(0, p);             // 0x38 LoggerName (a pointer / timer source; 0)
    w.pointer(0, p);             // 0x3C/0x40 LogFileName (ditto)
    w.i32(h.timezone_bias);      // 0x40/0x48 TimeZone.Bias
    w.zeros(0xAC - 4);           //           rest of TIME_ZONE_INFORMATION (names, dates, biases)
    w.zeros(4);                  //           padding so that BootTime is 8-aligned
    w.u64(h.boot_time);          // 0xF0/0xF8 BootTime
    w.u64(h.perf_freq);          // 0xF8/0x100 PerfFreq
    w.u64(h.start_time);         // 0x100/0x108 StartTime
    w.u32(h.clock_type);         // 0x108/0x110 ReservedFlags (clock type)
    w.u32(h.buffers_lost);       // 0x10C/0x114 BuffersLost
    w.utf16z(h.logger_name);     // 0x110/0x118 LoggerName
    w.utf16z(h.log_file_name);   //             LogFileName
    return w.take();
}

std::vector<std::byte> encode_header_extension(const etl::HeaderExtension& x, unsigned /*pointer_size*/,
                                               std::uint32_t version) {
    ByteWriter w(36);
    for (std::uint32_t m : x.masks) w.u32(m);  // PERFINFO_GROUPMASK.Masks[8]
    w.u32(version);                            // Version
    return w.take();
}

// ---- pool --------------------------------------------------------------------------------------------

std::uint16_t pool_hook(const etl::PoolEvent& e) {
    if (e.is_alloc) return e.is_session ? etl::hook::kPoolAllocSession : etl::hook::kPoolAlloc;
    return e.is_session ? etl::hook::kPoolFreeSession : etl::hook::kPoolFree;
}

std::vector<std::byte> encode_pool_event(const etl::PoolEvent& e, unsigned pointer_size) {
    ByteWriter w(32);
    w.u32(e.pool_type);                     // PoolType
    w.u32(e.tag);                           // Tag
    w.pointer(e.size, pointer_size);        // NumberOfBytes
    w.pointer(e.address, pointer_size);     // Entry
    if (e.is_session) w.u32(e.session_id);  // SessionId
    return w.take();
}

std::uint16_t pool_snap_hook(const etl::PoolSnap& s) {
    if (s.session_id != etl::kNoSession) {
        return s.is_end ? etl::hook::kSessionPoolSnapDcEnd : etl::hook::kSessionPoolSnapDcStart;
    }
    return s.is_end ? etl::hook::kPoolSnapDcEnd : etl::hook::kPoolSnapDcStart;
}

std::vector<std::byte> encode_pool_snap(const etl::PoolSnap& s, unsigned pointer_size) {
    ByteWriter w(8 + s.entries.size() * 40);
    w.u32(static_cast<std::uint32_t>(s.entries.size()));       // Count
    if (s.session_id != etl::kNoSession) w.u32(s.session_id);  // SessionId
    for (const etl::PoolSnapEntry& t : s.entries) {            // SYSTEM_POOLTAG, unaligned
        w.u32(t.tag);                                          // TagUlong
        w.u32(t.paged_allocs);                                 // PagedAllocs
        w.u32(t.paged_frees);                                  // PagedFrees
        if (pointer_size == 8) w.u32(0);                       // (padding)
        w.pointer(t.paged_used, pointer_size);                 // PagedUsed
        w.u32(t.nonpaged_allocs);                              // NonPagedAllocs
        w.u32(t.nonpaged_frees);                               // NonPagedFrees
        w.pointer(t.nonpaged_used, pointer_size);              // NonPagedUsed
    }
    return w.take();
}

std::uint16_t big_pool_snap_hook(const etl::BigPoolSnap& s) {
    if (s.session_id != etl::kNoSession) {
        return s.is_end ? etl::hook::kSessionBigPoolSnapDcEnd : etl::hook::kSessionBigPoolSnapDcStart;
    }
    return s.is_end ? etl::hook::kBigPoolSnapDcEnd : etl::hook::kBigPoolSnapDcStart;
}

std::vector<std::byte> encode_big_pool_snap(const etl::BigPoolSnap& s, unsigned pointer_size) {
    ByteWriter w(8 + s.entries.size() * 24);
    w.u32(static_cast<std::uint32_t>(s.entries.size()));              // Count
    if (s.session_id != etl::kNoSession) w.u32(s.session_id);         // SessionId
    for (const etl::BigPoolSnapEntry& b : s.entries) {                // SYSTEM_BIGPOOL_ENTRY
        w.pointer(b.address | (b.nonpaged ? 1u : 0u), pointer_size);  // VirtualAddress (bit 0 = NonPaged)
        w.pointer(b.size, pointer_size);                              // SizeInBytes
        w.u32(b.tag);                                                 // Tag
        if (pointer_size == 8) w.u32(0);                              // (padding to 24)
    }
    return w.take();
}

// ---- stacks ------------------------------------------------------------------------------------------

std::vector<std::byte> encode_stack_walk(const etl::StackWalk& s, unsigned pointer_size) {
    ByteWriter w(16 + s.frames.size() * 8);
    w.i64(s.event_timestamp);                                     // EventTimeStamp
    w.u32(s.process_id);                                          // StackProcess
    w.u32(s.thread_id);                                           // StackThread
    for (std::uint64_t f : s.frames) w.pointer(f, pointer_size);  // Stack[]
    return w.take();
}

std::uint16_t stack_key_reference_hook(const etl::StackKeyReference& s) {
    return s.user ? etl::hook::kStackKeyUser : etl::hook::kStackKeyKernel;
}

std::vector<std::byte> encode_stack_key_reference(const etl::StackKeyReference& s, unsigned pointer_size) {
    ByteWriter w(24);
    w.i64(s.event_timestamp);        // EventTimeStamp
    w.u32(s.process_id);             // StackProcess
    w.u32(s.thread_id);              // StackThread
    w.pointer(s.key, pointer_size);  // StackKey
    return w.take();
}

std::vector<std::byte> encode_stack_key_definition(const etl::StackKeyDefinition& s, unsigned pointer_size) {
    ByteWriter w(8 + s.frames.size() * 8);
    w.pointer(s.key, pointer_size);                               // StackKey
    for (std::uint64_t f : s.frames) w.pointer(f, pointer_size);  // Stack[]
    return w.take();
}

// ---- images ------------------------------------------------------------------------------------------

std::uint16_t image_hook(const etl::ImageEvent& e) {
    switch (e.kind) {
        case etl::ImageEvent::Kind::load:
            return etl::hook::kImageLoad;
        case etl::ImageEvent::Kind::unload:
            return etl::hook::kImageUnload;
        case etl::ImageEvent::Kind::dc_start:
            return etl::hook::kImageDcStart;
        case etl::ImageEvent::Kind::dc_end:
            return etl::hook::kImageDcEnd;
    }
    return etl::hook::kImageLoad;
}

std::vector<std::byte> encode_image_event(const etl::ImageEvent& e, unsigned pointer_size) {
    ByteWriter w(64 + 2 * e.file_name.size());
    w.pointer(e.image_base, pointer_size);    // ImageBase
    w.pointer(e.image_size, pointer_size);    // ImageSize
    w.u32(e.process_id);                      // ProcessId
    w.u32(e.checksum);                        // ImageChecksum
    w.u32(e.time_date_stamp);                 // TimeDateStamp
    w.u8(0);                                  // SignatureLevel
    w.u8(0);                                  // SignatureType
    w.u16(0);                                 // Reserved0
    w.pointer(e.default_base, pointer_size);  // DefaultBase
    w.zeros(16);                              // Reserved1..4
    w.utf16z(e.file_name);                    // FileName
    return w.take();
}

std::vector<std::byte> encode_image_id_info(const etl::ImageIdInfo& e, unsigned pointer_size) {
    ByteWriter w(32 + 2 * e.original_file_name.size());
    w.pointer(e.image_base, pointer_size);  // ImageBase
    w.pointer(e.image_size, pointer_size);  // ImageSize
    w.u32(e.process_id);                    // ProcessId
    w.u32(e.time_date_stamp);               // TimeDateStamp
    w.utf16z(e.original_file_name);         // OriginalFileName
    return w.take();
}

std::vector<std::byte> encode_dbg_id_rsds(const etl::DbgIdRsds& e, unsigned pointer_size) {
    ByteWriter w(32 + e.pdb_file_name.size());
    w.pointer(e.image_base, pointer_size);  // ImageBase
    w.u32(e.process_id);                    // ProcessId
    w.guid(e.pdb_guid);                     // GuidSig
    w.u32(e.age);                           // Age
    w.cstr(e.pdb_file_name);                // PdbFileName (ANSI)
    return w.take();
}

// ---- processes and threads ---------------------------------------------------------------------------

std::uint16_t process_hook(const etl::ProcessEvent& e) {
    switch (e.kind) {
        case etl::ProcessEvent::Kind::start:
            return etl::hook::kProcessStart;
        case etl::ProcessEvent::Kind::end:
            return etl::hook::kProcessEnd;
        case etl::ProcessEvent::Kind::dc_start:
            return etl::hook::kProcessDcStart;
        case etl::ProcessEvent::Kind::dc_end:
            return etl::hook::kProcessDcEnd;
        case etl::ProcessEvent::Kind::defunct:
            return etl::hook::kProcessDefunct;
    }
    return etl::hook::kProcessStart;
}

std::vector<std::byte> make_sid(std::uint64_t authority, const std::vector<std::uint32_t>& sub_authorities) {
    ByteWriter w(8 + 4 * sub_authorities.size());
    w.u8(1);                                                                             // Revision
    w.u8(static_cast<std::uint8_t>(sub_authorities.size()));                             // SubAuthorityCount
    for (int i = 5; i >= 0; --i) w.u8(static_cast<std::uint8_t>(authority >> (8 * i)));  // big-endian
    for (std::uint32_t s : sub_authorities) w.u32(s);                                    // SubAuthority[]
    return w.take();
}

std::vector<std::byte> encode_process_event(const etl::ProcessEvent& e, unsigned pointer_size,
                                            const ProcessExtras& extras) {
    ByteWriter w(96 + e.image_file_name.size() + 2 * e.command_line.size());
    w.pointer(e.unique_process_key, pointer_size);    // UniqueProcessKey
    w.u32(e.process_id);                              // ProcessId
    w.u32(e.parent_id);                               // ParentId
    w.u32(e.session_id);                              // SessionId
    w.i32(e.exit_status);                             // ExitStatus
    w.pointer(e.directory_table_base, pointer_size);  // DirectoryTableBase
    if (extras.version >= 4) w.u32(extras.flags);     // Flags
    if (extras.user_sid.empty()) {
        w.u32(0);  // UserSID absent
    } else {
        // TOKEN_USER {SID_AND_ATTRIBUTES {PSID Sid; ULONG Attributes}} as logged: a non-null pointer
        // (the decoder tells "present" by a non-zero first dword), then the SID itself.
        w.pointer(pointer_size == 8 ? 0xFFFF'8000'0000'0010ULL : 0x8000'0010ULL, pointer_size);
        w.pointer(0, pointer_size);
        w.bytes(extras.user_sid);
    }
    w.cstr(e.image_file_name);           // ImageFileName (ANSI)
    w.utf16z(e.command_line);            // CommandLine
    w.utf16z(extras.package_full_name);  // PackageFullName
    w.utf16z(extras.application_id);     // ApplicationId
    return w.take();
}

std::uint16_t thread_hook(const etl::ThreadEvent& e) {
    switch (e.kind) {
        case etl::ThreadEvent::Kind::start:
            return etl::hook::kThreadStart;
        case etl::ThreadEvent::Kind::end:
            return etl::hook::kThreadEnd;
        case etl::ThreadEvent::Kind::dc_start:
            return etl::hook::kThreadDcStart;
        case etl::ThreadEvent::Kind::dc_end:
            return etl::hook::kThreadDcEnd;
    }
    return etl::hook::kThreadStart;
}

std::vector<std::byte> encode_thread_event(const etl::ThreadEvent& e, unsigned pointer_size,
                                           std::string_view thread_name) {
    ByteWriter w(80 + 2 * thread_name.size());
    w.u32(e.process_id);                              // ProcessId
    w.u32(e.thread_id);                               // TThreadId
    w.pointer(e.stack_base, pointer_size);            // StackBase
    w.pointer(e.stack_limit, pointer_size);           // StackLimit
    w.pointer(e.user_stack_base, pointer_size);       // UserStackBase
    w.pointer(e.user_stack_limit, pointer_size);      // UserStackLimit
    w.pointer(e.affinity, pointer_size);         // StartAddr (Affinity in the v3 MOF)
    w.pointer(e.win32_start_address, pointer_size);   // Win32StartAddr
    w.pointer(0, pointer_size);                       // TebBase
    w.u32(0);                                         // SubProcessTag
    w.u8(0);                                          // BasePriority
    w.u8(0);                                          // PagePriority
    w.u8(0);                                          // IoPriority
    w.u8(0);                                          // ThreadFlags
    if (!thread_name.empty()) w.utf16z(thread_name);  // ThreadName (newer versions)
    return w.take();
}

// ---- files -------------------------------------------------------------------------------------------

std::uint16_t file_name_hook(const etl::FileNameEvent& e) {
    return e.rundown ? etl::hook::kFileIoRundown : etl::hook::kFileIoName;
}

std::vector<std::byte> encode_file_name(const etl::FileNameEvent& e, unsigned pointer_size) {
    ByteWriter w(16 + 2 * e.file_name.size());
    w.pointer(e.file_object, pointer_size);  // FileObject
    w.utf16z(e.file_name);                   // FileName
    return w.take();
}

// ---- memory ------------------------------------------------------------------------------------------

std::vector<std::byte> encode_page_event(const etl::PageEvent& e, unsigned pointer_size) {
    ByteWriter w(24);
    w.u64(e.u1);                            // u1 (MMPFN_IDENTITY bit fields)
    w.pointer(e.page_frame, pointer_size);  // PageFrameIndex
    w.pointer(e.u2, pointer_size);          // u2 (VirtualAddress / FileObject / ProtoPte)
    return w.take();
}

std::uint64_t page_identity_u1(unsigned use, unsigned list, bool pinned, std::uint64_t key,
                               unsigned priority) {
    return (static_cast<std::uint64_t>(use) & 0xF) | ((static_cast<std::uint64_t>(list) & 0x7) << 4) |
           (static_cast<std::uint64_t>(pinned ? 1 : 0) << 8) | ((key & ((1ULL << 48) - 1)) << 9) |
           ((static_cast<std::uint64_t>(priority) & 0x7) << 57);
}

std::vector<std::byte> encode_mem_info(const etl::MemInfo& m, unsigned pointer_size) {
    ByteWriter w(26 * 8);
    // PERFINFO_MEMORY_INFORMATION (22 × SIZE_T)
    for (std::uint64_t v : {m.zero, m.free, m.modified, m.modified_no_write, m.bad})
        w.pointer(v, pointer_size);
    for (std::uint64_t v : m.standby_by_priority) w.pointer(v, pointer_size);     // PageCountByPriority
    for (std::uint64_t v : m.repurposed_by_priority) w.pointer(v, pointer_size);  // RepurposedPagesByPriority
    w.pointer(m.modified_page_file, pointer_size);                                // ModifiedPageCountPageFile
    // PERFINFO_SYSTEM_MEMORY_INFORMATION (4 × SIZE_T)
    for (std::uint64_t v : {m.paged_pool_commit, m.nonpaged_pool, m.mdl, m.commit})
        w.pointer(v, pointer_size);
    return w.take();
}

std::vector<std::byte> encode_mem_info_ws(const etl::MemInfoWs& m, unsigned pointer_size) {
    ByteWriter w(4 + m.entries.size() * 68);
    w.u32(static_cast<std::uint32_t>(m.entries.size()));  // Count
    for (const etl::MemInfoWsEntry& e : m.entries) {      // PERFINFO_WORKINGSET_ENTRY, pack(1)
        w.u32(e.id);
        for (std::uint64_t v : {e.working_set, e.commit, e.paged_pool_or_virtual, e.private_working_set,
                                e.store_size, e.stored_pages, e.commit_debt, e.shared_commit}) {
            w.pointer(v, pointer_size);
        }
    }
    return w.take();
}

std::uint16_t virtual_alloc_hook(const etl::VirtualAllocEvent& e) {
    if (e.rundown) return etl::hook::kVirtualAllocRundown;
    return e.free ? etl::hook::kVirtualFree : etl::hook::kVirtualAlloc;
}

std::vector<std::byte> encode_virtual_alloc(const etl::VirtualAllocEvent& e, unsigned pointer_size) {
    ByteWriter w(24);
    w.pointer(e.base, pointer_size);  // CapturedBase
    w.pointer(e.size, pointer_size);  // CapturedRegionSize
    w.u32(e.process_id);              // ProcessId
    w.u32(e.flags);                   // Flags
    return w.take();
}

}  // namespace bp::writer
