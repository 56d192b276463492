// Scenario → boot trace. See boot_trace.hpp for what is written; kernel-events.md for the layouts.
#include "bootprint/writer/boot_trace.hpp"

#include <algorithm>
#include <limits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <queue>
#include <sstream>

#include "bootprint/etl/event_decoders.hpp"
#include "bootprint/writer/kernel_payloads.hpp"

namespace bp::writer {

namespace {

using nlohmann::json;

// ---- deterministic randomness (same numbers on every platform) ----------------------------------
class Rng {
public:
    explicit Rng(std::uint64_t seed) : s_(seed) {}
    std::uint64_t next() {  // splitmix64
        std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
    double symmetric() { return 2.0 * uniform() - 1.0; }  // [-1, 1)
    double exponential(double mean) { return -mean * std::log(1.0 - uniform()); }
    std::uint64_t below(std::uint64_t n) { return n ? next() % n : 0; }

private:
    std::uint64_t s_;
};

std::uint32_t tag_value(const std::string& tag) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const auto c = static_cast<std::uint8_t>(i < tag.size() ? tag[i] : ' ');
        v |= static_cast<std::uint32_t>(c) << (8 * i);
    }
    return v;
}

const char* kUseNames[] = {"ProcessPrivate", "File", "PageFileMapped", "PageTable", "PagedPool", "NonPagedPool",
                           "SystemPTE", "SessionPrivate", "MetaFile", "AWEPage", "DriverLockPage", "KernelStack",
                           "WSMetaData", "LargePage"};
const char* kListNames[] = {"Zero", "Free", "Standby", "Modified", "ModifiedNoWrite", "Bad", "Active", "Transition"};

template <std::size_t N>
int index_of(const char* const (&names)[N], const std::string& name) {
    for (std::size_t i = 0; i < N; ++i) {
        if (name == names[i]) return static_cast<int>(i);
    }
    return -1;
}

// ---- scenario parsing -------------------------------------------------------------------------------
std::uint64_t as_u64(const json& j) {
    if (j.is_string()) {
        const std::string s = j.get<std::string>();
        std::size_t used = 0;
        const std::uint64_t v = std::stoull(s, &used, 0);
        if (used != s.size()) throw std::invalid_argument("not a number: " + s);
        return v;
    }
    return j.get<std::uint64_t>();
}

template <class T>
void opt(const json& j, const char* key, T& out) {
    if (j.contains(key)) out = j.at(key).get<T>();
}
void opt_u64(const json& j, const char* key, std::uint64_t& out) {
    if (j.contains(key)) out = as_u64(j.at(key));
}

Scenario scenario_from_json(const json& j) {
    Scenario s;
    opt(j, "name", s.name);
    opt_u64(j, "seed", s.seed);
    opt(j, "pointer_size", s.pointer_size);
    opt(j, "processors", s.processors);
    opt(j, "compress", s.compress);
    opt(j, "buffer_size", s.buffer_size);
    opt(j, "build", s.build);
    opt_u64(j, "perf_freq", s.perf_freq);
    opt_u64(j, "start_time", s.start_time);
    opt(j, "duration_s", s.duration_s);
    opt(j, "pool_snapshots", s.pool_snapshots);
    opt(j, "resident_set", s.resident_set);
    opt(j, "events_lost", s.events_lost);
    if (j.contains("kernel")) {
        const json& k = j.at("kernel");
        opt(k, "name", s.kernel_name);
        opt_u64(k, "base", s.kernel_base);
        opt_u64(k, "size", s.kernel_size);
        opt(k, "code_pages", s.kernel_code_pages);
    }
    for (const json& d : j.value("drivers", json::array())) {
        ScenarioDriver x;
        x.name = d.at("name").get<std::string>();
        opt(d, "path", x.path);
        opt_u64(d, "base", x.base);
        opt_u64(d, "size", x.size);
        opt(d, "load_at_s", x.load_at_s);
        opt(d, "code_pages", x.code_pages);
        opt(d, "standby_pages", x.standby_pages);
        opt(d, "data_pages", x.data_pages);
        opt(d, "pages_jitter", x.pages_jitter);
        if (d.contains("pdb")) {
            const json& pdb = d.at("pdb");
            const std::string guid = pdb.at("guid").get<std::string>();
            x.pdb_guid = Guid::parse(guid);
            if (!x.pdb_guid) throw std::invalid_argument("driver '" + x.name + "': pdb guid '" + guid + "' is not a GUID");
            opt(pdb, "age", x.pdb_age);
            x.pdb_name = pdb.at("name").get<std::string>();
        }
        s.drivers.push_back(x);
    }
    for (const json& p : j.value("pool", json::array())) {
        ScenarioPool x;
        x.tag = p.at("tag").get<std::string>();
        x.driver = p.at("driver").get<std::string>();
        opt(p, "paged", x.paged);
        opt(p, "nx", x.nx);
        if (p.contains("session")) x.session = p.at("session").get<std::uint32_t>();
        opt_u64(p, "size", x.size);
        opt_u64(p, "size_jitter", x.size_jitter);
        opt(p, "count", x.count);
        opt(p, "count_jitter", x.count_jitter);
        opt(p, "free_fraction", x.free_fraction);
        opt(p, "mean_lifetime_s", x.mean_lifetime_s);
        opt(p, "preexisting", x.preexisting);
        opt(p, "stacks", x.stacks);
        s.pool.push_back(x);
    }
    for (const json& e : j.value("events", json::array())) {
        ScenarioEvent x;
        x.t = e.at("t").get<double>();
        const std::string kind = e.at("kind").get<std::string>();
        if (kind != "alloc" && kind != "free") throw std::invalid_argument("event kind must be alloc or free: " + kind);
        x.alloc = kind == "alloc";
        x.tag = e.at("tag").get<std::string>();
        x.size = as_u64(e.at("size"));
        x.address = as_u64(e.at("address"));
        if (e.contains("pool_type")) x.pool_type = static_cast<std::uint32_t>(as_u64(e.at("pool_type")));
        if (e.contains("session")) x.session = e.at("session").get<std::uint32_t>();
        opt(e, "thread_id", x.thread_id);
        opt(e, "stack", x.stack);
        s.events.push_back(x);
    }
    for (const json& p : j.value("pages", json::array())) {
        ScenarioPages x;
        opt(p, "use", x.use);
        opt(p, "list", x.list);
        opt(p, "file", x.file);
        opt(p, "driver", x.driver);
        opt(p, "image", x.image);
        opt(p, "pid", x.pid);
        opt_u64(p, "va", x.va);
        opt(p, "count", x.count);
        if (index_of(kUseNames, x.use) < 0) throw std::invalid_argument("unknown page use '" + x.use + "'");
        if (index_of(kListNames, x.list) < 0) throw std::invalid_argument("unknown page list '" + x.list + "'");
        s.pages.push_back(x);
    }
    for (const json& p : j.value("processes", json::array())) {
        ScenarioProcess x;
        x.pid = p.at("pid").get<std::uint32_t>();
        opt(p, "parent", x.parent);
        x.name = p.at("name").get<std::string>();
        opt(p, "start_at_s", x.start_at_s);
        s.processes.push_back(x);
    }
    return s;
}

Status check_scenario(const Scenario& s, const std::string& src) {
    auto bad = [&](const std::string& what) { return make_error(Errc::invalid_argument, src + ": " + what); };
    if (s.pointer_size != 4 && s.pointer_size != 8) return bad("pointer_size must be 4 or 8");
    if (s.processors == 0 || s.processors > 64) return bad("processors must be 1 to 64");
    if (!(s.duration_s > 0) || s.duration_s > 86400) return bad("duration_s must be in (0, 86400]");
    if (s.perf_freq == 0) return bad("perf_freq must be positive");
    for (const auto& p : s.pool) {
        if (p.tag.empty() || p.tag.size() > 4) return bad("pool tag '" + p.tag + "' must have 1 to 4 characters");
        if (p.count < 0 || p.free_fraction < 0 || p.free_fraction > 1) return bad("pool '" + p.tag + "': bad count/free_fraction");
        if (p.size == 0) return bad("pool '" + p.tag + "': size must be positive");
    }
    for (const auto& e : s.events) {
        if (e.t < 0 || e.t > s.duration_s) return bad("event at t=" + std::to_string(e.t) + " lies outside [0, duration_s]");
        if (e.tag.empty() || e.tag.size() > 4) return bad("event tag '" + e.tag + "' must have 1 to 4 characters");
    }
    return {};
}

}  // namespace

