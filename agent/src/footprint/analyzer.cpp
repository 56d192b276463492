// One time-ordered pass over a trace → footprint rows (kernel-events.md §2–§4).
//
// Pool lifetimes: rows live in a slab; `open_` maps (address, session) to the open row. A free closes
// its row (or creates an "allocated outside" row); a second allocation at an open address closes the
// old row as implicitly freed. Closed rows wait a short horizon for their free stack, then go to the
// sink, so memory follows the live allocations. With AnalyzerOptions::send_open_after, a row open that
// long is also sent early (on_pool_open) and its complete form later (on_pool_closed).
// Stacks: a StackWalk (0x1820) or stack-key reference (0x1825/0x1826) belongs to the event with the
// same timestamp and thread (PerfView's rule); kernel and user halves are concatenated. Each distinct
// frame list is interned once and attributed once: the first frame in a kernel-mode image other than
// the kernel image names the module.
#include "bootprint/footprint/analyzer.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <unordered_map>

#include "bootprint/etl/event_decoders.hpp"
#include "bootprint/footprint/address_table.hpp"
#include "bootprint/footprint/ring_queue.hpp"
#include "image_map.hpp"

namespace bp::footprint {

namespace {

using etl::DecodeStatus;
using etl::EventRecord;

struct FramesHash {
    std::size_t operator()(const std::vector<std::uint64_t>& f) const noexcept {
        std::uint64_t h = 1469598103934665603ULL;
        for (auto v : f) h = (h ^ v) * 1099511628211ULL;
        return static_cast<std::size_t>(h);
    }
};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}
bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_registry_hive(const std::string& lower_path) {
    const std::string name = file_name_of(lower_path);
    static const char* kHives[] = {"system", "software", "security", "sam", "default", "components",
                                   "ntuser.dat", "usrclass.dat", "drivers", "bbi", "elam"};
    for (const char* h : kHives) {
        if (name == h && lower_path.find("\\config\\") != std::string::npos) return true;
    }
    return name == "ntuser.dat" || name == "usrclass.dat";
}

class Analyzer {
public:
    Analyzer(const etl::EtlFile& file, const AnalyzerOptions& opt, FootprintSink& sink)
        : file_(file), opt_(opt), sink_(sink), clock_(file.clock()) {
        horizon_ = std::max<std::int64_t>(clock_.ticks_from_seconds(0.010), 1);
        poll_every_ = until_poll_ = std::max<std::uint32_t>(opt_.poll_every, 1);
        if (opt_.send_open_after > 0) {
            // Never before the stack horizon: an early row has its allocation stack.
            send_after_ = std::max(clock_.ticks_from_seconds(opt_.send_open_after), horizon_ + 1);
        }
    }

    Result<TraceInfo> run() {
        etl::TimeOrderedReader reader(file_);
        std::uint64_t max_offset = 0;
        for (;;) {
            auto next = reader.next();
            if (!next) return std::move(next).error();
            const EventRecord* e = *next;
            if (!e) break;
            ++events_;
            if (e->family != etl::EventFamily::unknown && e->has_timestamp) {
                now_ = e->timestamp;
                last_ts_ = std::max(last_ts_, e->timestamp);
            }
            BP_TRY_STATUS(handle(*e));
            if (--until_poll_ == 0) {
                until_poll_ = poll_every_;
                BP_TRY_STATUS(expire(false));
                if (send_after_ != 0) BP_TRY_STATUS(send_open_rows());
                max_offset = std::max(max_offset, e->buffer_offset);
                if (opt_.progress) opt_.progress(max_offset, file_.file_size());
                if (opt_.check) BP_TRY_STATUS(opt_.check());
            }
        }
        read_stats_ = reader.stats();
        BP_TRY_STATUS(expire(true));
        return finish();
    }

private:
    // ---- dispatch ----------------------------------------------------------------------------------
    Status handle(const EventRecord& e) {
        if (e.family == etl::EventFamily::classic) {
            etl::DbgIdRsds d;
            const DecodeStatus st = etl::decode(e, d);
            if (st == DecodeStatus::ok) pdb_by_base_[d.image_base] = d;
            if (st == DecodeStatus::malformed) ++malformed_;
            return {};
        }
        if (e.family != etl::EventFamily::kernel) return {};
        switch (e.hook_group()) {
            case 0x0E: return on_pool_group(e);
            case 0x18: return on_stack_group(e);
            default: break;
        }
        switch (e.hook_id) {
            case etl::hook::kImageLoad:
            case etl::hook::kImageUnload:
            case etl::hook::kImageDcStart:
            case etl::hook::kImageDcEnd: on_image(e); break;
            case etl::hook::kProcessStart:
            case etl::hook::kProcessDcStart: on_process(e); break;
            case etl::hook::kFileIoName:
            case etl::hook::kFileIoFileCreate:
            case etl::hook::kFileIoFileDelete:
            case etl::hook::kFileIoRundown: on_file_name(e); break;
            case etl::hook::kPageInMemory:
            case etl::hook::kPageInMemoryActive:
            case etl::hook::kInMemoryActiveRundown: on_page(e); break;
            case etl::hook::kMemInfo: return on_meminfo(e);
            default: break;
        }
        return {};
    }

    // ---- images, processes, files ------------------------------------------------------------------
    void on_image(const EventRecord& e) {
        etl::ImageEvent im;
        if (etl::decode(e, im) != DecodeStatus::ok) {
            ++malformed_;
            return;
        }
        if (im.process_id != 0) return;  // user-mode image: not a driver
        if (im.kind == etl::ImageEvent::Kind::unload) {
            if (const Image* found = images_.find(im.image_base); found && found->base == im.image_base) {
                images_.by_id(found->id)->unload_time = clock_.to_filetime(e.timestamp);
            }
            return;
        }
        const Image* existing = images_.find(im.image_base);
        if (existing && existing->base == im.image_base && existing->size == im.image_size &&
            existing->unload_time == 0) {
            return;  // the same image seen again (rundown at start and end, merged traces)
        }
        Image img;
        img.base = im.image_base;
        img.size = im.image_size;
        img.process_id = 0;
        img.path = im.file_name;
        img.name = file_name_of(im.file_name);
        img.checksum = im.checksum;
        img.time_date_stamp = im.time_date_stamp;
        img.load_time = im.kind == etl::ImageEvent::Kind::load ? clock_.to_filetime(e.timestamp) : 0;
        images_.add(std::move(img));
    }

    void on_process(const EventRecord& e) {
        etl::ProcessEvent p;
        if (etl::decode(e, p) != DecodeStatus::ok) {
            ++malformed_;
            return;
        }
        process_names_[p.process_id] = p.image_file_name;
    }

    void on_file_name(const EventRecord& e) {
        etl::FileNameEvent f;
        if (etl::decode(e, f) != DecodeStatus::ok) {
            ++malformed_;
            return;
        }
        file_names_[f.file_object] = f.file_name;
    }

    // ---- pool --------------------------------------------------------------------------------------
    // One live pool row, 64 bytes: everything known about it until it closes. Its free's time goes
    // with it into closed_, and the module is looked up when it is emitted.
    struct Slot {
        std::uint64_t address = 0;
        std::uint64_t size = 0;
        std::int64_t alloc_time = 0;  // meaningful when alloc_known
        std::uint32_t serial = 0;     // allocation order; 0 while the slot is free
        std::uint32_t sent_row = 0;   // PoolAllocation::row when sent early (on_pool_open), else 0
        std::uint32_t tag = 0;
        std::uint32_t pool_type = 0;
        std::uint32_t session_id = kNoSession;
        std::uint32_t process_id = 0xFFFFFFFF;
        std::uint32_t thread_id = 0xFFFFFFFF;
        std::uint32_t alloc_stack_id = 0;
        std::uint32_t free_stack_id = 0;
        bool alloc_known = false;
        bool closed = false;  // freed (or replaced), waiting for the stack horizon in closed_
    };
    static_assert(sizeof(Slot) == 64);

    // The live rows: chunks of 64 Ki slots (4 MiB), so growing never moves a row and an index finds its
    // row through a chunk table small enough to stay in the L1 cache (a std::deque's 8-slot blocks
    // put a likely cache miss in front of every row).
    class SlotStore {
    public:
        Slot& operator[](std::uint32_t i) { return chunks_[i >> kShift][i & kMask]; }
        std::uint32_t size() const { return size_; }
        void grow_one() {
            if ((size_ & kMask) == 0) chunks_.push_back(std::make_unique<Slot[]>(kMask + 1));
            ++size_;
        }
        void prefetch(std::uint32_t i) const { __builtin_prefetch(&chunks_[i >> kShift][i & kMask]); }

    private:
        static constexpr unsigned kShift = 16;
        static constexpr std::uint32_t kMask = (1u << kShift) - 1;
        std::vector<std::unique_ptr<Slot[]>> chunks_;
        std::uint32_t size_ = 0;
    };