bool pool_tag_passes(std::uint32_t tag, const std::vector<std::string>& filter) {
    if (filter.empty()) return true;
    char t[4];
    for (int i = 0; i < 4; ++i) t[i] = static_cast<char>((tag >> (8 * i)) & 0xFF);
    for (const std::string& pattern : filter) {
        bool ok = true;
        for (std::size_t i = 0; i < 4 && ok; ++i) {
            if (i < pattern.size()) {
                if (pattern[i] == '*') break;  // the rest matches
                ok = pattern[i] == '?' || pattern[i] == t[i];
            } else {
                ok = t[i] == ' ' || t[i] == '\0';  // a short pattern: the tag is padded
            }
        }
        if (ok) return true;
    }
    return false;
}

Result<Scenario> parse_scenario(std::string_view text, const std::string& source_name) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return make_error(Errc::invalid_argument, source_name + ": not a JSON object");
    }
    Scenario s;
    try {  // nlohmann reports type errors by exception; the library boundary turns them into errors
        s = scenario_from_json(j);
    } catch (const std::exception& e) {
        return make_error(Errc::invalid_argument, source_name + ": " + e.what());
    }
    BP_TRY_STATUS(check_scenario(s, source_name));
    return s;
}

Result<Scenario> load_scenario(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{Errc::io, "cannot open scenario", path};
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_scenario(ss.str(), path);
}