    static PoolAllocation row_of(const Slot& s) {
        PoolAllocation row;
        row.tag = s.tag;
        row.pool_type = s.pool_type;
        row.size = s.size;
        row.address = s.address;
        row.session_id = s.session_id;
        row.alloc_known = s.alloc_known;
        row.alloc_time = s.alloc_known ? s.alloc_time : 0;
        row.process_id = s.process_id;
        row.thread_id = s.thread_id;
        row.alloc_stack_id = s.alloc_stack_id;
        row.free_stack_id = s.free_stack_id;
        return row;
    }

    // Slots and rows are numbered in 32 bits: a trace with 4 G pool allocations would be ~700 GB.
    static constexpr std::uint32_t kMaxNumber = 0xFFFFFFFF;
    Error too_many() const {
        return make_error(Errc::unsupported, "more than 4.29 billion pool allocations in one trace")
            .with_path(file_.path());
    }

    std::uint32_t new_slot() {
        std::uint32_t i;
        if (!free_slots_.empty()) {
            i = free_slots_.back();
            free_slots_.pop_back();
        } else {
            i = slots_.size();
            slots_.grow_one();
        }
        slots_[i] = Slot{};
        slots_[i].serial = ++serial_;  // on_pool_group() stops well before this wraps
        return i;
    }

    // The fields a pool event gives every row, allocation or free.
    Slot& fill_slot(std::uint32_t slot, const etl::PoolEvent& pe, std::uint32_t session) {
        Slot& row = slots_[slot];
        row.tag = pe.tag;
        row.pool_type = pe.pool_type;
        row.size = pe.size;
        row.address = pe.address;
        row.session_id = session;
        return row;
    }

    void track_big(const Slot& row, bool add) {
        if (!etl::pool_is_big(row.pool_type)) return;
        if (add) big_live_[row.address] = {row.size, row.tag};
        else big_live_.erase(row.address);
    }

    void close_slot(std::uint32_t slot, std::int64_t when, bool implicit) {
        track_big(slots_[slot], false);
        slots_[slot].closed = true;
        closed_.push_back({slot, implicit, when, when + horizon_});
    }

    Status on_pool_group(const EventRecord& e) {
        // One event makes at most a few thousand slots (a big-pool snapshot's entries fill ≤ 64 KiB).
        if (serial_ > kMaxNumber - 0x10000) [[unlikely]] return too_many();
        if (e.hook_id >= etl::hook::kPoolAlloc && e.hook_id <= etl::hook::kPoolFreeSession) {
            if (etl::decode(e, pool_event_) != DecodeStatus::ok) {
                ++malformed_;
                return {};
            }
            on_pool_event(e, pool_event_);
            return {};
        }
        etl::PoolSnap ps;
        if (const DecodeStatus snap_status = etl::decode(e, ps); snap_status != DecodeStatus::not_this) {
            if (snap_status != DecodeStatus::ok) {
                ++malformed_;
                return {};
            }
            for (const auto& s : ps.entries) {
                PoolSnapRow r;
                r.at_end = ps.is_end;
                r.session_id = ps.session_id;
                r.tag = etl::pool_tag_string(s.tag);
                r.paged_allocs = s.paged_allocs;
                r.paged_frees = s.paged_frees;
                r.paged_used = s.paged_used;
                r.nonpaged_allocs = s.nonpaged_allocs;
                r.nonpaged_frees = s.nonpaged_frees;
                r.nonpaged_used = s.nonpaged_used;
                BP_TRY_STATUS(sink_.on_pool_snap(r));
            }
            return {};
        }
        etl::BigPoolSnap bs;
        if (const DecodeStatus big_status = etl::decode(e, bs); big_status != DecodeStatus::not_this) {
            if (big_status != DecodeStatus::ok) {
                ++malformed_;
                return {};
            }
            if (bs.is_end) return {};
            // Big allocations that existed before the trace: "allocated outside" rows whose frees
            // will now find them (kernel-events.md §3.4 step 6).
            for (const auto& b : bs.entries) {
                if (open_.contains(b.address, bs.session_id)) continue;
                const std::uint32_t slot = new_slot();
                Slot& row = slots_[slot];
                row.tag = b.tag;
                row.pool_type = (b.nonpaged ? 0u : etl::kPoolTypePaged) | etl::kPoolTypeBigPool |
                                (bs.session_id != etl::kNoSession ? etl::kPoolTypeSession : 0u);
                row.size = b.size;
                row.address = b.address;
                row.session_id = bs.session_id;
                row.alloc_known = false;
                open_.assign(b.address, bs.session_id, slot);
                peak_live_ = std::max<std::uint64_t>(peak_live_, open_.size());
                track_big(row, true);
            }
        }
        return {};
    }

    void on_pool_event(const EventRecord& e, const etl::PoolEvent& pe) {
        const std::uint32_t session = pe.is_session ? pe.session_id : kNoSession;
        const std::uint32_t tid = e.thread_id;
        if (pe.is_alloc) {
            const std::uint32_t slot = new_slot();
            if (std::uint32_t* open = open_.find(pe.address, session)) {
                close_slot(*open, e.timestamp, true);  // its free was lost
                *open = slot;
            } else {
                open_.assign(pe.address, session, slot);
                peak_live_ = std::max<std::uint64_t>(peak_live_, open_.size());
            }
            Slot& row = fill_slot(slot, pe, session);
            row.alloc_known = true;
            row.alloc_time = e.timestamp;
            row.process_id = e.process_id;
            row.thread_id = tid;
            track_big(row, true);
            waits_.push_back({e.timestamp, tid, slot, slots_[slot].serial, false});
            if (send_after_ != 0) young_.push_back({e.timestamp, slot, slots_[slot].serial});
            return;
        }
        std::uint32_t slot = 0;
        if (!open_.erase(pe.address, session, &slot)) {
            // A free without an allocation: the memory was allocated before the trace (or the
            // allocation was lost). The free carries the full ETW_POOL_EVENT, so the row is complete.
            slot = new_slot();
            fill_slot(slot, pe, session).alloc_known = false;
        }
        close_slot(slot, e.timestamp, false);
        waits_.push_back({e.timestamp, tid, slot, slots_[slot].serial, true});
    }

    // ---- stacks ------------------------------------------------------------------------------------
    struct Wait {
        std::int64_t ts;
        std::uint32_t tid;
        std::uint32_t slot;
        std::uint32_t serial;
        bool is_free;
    };

    Status on_stack_group(const EventRecord& e) {
        switch (e.hook_id) {
            case etl::hook::kStackWalk:
                if (etl::decode(e, stack_walk_) != DecodeStatus::ok) {
                    ++malformed_;
                    return {};
                }
                return attach(stack_walk_.event_timestamp, stack_walk_.thread_id, stack_walk_.frames, 0);
            case etl::hook::kStackKeyKernel:
            case etl::hook::kStackKeyUser: {
                etl::StackKeyReference ref;
                if (etl::decode(e, ref) != DecodeStatus::ok) {
                    ++malformed_;
                    return {};
                }
                auto [it, inserted] = key_stacks_.try_emplace(ref.key, 0);
                if (inserted) {
                    it->second = new_stack_id({});
                    set_unresolved(it->second, true);
                }
                return attach(ref.event_timestamp, ref.thread_id, {}, it->second);
            }
            case etl::hook::kStackKeyDelete:
            case etl::hook::kStackKeyRundown: {
                etl::StackKeyDefinition def;
                if (etl::decode(e, def) != DecodeStatus::ok) {
                    ++malformed_;
                    return {};
                }
                auto it = key_stacks_.find(def.key);
                if (it == key_stacks_.end() || !unresolved(it->second)) return {};
                stack_frames_[it->second - 1] = def.frames;
                set_unresolved(it->second, false);
                attribute(it->second);
                return emit_stack(it->second);
            }
            default:
                return {};
        }
    }

    bool unresolved(std::uint32_t id) const { return id != 0 && id <= unresolved_.size() && unresolved_[id - 1]; }
    void set_unresolved(std::uint32_t id, bool on) {
        if (unresolved_.size() < id) unresolved_.resize(id, 0);
        unresolved_[id - 1] = on ? 1 : 0;
    }

    std::uint32_t new_stack_id(std::vector<std::uint64_t> frames) {
        stack_frames_.push_back(std::move(frames));
        stack_module_.push_back({0, "Unknown", Attribution::none});
        return static_cast<std::uint32_t>(stack_frames_.size());
    }

    Result<std::uint32_t> intern(const std::vector<std::uint64_t>& frames) {
        auto it = stack_ids_.find(frames);
        if (it != stack_ids_.end()) return it->second;
        const std::uint32_t id = new_stack_id(frames);
        stack_ids_.emplace(frames, id);
        attribute(id);
        BP_TRY_STATUS(emit_stack(id));
        return id;
    }