// ---- generation -------------------------------------------------------------------------------------
namespace {

constexpr std::uint32_t kSystemPid = 4;
constexpr std::uint32_t kSystemThread = 8;

struct Module {
    std::string name;
    std::string path;
    std::uint64_t base = 0;
    std::uint64_t size = 0;
    double load_at_s = -1;
    std::uint64_t file_object = 0;
    std::uint64_t data_file_object = 0;
    std::optional<Guid> pdb_guid;
    std::uint32_t pdb_age = 0;
    std::string pdb_name;
};

struct Pending {  // one pool event with its stack, ready to be written
    std::int64_t ts = 0;
    std::uint64_t order = 0;
    etl::PoolEvent pe;
    std::uint32_t tid = kSystemThread;
    std::vector<std::uint64_t> frames;
    bool operator>(const Pending& o) const { return ts != o.ts ? ts > o.ts : order > o.order; }
};

struct TagTotals {
    std::uint64_t paged_allocs = 0, paged_frees = 0, paged_used = 0;
    std::uint64_t nonpaged_allocs = 0, nonpaged_frees = 0, nonpaged_used = 0;
};

class Generator {
public:
    Generator(const Scenario& s, const BootTraceOptions& o)
        : s_(s), o_(o), ptr_(o.pointer_size.value_or(s.pointer_size)), rng_(s.seed * 1000003ULL + o.boot * 7919ULL + 17) {
        start_ts_ = static_cast<std::int64_t>(s.perf_freq) * 2;  // the session starts 2 s after boot
        const bool wide = ptr_ == 8;
        const std::uint64_t kbase = s.kernel_base ? s.kernel_base : (wide ? std::uint64_t{0xFFFFF80000000000ULL} : std::uint64_t{0x80400000ULL});
        std::uint64_t next_base = kbase + ((s.kernel_size + 0xFFFF) & ~0xFFFFULL) + (wide ? 0x4000000ULL : 0x400000ULL);
        std::uint64_t fo = wide ? 0xFFFFC00001000000ULL : 0x86000000ULL;
        modules_.push_back({s.kernel_name, "\\SystemRoot\\system32\\" + s.kernel_name, kbase, s.kernel_size, -1, fo, 0, std::nullopt, 0, ""});
        for (const auto& d : s.drivers) {
            Module m;
            m.name = d.name;
            m.path = d.path.empty() ? "\\SystemRoot\\System32\\drivers\\" + d.name : d.path;
            m.size = d.size;
            m.base = d.base ? d.base : next_base;
            next_base = std::max<std::uint64_t>(next_base, m.base + ((d.size + 0xFFFF) & ~0xFFFFULL) + 0x10000);
            m.load_at_s = d.load_at_s;
            fo += 0x200;
            m.file_object = fo;
            fo += 0x200;
            m.data_file_object = fo;
            m.pdb_guid = d.pdb_guid;
            m.pdb_age = d.pdb_age;
            m.pdb_name = d.pdb_name;
            modules_.push_back(m);
        }
        next_fo_ = fo + 0x200;
        paged_next_ = wide ? 0xFFFF8A0000010000ULL : 0xE1010000ULL;
        nonpaged_next_ = wide ? 0xFFFF9B0000010000ULL : 0x89010000ULL;
        session_next_ = wide ? 0xFFFF980000010000ULL : 0x9A010000ULL;
        big_next_ = wide ? 0xFFFF9D0000000000ULL : 0x8C000000ULL;
        outside_next_ = wide ? 0xFFFF9E0000000000ULL : 0x8E000000ULL;
    }

    Result<BootTraceSummary> run(const std::string& path, const std::string& final_name) {
        EtlWriterOptions wo;
        wo.pointer_size = ptr_;
        wo.processors = s_.processors;
        wo.buffer_size = s_.buffer_size;
        wo.compress = o_.compress.value_or(s_.compress);
        wo.perf_freq = s_.perf_freq;
        wo.start_timestamp = start_ts_;
        wo.start_time = s_.start_time;
        wo.boot_time = s_.start_time - 2 * 10'000'000ULL;
        wo.build = s_.build;
        wo.logger_name = "WPR_initiated_WprApp_boottr_WPR System Collector";
        wo.log_file_mode = 0x02000001;
        wo.log_file_name = final_name;
        // Group masks as WPR sets them for Pool usage + Resident Set (kernel-events.md §1.6, §4.1).
        std::array<std::uint32_t, 8> masks{};
        for (std::uint32_t flag : {0x00000003u, 0x00000004u, 0x20000040u, 0x20000001u, 0x20080000u, 0x20800000u}) {
            masks[flag >> 29] |= flag & 0x1FFFFFFF;
        }
        wo.group_masks = masks;
        BP_TRY(writer_, EtlWriter::create(path, wo));

        BP_TRY_STATUS(write_rundown_start());
        BP_TRY_STATUS(write_pool());
        BP_TRY_STATUS(write_end());
        BP_TRY(summary_.write, writer_->finish());
        return summary_;
    }

private:
    std::int64_t ts_of(double t) const {
        return start_ts_ + static_cast<std::int64_t>(std::llround(t * static_cast<double>(s_.perf_freq)));
    }
    etl::HeaderKind system_kind() const { return ptr_ == 8 ? etl::HeaderKind::system64 : etl::HeaderKind::system32; }
    etl::HeaderKind perfinfo_kind() const { return ptr_ == 8 ? etl::HeaderKind::perfinfo64 : etl::HeaderKind::perfinfo32; }
    std::uint16_t cpu() { return static_cast<std::uint16_t>(rng_.below(s_.processors)); }