    void attribute(std::uint32_t id) {
        bool saw_kernel = false;
        auto& m = stack_module_[id - 1];
        for (std::uint64_t f : stack_frames_[id - 1]) {
            const Image* img = images_.find(f);
            if (!img) continue;
            if (images_.is_kernel(img)) {
                saw_kernel = true;
                continue;
            }
            m = {img->id, img->name, Attribution::stack};
            return;
        }
        if (saw_kernel) {
            const Image* k = images_.by_id(images_.kernel_id());
            m = {k->id, k->name, Attribution::kernel_only};
        } else {
            m = {0, "Unknown", Attribution::none};
        }
    }

    Status emit_stack(std::uint32_t id) {
        Stack s;
        s.id = id;
        s.frames = stack_frames_[id - 1];
        s.module_image_id = stack_module_[id - 1].image_id;
        s.module = stack_module_[id - 1].name;
        s.attribution = stack_module_[id - 1].attribution;
        return sink_.on_stack(s);
    }

    // Finds the pool event this stack belongs to: same timestamp, same thread (or an event without a
    // thread id), most recent first.
    Status attach(std::int64_t ts, std::uint32_t tid, const std::vector<std::uint64_t>& frames, std::uint32_t key_id) {
        // The stack follows its event closely: scan the waits backwards from the newest.
        Wait* best = nullptr;
        for (std::size_t i = waits_.size(); i-- > 0 && waits_[i].ts >= ts;) {
            Wait* it = &waits_[i];
            if (it->ts != ts) continue;
            if (it->tid == tid) {
                best = it;
                break;
            }
            if (!best && it->tid == etl::kNoId) best = it;
        }
        if (!best) return {};
        Slot& slot = slots_[best->slot];
        if (slot.serial != best->serial) return {};  // the slot was emitted (and perhaps reused)
        std::uint32_t& target = best->is_free ? slot.free_stack_id : slot.alloc_stack_id;
        if (key_id != 0) {
            if (target == 0) target = key_id;
            return {};
        }
        if (target != 0 && !unresolved(target)) {  // a second half: kernel frames first, then user
            std::vector<std::uint64_t> all = stack_frames_[target - 1];
            all.insert(all.end(), frames.begin(), frames.end());
            BP_TRY(target, intern(all));
            return {};
        }
        BP_TRY(target, intern(frames));
        return {};
    }

    // ---- emission ------------------------------------------------------------------------------------
    void set_module(PoolAllocation& row) {
        if (row.alloc_stack_id != 0 && !unresolved(row.alloc_stack_id)) {
            const auto& m = stack_module_[row.alloc_stack_id - 1];
            row.module = m.name;
            row.attribution = m.attribution;
            return;
        }
        if (opt_.pooltags) {
            std::string binary = opt_.pooltags->lookup(etl::pool_tag_string(row.tag));
            if (!binary.empty()) {
                row.module = binary;
                row.attribution = Attribution::pooltag;
                return;
            }
        }
        row.module = "Unknown";
        row.attribution = Attribution::none;
    }

    Result<std::uint64_t> number_row() {
        if (rows_numbered_ == kMaxNumber - 1) return too_many();
        return ++rows_numbered_;
    }

    // A complete row: the complete form of an early-sent one (`sent_row`), or a new row.
    Status emit_row(PoolAllocation& row, std::uint32_t sent_row) {
        if (sent_row != 0) {  // its allocation stack was resolved when it was sent
            row.row = sent_row;
            set_module(row);
            return sink_.on_pool_closed(row);
        }
        if (row.alloc_stack_id != 0 && unresolved(row.alloc_stack_id)) {
            deferred_.push_back(row);  // its stack key is defined later (rundown at the end)
            return {};
        }
        set_module(row);
        BP_TRY(row.row, number_row());
        return sink_.on_pool_allocation(row);
    }

    // Sends the rows allocated more than send_after_ ago that are still open, as they stand.
    Status send_open_rows() {
        while (!young_.empty() && young_.front().alloc_time < now_ - send_after_) {
            if (young_.size() > kPrefetch) slots_.prefetch(young_[kPrefetch].slot);
            const Young y = young_.front();
            young_.pop_front();
            Slot& s = slots_[y.slot];
            if (s.serial != y.serial || s.closed) continue;                      // freed meanwhile
            if (s.alloc_stack_id != 0 && unresolved(s.alloc_stack_id)) continue;  // module known at the end
            PoolAllocation row = row_of(s);
            set_module(row);
            BP_TRY(row.row, number_row());
            s.sent_row = static_cast<std::uint32_t>(row.row);
            BP_TRY_STATUS(sink_.on_pool_open(row));
        }
        return {};
    }