    const Module* module(const std::string& name) const {
        for (const auto& m : modules_) {
            if (m.name == name) return &m;
        }
        return nullptr;
    }

    Status kernel_event(std::uint16_t on_cpu, std::uint16_t hook, std::uint8_t version, std::int64_t ts,
                        std::vector<std::byte> payload, bool perfinfo = false, std::uint32_t tid = kSystemThread,
                        std::uint32_t pid = kSystemPid) {
        KernelRecord r;
        r.kind = perfinfo ? perfinfo_kind() : system_kind();
        r.hook_id = hook;
        r.version = version;
        r.thread_id = tid;
        r.process_id = pid;
        r.timestamp = ts;
        r.payload = std::move(payload);
        return writer_->append(on_cpu, r);
    }

    Status image_event(const Module& m, etl::ImageEvent::Kind kind, std::int64_t ts) {
        etl::ImageEvent im;
        im.kind = kind;
        im.image_base = m.base;
        im.image_size = m.size;
        im.process_id = 0;
        im.checksum = static_cast<std::uint32_t>(m.base >> 12) ^ 0x5A5A;
        im.time_date_stamp = 0x60000000u + static_cast<std::uint32_t>(m.size >> 12);
        im.default_base = m.base;
        im.file_name = m.path;
        BP_TRY_STATUS(kernel_event(0, image_hook(im), kImageVersion, ts, encode_image_event(im, ptr_)));
        if (!m.pdb_guid || kind == etl::ImageEvent::Kind::unload || kind == etl::ImageEvent::Kind::dc_end) return {};
        // KernelTraceControl's DbgID_RSDS, merged by WPR next to the image event.
        etl::DbgIdRsds rsds;
        rsds.image_base = m.base;
        rsds.process_id = 0;
        rsds.pdb_guid = *m.pdb_guid;
        rsds.age = m.pdb_age;
        rsds.pdb_file_name = m.pdb_name;
        ClassicRecord r;
        r.kind = ptr_ == 8 ? etl::HeaderKind::full_header64 : etl::HeaderKind::full_header32;
        r.guid = etl::image_id_guid();
        r.type = etl::kImageIdOpcodeDbgIdRsds;
        r.version = 2;
        r.thread_id = kSystemThread;
        r.process_id = kSystemPid;
        r.timestamp = ts;
        r.payload = encode_dbg_id_rsds(rsds, ptr_);
        return writer_->append(0, r);
    }