    // Emits closed rows whose stack horizon has passed (all of them when `all`); drops old waits.
    Status expire(bool all) {
        while (!closed_.empty() && (all || closed_.front().ready < now_)) {
            // The rows were freed a while ago and are likely out of the cache: ask for a few ahead.
            if (closed_.size() > kPrefetch) slots_.prefetch(closed_[kPrefetch].slot);
            const Closed c = closed_.front();
            closed_.pop_front();
            PoolAllocation row = row_of(slots_[c.slot]);
            row.freed = true;
            row.free_time = c.free_time;
            row.implicitly_freed = c.implicit;
            const std::uint32_t sent_row = slots_[c.slot].sent_row;
            slots_[c.slot].serial = 0;
            free_slots_.push_back(c.slot);
            BP_TRY_STATUS(emit_row(row, sent_row));
        }
        while (!waits_.empty() && (all || waits_.front().ts + horizon_ < now_)) waits_.pop_front();
        return {};
    }

    // ---- resident set --------------------------------------------------------------------------------
    struct PageKey {
        std::uint32_t snapshot;
        std::uint8_t use;
        std::uint8_t list;
        bool image;
        std::uint64_t object;  // file object, pid, or big-pool tag
        bool operator<(const PageKey& o) const {
            return std::tie(snapshot, use, list, image, object) < std::tie(o.snapshot, o.use, o.list, o.image, o.object);
        }
    };

    void on_page(const EventRecord& e) {
        etl::PageEvent pg;
        if (etl::decode(e, pg) != DecodeStatus::ok) {
            ++malformed_;
            return;
        }
        PageKey k{std::max<std::uint32_t>(snapshot_, 1), static_cast<std::uint8_t>(pg.use()),
                  static_cast<std::uint8_t>(pg.list()), false, 0};
        switch (pg.use()) {
            case 0:  // ProcessPrivate: PID in the u1 overlay
                k.object = pg.key();
                break;
            case 1:  // File: u2 is the FileObject; bit 0 = image section
            case 8:  // MetaFile
                k.object = pg.u2 & ~std::uint64_t{3};
                k.image = (pg.u2 & 1) != 0;
                break;
            case 4:
            case 5: {  // pool pages: tagged when a live big-pool allocation covers the page
                auto it = big_live_.upper_bound(pg.u2 | 0xFFF);
                if (it != big_live_.begin()) {
                    --it;
                    if (pg.u2 < it->first + it->second.first && pg.u2 + 4096 > it->first) k.object = 0x100000000ULL | it->second.second;
                }
                break;
            }
            default: break;
        }
        if (snapshot_ == 0) {
            snapshot_ = 1;  // pages without a MemInfo before them: the first snapshot
            snapshot_start_ = e.timestamp;
        }
        k.snapshot = snapshot_;
        ++pages_[k];
        pages_in_snapshot_ = true;
    }

    Status on_meminfo(const EventRecord& e) {
        etl::MemInfo mi;
        if (etl::decode(e, mi) != DecodeStatus::ok) {
            ++malformed_;
            return {};
        }
        // The kernel logs MemInfo right before walking the pages. A MemInfo starts a new snapshot only
        // when pages were seen since the current one began at an earlier time (MemInfo and pages of
        // one rundown share a timestamp and may interleave across processors).
        if (snapshot_ == 0 || (pages_in_snapshot_ && e.timestamp > snapshot_start_)) {
            ++snapshot_;
            snapshot_start_ = e.timestamp;
            pages_in_snapshot_ = false;
        }
        MemInfoSample s;
        s.time = clock_.to_filetime(e.timestamp);
        s.zero = mi.zero;
        s.free = mi.free;
        s.modified = mi.modified;
        for (auto v : mi.standby_by_priority) s.standby += v;
        s.paged_pool_commit = mi.paged_pool_commit;
        s.nonpaged_pool = mi.nonpaged_pool;
        s.commit = mi.commit;
        return sink_.on_meminfo(s);
    }