    Status write_rundown_start() {
        const std::int64_t ts = start_ts_ + 1;
        std::vector<ScenarioProcess> procs = s_.processes;
        if (procs.empty()) procs = {{4, 0, "System", -1}, {88, 4, "Registry", -1}, {340, 4, "smss.exe", -1}};
        for (const auto& p : procs) {
            etl::ProcessEvent pe;
            pe.kind = p.start_at_s < 0 ? etl::ProcessEvent::Kind::dc_start : etl::ProcessEvent::Kind::start;
            pe.unique_process_key = (ptr_ == 8 ? 0xFFFFE00000000000ULL : 0x85000000ULL) + p.pid * 0x100ULL;
            pe.process_id = p.pid;
            pe.parent_id = p.parent;
            pe.image_file_name = p.name;
            pe.command_line = p.name;
            if (p.start_at_s < 0) {
                BP_TRY_STATUS(kernel_event(0, process_hook(pe), kProcessVersion, ts, encode_process_event(pe, ptr_)));
            } else {
                late_processes_.push_back({ts_of(p.start_at_s), pe});
            }
        }
        for (const auto& m : modules_) {
            if (m.load_at_s < 0) BP_TRY_STATUS(image_event(m, etl::ImageEvent::Kind::dc_start, ts));
        }
        if (s_.pool_snapshots) BP_TRY_STATUS(write_pool_snap(false, ts));
        std::sort(late_processes_.begin(), late_processes_.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        return {};
    }

    std::uint64_t take_address(const etl::PoolEvent& pe, std::uint64_t size) {
        std::uint64_t* next = &nonpaged_next_;
        if (pe.is_session) next = &session_next_;
        else if (pe.pool_type & etl::kPoolTypePaged) next = &paged_next_;
        if (size > 0xFE0) next = &big_next_;
        const std::uint64_t a = *next;
        const std::uint64_t align = size > 0xFE0 ? 0x1000 : 0x10;
        *next += ((size + align - 1) & ~(align - 1)) + (size > 0xFE0 ? 0 : 0x10);
        return a;
    }

    std::vector<std::uint64_t> alloc_frames(const Module* m, bool is_free) {
        const Module& k = modules_.front();
        if (!m || m == &modules_.front()) {
            return {k.base + (is_free ? 0x1800 : 0x1000), k.base + 0x2000 + 0x10 * rng_.below(4), k.base + 0x3000};
        }
        static constexpr std::uint64_t kFunctions[] = {0x1010, 0x2020, 0x3030, 0x4040};
        const std::uint64_t f = is_free ? 0x6060 : kFunctions[rng_.below(4)];
        return {k.base + (is_free ? 0x1800 : 0x1000), m->base + (f % std::max<std::uint64_t>(m->size, 1)),
                m->base + (0x5050 % std::max<std::uint64_t>(m->size, 1)), k.base + 0x5000};
    }

    void account(const etl::PoolEvent& pe) {
        TagTotals& t = totals_[pe.tag];
        const bool paged = (pe.pool_type & etl::kPoolTypePaged) != 0;
        if (pe.is_alloc) {
            (paged ? t.paged_allocs : t.nonpaged_allocs) += 1;
            (paged ? t.paged_used : t.nonpaged_used) += pe.size;
        } else {
            (paged ? t.paged_frees : t.nonpaged_frees) += 1;
            auto& used = paged ? t.paged_used : t.nonpaged_used;
            used -= std::min(used, pe.size);
        }
    }

    Status emit(const Pending& p) {
        if (!pool_tag_passes(p.pe.tag, o_.pool_tag_filter)) return {};  // the logger's tag filter
        const std::uint16_t c = cpu();
        BP_TRY_STATUS(kernel_event(c, pool_hook(p.pe), kPoolVersion, p.ts, encode_pool_event(p.pe, ptr_), false, p.tid));
        if (!p.frames.empty()) {
            etl::StackWalk sw;
            sw.event_timestamp = p.ts;
            sw.process_id = kSystemPid;
            sw.thread_id = p.tid;
            sw.frames = p.frames;
            BP_TRY_STATUS(kernel_event(c, etl::hook::kStackWalk, kStackWalkVersion, p.ts, encode_stack_walk(sw, ptr_), true,
                                       etl::kNoId, etl::kNoId));
        }
        account(p.pe);
        (p.pe.is_alloc ? summary_.allocations : summary_.frees) += 1;
        if (s_.events_lost && !lost_marked_ && summary_.allocations > 0) {
            BP_TRY_STATUS(writer_->mark_events_lost(c, s_.events_lost));
            lost_marked_ = true;
        }
        return {};
    }

    Result<std::vector<std::uint64_t>> explicit_frames(const ScenarioEvent& e) const {
        std::vector<std::uint64_t> out;
        for (const auto& f : e.stack) {
            const auto plus = f.find('+');
            try {
                if (plus == std::string::npos) {
                    out.push_back(std::stoull(f, nullptr, 0));
                    continue;
                }
                const Module* m = module(f.substr(0, plus));
                if (!m) return make_error(Errc::invalid_argument, "stack frame '" + f + "' names no image of the scenario");
                out.push_back(m->base + std::stoull(f.substr(plus + 1), nullptr, 0));
            } catch (const std::exception&) {
                return make_error(Errc::invalid_argument, "stack frame '" + f + "' is not IMAGE+0xOFFSET or 0xADDRESS");
            }
        }
        return out;
    }

    Status write_pool() {
        // Per family: how many allocations this boot, their (stratified) times, a cursor.
        struct Family {
            const ScenarioPool* spec;
            const Module* module;
            std::uint64_t n = 0, i = 0;
            std::uint64_t pre_n = 0, pre_i = 0;
            // The next time drawn but not yet reached: kept for the slice it falls in (drawing it
            // again there could land before events already written; each CPU's stream must not go
            // back in time).
            double next_t = -1, pre_next_t = -1;
            double t0 = 0;
            std::uint32_t tid = kSystemThread;
        };
        std::vector<Family> families;
        std::uint32_t tid = 100;
        for (const auto& p : s_.pool) {
            Family f;
            f.spec = &p;
            f.module = module(p.driver);
            if (!f.module) return make_error(Errc::invalid_argument, "pool tag '" + p.tag + "': unknown driver '" + p.driver + "'");
            const double jitter = 1.0 + p.count_jitter * rng_.symmetric();
            f.n = static_cast<std::uint64_t>(std::llround(std::max(0.0, p.count * jitter * o_.scale)));
            f.pre_n = static_cast<std::uint64_t>(std::llround(p.preexisting * o_.scale));
            f.t0 = std::max(0.001, f.module->load_at_s + 0.0005);
            f.tid = (tid += 4);
            families.push_back(f);
        }
        std::vector<ScenarioEvent> explicit_events = s_.events;
        std::stable_sort(explicit_events.begin(), explicit_events.end(), [](const auto& a, const auto& b) { return a.t < b.t; });
        std::size_t ei = 0;

        std::vector<const Module*> late_modules;
        for (const auto& m : modules_) {
            if (m.load_at_s >= 0) late_modules.push_back(&m);
        }
        std::sort(late_modules.begin(), late_modules.end(), [](auto* a, auto* b) { return a->load_at_s < b->load_at_s; });
        std::size_t li = 0;
        std::size_t pi = 0;

        std::priority_queue<Pending, std::vector<Pending>, std::greater<>> frees;
        const double slice = std::min(0.05, s_.duration_s);
        const double end = s_.duration_s;
        std::vector<Pending> batch;
        for (double lo = 0; lo < end; lo += slice) {
            const double hi = std::min(end, lo + slice);
            batch.clear();
            for (auto& f : families) {
                const ScenarioPool& p = *f.spec;
                const double span = end - f.t0;
                while (f.i < f.n) {
                    if (f.next_t < 0) f.next_t = f.t0 + span * (static_cast<double>(f.i) + rng_.uniform()) / static_cast<double>(f.n);
                    const double t = f.next_t;
                    if (t >= hi) break;
                    f.next_t = -1;
                    ++f.i;
                    Pending a;
                    a.ts = ts_of(t);
                    a.order = ++order_;
                    a.tid = f.tid;
                    a.pe.is_alloc = true;
                    a.pe.is_session = p.session.has_value();
                    a.pe.session_id = p.session.value_or(etl::kNoSession);
                    a.pe.tag = tag_value(p.tag);
                    std::uint64_t size = p.size;
                    if (p.size_jitter) size = std::max<std::int64_t>(8, static_cast<std::int64_t>(p.size) +
                                                 static_cast<std::int64_t>(rng_.below(2 * p.size_jitter + 1)) -
                                                 static_cast<std::int64_t>(p.size_jitter));
                    a.pe.size = size;
                    a.pe.pool_type = (p.paged ? etl::kPoolTypePaged : (p.nx ? etl::kPoolTypeNx : 0u)) |
                                     (p.session ? etl::kPoolTypeSession : 0u) | (size > 0xFE0 ? etl::kPoolTypeBigPool : 0u);
                    a.pe.address = take_address(a.pe, size);
                    if (p.stacks) a.frames = alloc_frames(f.module, false);
                    if (rng_.uniform() < p.free_fraction) {
                        const double tf = t + rng_.exponential(p.mean_lifetime_s);
                        if (tf < end) {
                            Pending fr = a;
                            fr.ts = std::max(ts_of(tf), a.ts + 1);
                            fr.order = ++order_;
                            fr.pe.is_alloc = false;
                            if (!(fr.pe.pool_type & etl::kPoolTypePaged)) fr.pe.pool_type |= p.nx ? etl::kPoolTypeNx : 0u;
                            fr.frames = p.stacks ? alloc_frames(f.module, true) : std::vector<std::uint64_t>{};
                            frees.push(std::move(fr));
                        }
                    }
                    batch.push_back(std::move(a));
                }
                while (f.pre_i < f.pre_n) {
                    if (f.pre_next_t < 0) f.pre_next_t = span * (static_cast<double>(f.pre_i) + rng_.uniform()) / static_cast<double>(f.pre_n);
                    const double t = f.pre_next_t;
                    if (t >= hi) break;
                    f.pre_next_t = -1;
                    ++f.pre_i;
                    Pending fr;
                    fr.ts = ts_of(t);
                    fr.order = ++order_;
                    fr.tid = f.tid;
                    fr.pe.is_alloc = false;
                    fr.pe.is_session = p.session.has_value();
                    fr.pe.session_id = p.session.value_or(etl::kNoSession);
                    fr.pe.tag = tag_value(p.tag);
                    fr.pe.size = p.size;
                    fr.pe.pool_type = (p.paged ? etl::kPoolTypePaged : (p.nx ? etl::kPoolTypeNx : 0u)) |
                                      (p.session ? etl::kPoolTypeSession : 0u) | (p.size > 0xFE0 ? etl::kPoolTypeBigPool : 0u);
                    fr.pe.address = outside_next_;
                    outside_next_ += (p.size + 0x1F) & ~0xFULL;
                    if (p.stacks) fr.frames = alloc_frames(f.module, true);
                    batch.push_back(std::move(fr));
                }
            }
            while (ei < explicit_events.size() && explicit_events[ei].t < hi) {
                const ScenarioEvent& e = explicit_events[ei++];
                Pending x;
                x.ts = ts_of(e.t);
                x.order = ++order_;
                x.tid = e.thread_id ? e.thread_id : kSystemThread;
                x.pe.is_alloc = e.alloc;
                x.pe.is_session = e.session.has_value();
                x.pe.session_id = e.session.value_or(etl::kNoSession);
                x.pe.tag = tag_value(e.tag);
                x.pe.size = e.size;
                x.pe.pool_type = e.pool_type | (e.size > 0xFE0 ? etl::kPoolTypeBigPool : 0u) |
                                 (e.session ? etl::kPoolTypeSession : 0u);
                x.pe.address = e.address;
                BP_TRY(x.frames, explicit_frames(e));
                batch.push_back(std::move(x));
            }
            while (!frees.empty() && frees.top().ts < ts_of(hi)) {
                batch.push_back(frees.top());
                frees.pop();
            }
            std::sort(batch.begin(), batch.end(), [](const Pending& a, const Pending& b) {
                return a.ts != b.ts ? a.ts < b.ts : a.order < b.order;
            });
            // Images and processes of this slice go in at their times, before pool events of the same
            // instant: every processor's stream stays in time order.
            const auto emit_due = [&](std::int64_t until) -> Status {
                for (;;) {
                    const bool image_due = li < late_modules.size() && late_modules[li]->load_at_s < hi &&
                                           ts_of(late_modules[li]->load_at_s) <= until;
                    const bool process_due = pi < late_processes_.size() && late_processes_[pi].first < ts_of(hi) &&
                                             late_processes_[pi].first <= until;
                    if (!image_due && !process_due) return {};
                    if (image_due && (!process_due || ts_of(late_modules[li]->load_at_s) <= late_processes_[pi].first)) {
                        BP_TRY_STATUS(image_event(*late_modules[li], etl::ImageEvent::Kind::load,
                                                  ts_of(late_modules[li]->load_at_s)));
                        ++li;
                    } else {
                        const auto& [pts, pe] = late_processes_[pi++];
                        BP_TRY_STATUS(kernel_event(0, process_hook(pe), kProcessVersion, pts, encode_process_event(pe, ptr_)));
                    }
                }
            };
            for (const auto& p : batch) {
                BP_TRY_STATUS(emit_due(p.ts));
                BP_TRY_STATUS(emit(p));
            }
            BP_TRY_STATUS(emit_due(std::numeric_limits<std::int64_t>::max()));
        }
        return {};
    }

    Status write_pool_snap(bool at_end, std::int64_t ts) {
        etl::PoolSnap snap;
        snap.is_end = at_end;
        for (const auto& [tag, t] : totals_) {
            etl::PoolSnapEntry e;
            e.tag = tag;
            e.paged_allocs = static_cast<std::uint32_t>(t.paged_allocs);
            e.paged_frees = static_cast<std::uint32_t>(t.paged_frees);
            e.paged_used = t.paged_used;
            e.nonpaged_allocs = static_cast<std::uint32_t>(t.nonpaged_allocs);
            e.nonpaged_frees = static_cast<std::uint32_t>(t.nonpaged_frees);
            e.nonpaged_used = t.nonpaged_used;
            snap.entries.push_back(e);
            if (snap.entries.size() == 100) {  // the kernel logs about 100 entries per event
                BP_TRY_STATUS(kernel_event(0, pool_snap_hook(snap), kPoolVersion, ts, encode_pool_snap(snap, ptr_), true));
                snap.entries.clear();
            }
        }
        if (!snap.entries.empty() || totals_.empty()) {
            BP_TRY_STATUS(kernel_event(0, pool_snap_hook(snap), kPoolVersion, ts, encode_pool_snap(snap, ptr_), true));
        }
        return {};
    }

    static std::string file_path_of(const std::string& nt_path) {
        const std::string root = "\\SystemRoot\\";
        if (nt_path.rfind(root, 0) == 0) return "\\Device\\HarddiskVolume3\\Windows\\" + nt_path.substr(root.size());
        return nt_path;
    }

    std::uint32_t jitter_pages(std::uint32_t n, double jitter) {
        if (!n || jitter <= 0) return n;
        return static_cast<std::uint32_t>(std::max<long long>(0, std::llround(n * (1.0 + jitter * rng_.symmetric()))));
    }

    Status page(std::int64_t ts, unsigned use, unsigned list, std::uint64_t key, std::uint64_t u2) {
        etl::PageEvent pg;
        pg.u1 = page_identity_u1(use, list, false, key, 5);
        pg.page_frame = ++pfn_;
        pg.u2 = u2;
        ++summary_.pages;
        return kernel_event(static_cast<std::uint16_t>(pfn_ % s_.processors), etl::hook::kPageInMemory, kMemoryVersion, ts,
                            encode_page_event(pg, ptr_), true);
    }

    Status write_end() {
        const std::int64_t ts = ts_of(s_.duration_s);
        if (s_.pool_snapshots) BP_TRY_STATUS(write_pool_snap(true, ts));
        if (!s_.resident_set) return {};
        // FileIo name rundown for every file whose pages are reported.
        std::map<std::string, std::uint64_t> files;
        auto file_object = [&](const std::string& path) {
            auto [it, inserted] = files.try_emplace(path, 0);
            if (inserted) {
                it->second = next_fo_;
                next_fo_ += 0x200;
            }
            return it->second;
        };
        for (const auto& m : modules_) {
            BP_TRY_STATUS(file_rundown(ts, m.file_object, file_path_of(m.path)));
        }
        for (const auto& p : s_.pages) {
            if (!p.file.empty()) {
                const std::uint64_t fo = file_object(p.file);
                BP_TRY_STATUS(file_rundown(ts, fo, p.file));
            }
        }
        etl::MemInfo mi;
        mi.zero = 20000;
        mi.free = 5000;
        mi.modified = 3000;
        mi.standby_by_priority[5] = 100000;
        mi.paged_pool_commit = 30000;
        mi.nonpaged_pool = 12000;
        mi.commit = 500000;
        // MemInfo is logged right before the page walk: one tick earlier than the pages.
        BP_TRY_STATUS(kernel_event(0, etl::hook::kMemInfo, kMemoryVersion, ts - 1, encode_mem_info(mi, ptr_), true));
        // One page event per resident page.
        const Module& kernel = modules_.front();
        for (std::uint32_t i = 0; i < s_.kernel_code_pages; ++i) BP_TRY_STATUS(page(ts, 1, 6, i, kernel.file_object | 1));
        for (std::size_t d = 0; d < s_.drivers.size(); ++d) {
            const ScenarioDriver& sd = s_.drivers[d];
            const Module& m = modules_[d + 1];
            const std::uint32_t code = jitter_pages(sd.code_pages, sd.pages_jitter);
            const std::uint32_t standby = jitter_pages(sd.standby_pages, sd.pages_jitter);
            for (std::uint32_t i = 0; i < code; ++i) BP_TRY_STATUS(page(ts, 1, 6, i, m.file_object | 1));
            for (std::uint32_t i = 0; i < standby; ++i) BP_TRY_STATUS(page(ts, 1, 2, code + i, m.file_object | 1));
            if (sd.data_pages) {
                BP_TRY_STATUS(file_rundown(ts, m.data_file_object, file_path_of(m.path)));
                for (std::uint32_t i = 0; i < sd.data_pages; ++i) BP_TRY_STATUS(page(ts, 1, 6, i, m.data_file_object));
            }
        }
        for (const auto& p : s_.pages) {
            const auto use = static_cast<unsigned>(index_of(kUseNames, p.use));
            const auto list = static_cast<unsigned>(index_of(kListNames, p.list));
            std::uint64_t u2 = p.va;
            std::uint64_t key = 0;
            if (use == 1 || use == 8) {
                const Module* m = p.driver.empty() ? nullptr : module(p.driver);
                u2 = m ? m->file_object : file_object(p.file);
                if (p.image) u2 |= 1;
            } else if (use == 0) {
                key = p.pid;
            }
            for (std::uint32_t i = 0; i < p.count; ++i) {
                BP_TRY_STATUS(page(ts, use, list, use == 1 || use == 8 ? i : key, (use == 1 || use == 8) ? u2 : u2 + 4096ULL * i));
            }
        }
        return {};
    }

    Status file_rundown(std::int64_t ts, std::uint64_t fo, const std::string& name) {
        etl::FileNameEvent f;
        f.file_object = fo;
        f.file_name = name;
        f.rundown = true;
        return kernel_event(0, file_name_hook(f), kFileIoVersion, ts, encode_file_name(f, ptr_));
    }

    const Scenario& s_;
    const BootTraceOptions& o_;
    unsigned ptr_;
    Rng rng_;
    std::int64_t start_ts_ = 0;
    std::optional<EtlWriter> writer_;
    BootTraceSummary summary_;
    std::vector<Module> modules_;
    std::vector<std::pair<std::int64_t, etl::ProcessEvent>> late_processes_;
    std::map<std::uint32_t, TagTotals> totals_;
    std::uint64_t next_fo_ = 0;
    std::uint64_t paged_next_ = 0, nonpaged_next_ = 0, session_next_ = 0, big_next_ = 0, outside_next_ = 0;
    std::uint64_t order_ = 0;
    std::uint64_t pfn_ = 0x1000;
    bool lost_marked_ = false;
};

}  // namespace

Result<BootTraceSummary> write_boot_trace(const Scenario& scenario, const std::string& path,
                                          const BootTraceOptions& options) {
    const std::string partial = path + ".partial";
    Generator gen(scenario, options);
    auto result = gen.run(partial, path);
    std::error_code ec;
    if (!result) {
        std::filesystem::remove(partial, ec);
        return result;
    }
    std::filesystem::rename(partial, path, ec);
    if (ec) return Error{Errc::io, "cannot rename " + partial + ": " + ec.message(), path};
    return result;
}

}  // namespace bp::writer