    std::pair<std::string, std::string> category_of(const PageKey& k) const {
        auto file_name = [&] {
            auto it = file_names_.find(k.object);
            return it == file_names_.end() ? std::string() : it->second;
        };
        switch (k.use) {
            case 0: {
                auto it = process_names_.find(static_cast<std::uint32_t>(k.object));
                return {"ProcessPrivate", it != process_names_.end() ? it->second : "pid " + std::to_string(k.object)};
            }
            case 1: {
                const std::string path = file_name();
                const std::string l = lower(path);
                if (k.image) return {ends_with(l, ".sys") ? "Driver" : "Image", path};
                if (ends_with(l, ".sys")) return {"DriverFile", path};
                if (is_registry_hive(l)) return {"RegistryFile", path};
                if (ends_with(l, ".pf")) return {"Prefetcher", path};
                return {"MapFile", path};
            }
            case 2: return {"PFMappedSection", ""};
            case 3: return {"PageTable", ""};
            case 4:
            case 5: {
                const std::string desc = k.object ? "BigPool " + etl::pool_tag_string(static_cast<std::uint32_t>(k.object)) : "OtherPool";
                return {k.use == 4 ? "PagedPool" : "NonPagedPool", desc};
            }
            case 6: return {"SystemPage", "SystemPTE:Page"};
            case 7: return {"SessionPrivate", ""};
            case 8: return {"MetaFile", file_name()};
            case 9: return {"AWEPage", ""};
            case 10: return {"DriverLockedSystemPage", ""};
            case 11: return {"KernelStack", "KernelStack:Page"};
            case 12: return {"WsMetaData", ""};
            case 13: return {"LargePage", ""};
            default: return {"Unknown", ""};
        }
    }

    // ---- finish ------------------------------------------------------------------------------------
    Result<TraceInfo> finish() {
        // Rows still open: never freed inside the trace ("freed outside").
        // Every closed row was emitted (expire(true)), so the slots in use are exactly the open rows:
        // one pass over the slots in memory order, not a cache miss per row through the table. Rows
        // sent early are complete as they are and go now, in that order; the others are numbered in
        // allocation order: (serial, slot) pairs sort without touching the rows.
        std::vector<std::pair<std::uint32_t, std::uint32_t>> unsent;
        std::size_t in_use = 0;
        for (std::uint32_t slot = 0; slot < slots_.size(); ++slot) {
            const Slot& s = slots_[slot];
            if (s.serial == 0) continue;
            ++in_use;
            if (s.sent_row == 0) {
                unsent.emplace_back(s.serial, slot);
                continue;
            }
            PoolAllocation row = row_of(s);
            BP_TRY_STATUS(emit_row(row, s.sent_row));
        }
        if (in_use != open_.size()) {
            return make_error(Errc::internal, std::to_string(in_use) + " slots in use for " +
                                                  std::to_string(open_.size()) + " open rows")
                .with_path(file_.path());
        }
        std::sort(unsent.begin(), unsent.end());
        for (std::size_t i = 0; i < unsent.size(); ++i) {
            if (i + kPrefetch < unsent.size()) slots_.prefetch(unsent[i + kPrefetch].second);
            PoolAllocation row = row_of(slots_[unsent[i].second]);
            BP_TRY_STATUS(emit_row(row, 0));
        }
        open_.clear();
        // Rows whose stack keys were defined late (or never): resolved now.
        for (auto& row : deferred_) {
            if (row.alloc_stack_id != 0 && unresolved(row.alloc_stack_id)) row.alloc_stack_id = 0;
            if (row.free_stack_id != 0 && unresolved(row.free_stack_id)) row.free_stack_id = 0;
            set_module(row);
            BP_TRY(row.row, number_row());
            BP_TRY_STATUS(sink_.on_pool_allocation(row));
        }
        // Resident set rows, aggregated by (snapshot, category, path, list).
        std::map<std::tuple<std::uint32_t, std::string, std::string, std::string>, std::uint64_t> rows;
        for (const auto& [k, pages] : pages_) {
            auto [category, path] = category_of(k);
            rows[{k.snapshot, category, path, etl::page_list_name(k.list)}] += pages;
        }
        for (const auto& [k, pages] : rows) {
            ResidentRow r;
            r.snapshot = std::get<0>(k);
            r.category = std::get<1>(k);
            r.path = std::get<2>(k);
            r.list = std::get<3>(k);
            r.pages = pages;
            BP_TRY_STATUS(sink_.on_resident(r));
        }
        // Images, with the PDB identity merged in by KernelTraceControl.
        for (const Image& img : images_.images()) {
            Image out = img;
            if (auto it = pdb_by_base_.find(img.base); it != pdb_by_base_.end()) {
                out.pdb_guid = it->second.pdb_guid;
                out.pdb_age = it->second.age;
                out.pdb_name = it->second.pdb_file_name;
            }
            BP_TRY_STATUS(sink_.on_image(out));
        }

        const etl::LogfileHeader& h = file_.header();
        TraceInfo info;
        info.path = file_.path();
        info.sha256 = opt_.sha256;
        info.bytes = file_.file_size();
        info.os_version = std::to_string(h.os_major) + "." + std::to_string(h.os_minor);
        info.os_build = h.build;
        info.pointer_size = h.pointer_size;
        info.processors = h.processors;
        info.start_time = static_cast<std::int64_t>(h.start_time);
        info.end_time = clock_.to_filetime(std::max(last_ts_, clock_.start_raw()));
        info.boot_time = static_cast<std::int64_t>(h.boot_time);
        info.events = events_;
        info.events_lost = h.events_lost;
        info.buffers_lost = h.buffers_lost;
        info.lost_flagged_buffers = read_stats_.buffers_events_lost + read_stats_.buffers_buffer_lost;
        info.malformed_events = malformed_;
        info.peak_live_allocations = peak_live_;
        info.unknown_records = read_stats_.unknown_records;
        const Window whole{clock_.start_raw(), std::max(last_ts_, clock_.start_raw()) + 1};
        BP_TRY_STATUS(sink_.on_finish(info, whole));
        return info;
    }

    struct ModuleOf {
        std::uint32_t image_id;
        std::string name;
        Attribution attribution;
    };
    struct Closed {
        std::uint32_t slot;
        bool implicit;           // closed because its address was allocated again
        std::int64_t free_time;  // raw clock
        std::int64_t ready;      // emitted once the clock passes this (the stack horizon)
    };
    struct Young {  // an allocation, in time order, until send_open_rows() looks at it
        std::int64_t alloc_time;
        std::uint32_t slot;
        std::uint32_t serial;
    };

    const etl::EtlFile& file_;
    const AnalyzerOptions& opt_;
    FootprintSink& sink_;
    etl::TraceClock clock_;
    std::int64_t horizon_ = 1;
    std::int64_t send_after_ = 0;  // ticks; 0: rows are never sent early
    std::uint32_t poll_every_ = 65536;
    std::uint32_t until_poll_ = 65536;  // events until the next periodic work
    std::uint64_t rows_numbered_ = 0;
    std::int64_t now_ = 0;
    std::int64_t last_ts_ = 0;
    std::uint64_t events_ = 0;
    static constexpr std::size_t kPrefetch = 8;  // rows ahead to prefetch where rows are visited out of order
    std::uint64_t malformed_ = 0;
    etl::ReadStats read_stats_;

    ImageMap images_;
    std::unordered_map<std::uint64_t, etl::DbgIdRsds> pdb_by_base_;
    std::unordered_map<std::uint32_t, std::string> process_names_;
    std::unordered_map<std::uint64_t, std::string> file_names_;

    SlotStore slots_;
    std::vector<std::uint32_t> free_slots_;
    std::uint32_t serial_ = 0;
    std::uint64_t peak_live_ = 0;
    AddressTable open_;  // (address, session) → slot of the open row
    RingQueue<Closed> closed_;
    RingQueue<Wait> waits_;
    RingQueue<Young> young_;  // only with send_after_
    std::vector<PoolAllocation> deferred_;
    std::map<std::uint64_t, std::pair<std::uint64_t, std::uint32_t>> big_live_;  // address → (size, tag)

    std::unordered_map<std::vector<std::uint64_t>, std::uint32_t, FramesHash> stack_ids_;
    std::vector<std::vector<std::uint64_t>> stack_frames_;
    std::vector<ModuleOf> stack_module_;
    std::unordered_map<std::uint64_t, std::uint32_t> key_stacks_;
    std::vector<std::uint8_t> unresolved_;  // by stack id - 1: a key reference not yet defined

    etl::PoolEvent pool_event_;   // reused decode targets: no allocation per event
    etl::StackWalk stack_walk_;
    std::uint32_t snapshot_ = 0;
    std::int64_t snapshot_start_ = 0;
    bool pages_in_snapshot_ = false;
    std::map<PageKey, std::uint64_t> pages_;
};

}  // namespace

Result<TraceInfo> analyze_trace(const etl::EtlFile& file, const AnalyzerOptions& options, FootprintSink& sink) {
    Analyzer analyzer(file, options, sink);
    return analyzer.run();
}

}  // namespace bp::footprint
