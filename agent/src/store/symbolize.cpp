// Symbolized stacks in the store: the pass that names every distinct frame of a trace (at ingest and by
// `bootprint symbolize`), and the queries that read them (pool by function, a tag's stacks).
#include <algorithm>
#include <array>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "bootprint/store/agent_store.hpp"
#include "store/store_state.hpp"
#include "store/symbolize.hpp"

namespace bp::store {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool is_kernel_name(const std::string& name) {
    const std::string n = lower(name);
    return n == "ntoskrnl.exe" || n == "ntkrnlmp.exe" || n == "ntkrnlpa.exe" || n == "ntkrpamp.exe";
}

std::string hex(std::uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%" PRIX64, v);
    return buf;
}

struct FrameKeyHash {
    std::size_t operator()(const std::pair<std::uint64_t, bool>& k) const noexcept {
        return std::hash<std::uint64_t>()(k.first * 2 + (k.second ? 1 : 0));
    }
};

}  // namespace

bool is_allocator_function(std::string_view f) {
    static constexpr std::array<std::string_view, 12> kPrefixes = {
        "ExAllocate", "ExpAllocate", "ExFree", "ExpFree", "ExpPool", "ExpHp", "RtlpHp", "ExpInsertPoolTracker",
        "ExpRemovePoolTracker", "Etw", "PerfInfo", "ExpGetPoolTag"};
    for (auto p : kPrefixes) {
        if (f.starts_with(p)) return true;
    }
    return false;
}

namespace detail {

Result<SymbolizeCounts> symbolize_trace(sqlite::Database& db, std::int64_t trace_id, footprint::FrameSymbolizer& sym) {
    SymbolizeCounts counts;
    for (const char* table : {"stack_frames", "frames", "image_symbols"}) {
        BP_TRY(auto del, db.prepare(std::string("DELETE FROM ") + table + " WHERE trace_id = ?1"));
        del.bind(1, trace_id);
        BP_TRY_STATUS(del.run());
    }

    // Kernel-mode images, sorted by base.
    std::vector<footprint::Image> images;
    {
        BP_TRY(auto q, db.prepare("SELECT id, base, size, name, path, pdb_guid, pdb_age, pdb_name, time_date_stamp"
                                  " FROM images WHERE trace_id = ?1 AND process_id = 0 ORDER BY base"));
        q.bind(1, trace_id);
        for (;;) {
            BP_TRY(bool row, q.step());
            if (!row) break;
            footprint::Image im;
            im.id = static_cast<std::uint32_t>(q.column_int(0));
            im.base = q.column_uint(1);
            im.size = q.column_uint(2);
            im.name = q.column_text(3);
            im.path = q.column_text(4);
            if (!q.is_null(5)) im.pdb_guid = Guid::parse(q.column_text(5));
            im.pdb_age = static_cast<std::uint32_t>(q.column_int(6));
            im.pdb_name = q.column_text(7);
            im.time_date_stamp = static_cast<std::uint32_t>(q.column_int(8));
            images.push_back(std::move(im));
        }
    }
    std::uint32_t kernel_id = 0;
    {
        BP_TRY(auto ins, db.prepare("INSERT INTO image_symbols (trace_id, image_id, status, pdb_path, detail)"
                                    " VALUES (?1, ?2, ?3, ?4, ?5)"));
        for (const auto& im : images) {
            if (kernel_id == 0 && is_kernel_name(im.name)) kernel_id = im.id;
            footprint::ImageSymbolStatus st = sym.load(im);
            ins.bind(1, trace_id);
            ins.bind(2, im.id);
            ins.bind(3, st.status);
            ins.bind(4, st.pdb_path);
            ins.bind(5, st.detail);
            BP_TRY_STATUS(ins.run());
            counts.images.push_back({im.id, im.name, std::move(st)});
        }
    }
    // The image with the greatest base at or below the address, if the address lies inside it (the
    // analyzer's rule, footprint/image_map.cpp).
    auto image_at = [&](std::uint64_t a) -> const footprint::Image* {
        auto it = std::upper_bound(images.begin(), images.end(), a,
                                   [](std::uint64_t v, const footprint::Image& im) { return v < im.base; });
        if (it == images.begin()) return nullptr;
        --it;
        return a - it->base < it->size ? &*it : nullptr;
    };

    BP_TRY(auto insert_frame,
           db.prepare("INSERT INTO frames (trace_id, id, address, caller, image_id, module, in_kernel, function, offset,"
                      " approximate, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
    BP_TRY(auto insert_link,
           db.prepare("INSERT INTO stack_frames (trace_id, stack_id, position, frame_id) VALUES (?1, ?2, ?3, ?4)"));
    std::unordered_map<std::pair<std::uint64_t, bool>, std::int64_t, FrameKeyHash> frame_ids;

    auto frame_id = [&](std::uint64_t address, bool caller) -> Result<std::int64_t> {
        const auto key = std::make_pair(address, caller);
        if (auto it = frame_ids.find(key); it != frame_ids.end()) return it->second;
        const std::int64_t id = static_cast<std::int64_t>(frame_ids.size()) + 1;
        const footprint::Image* im = image_at(address);
        std::optional<footprint::ResolvedSymbol> fn;
        std::uint64_t offset = 0;
        std::string text;
        if (im) {
            const std::uint64_t rva = address - im->base;
            const std::uint64_t lookup = caller && rva > 0 ? rva - 1 : rva;  // a return address: its call
            if (lookup <= 0xFFFFFFFFu) fn = sym.resolve(*im, static_cast<std::uint32_t>(lookup));
            if (fn) {
                offset = rva - fn->start;
                text = im->name + "!" + fn->function + "+" + hex(offset);
            } else {
                offset = rva;
                text = im->name + "+" + hex(rva);
            }
        } else {
            text = hex(address);
        }
        insert_frame.bind(1, trace_id);
        insert_frame.bind(2, id);
        insert_frame.bind(3, address);
        insert_frame.bind(4, caller);
        insert_frame.bind(5, im ? std::optional<std::int64_t>(im->id) : std::nullopt);
        insert_frame.bind(6, im ? im->name : std::string());
        insert_frame.bind(7, im && im->id == kernel_id);
        insert_frame.bind(8, fn ? std::optional<std::string>(fn->function) : std::nullopt);
        insert_frame.bind(9, offset);
        insert_frame.bind(10, fn && fn->approximate);
        insert_frame.bind(11, text);
        BP_TRY_STATUS(insert_frame.run());
        frame_ids.emplace(key, id);
        ++counts.frames;
        if (fn) ++counts.frames_named;
        return id;
    };

    BP_TRY(auto stacks, db.prepare("SELECT id, frames FROM stacks WHERE trace_id = ?1 ORDER BY id"));
    stacks.bind(1, trace_id);
    std::vector<std::uint64_t> frames;
    for (;;) {
        BP_TRY(bool row, stacks.step());
        if (!row) break;
        const auto stack_id = stacks.column_int(0);
        const auto blob = stacks.column_blob(1);
        frames.assign(blob.size() / 8, 0);
        for (std::size_t i = 0; i < frames.size(); ++i) {
            std::uint64_t v = 0;
            for (std::size_t k = 0; k < 8; ++k) v |= std::to_integer<std::uint64_t>(blob[8 * i + k]) << (8 * k);
            frames[i] = v;
        }
        for (std::size_t i = 0; i < frames.size(); ++i) {
            BP_TRY(std::int64_t fid, frame_id(frames[i], i > 0));
            insert_link.bind(1, trace_id);
            insert_link.bind(2, stack_id);
            insert_link.bind(3, static_cast<std::int64_t>(i));
            insert_link.bind(4, fid);
            BP_TRY_STATUS(insert_link.run());
        }
        ++counts.stacks;
    }
    BP_TRY(auto stamp, db.prepare("UPDATE traces SET symbolized_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1"));
    stamp.bind(1, trace_id);
    BP_TRY_STATUS(stamp.run());
    return counts;
}

// Every stack's frames of a trace (stack id → frames, innermost first).
Result<std::unordered_map<std::uint32_t, std::vector<FrameInfo>>> load_stack_frames(sqlite::Database& db,
                                                                                   std::int64_t trace_id) {
    BP_TRY(auto q, db.prepare("SELECT sf.stack_id, f.text, f.function, f.module, f.in_kernel, f.approximate"
                              " FROM stack_frames sf JOIN frames f ON f.trace_id = sf.trace_id AND f.id = sf.frame_id"
                              " WHERE sf.trace_id = ?1 ORDER BY sf.stack_id, sf.position"));
    q.bind(1, trace_id);
    std::unordered_map<std::uint32_t, std::vector<FrameInfo>> out;
    for (;;) {
        BP_TRY(bool row, q.step());
        if (!row) break;
        FrameInfo f;
        f.text = q.column_text(1);
        f.label = q.is_null(2) ? f.text : q.column_text(3) + "!" + q.column_text(2);
        f.in_kernel = q.column_int(4) != 0;
        f.approximate = q.column_int(5) != 0;
        out[static_cast<std::uint32_t>(q.column_int(0))].push_back(std::move(f));
    }
    return out;
}

// The frame a stack's allocation is grouped under: the first one that is not a kernel frame of the
// allocator (named like one, or unnamed: an unsymbolized kernel frame cannot be told apart).
const FrameInfo* grouping_frame(const std::vector<FrameInfo>& frames) {
    for (const FrameInfo& f : frames) {
        if (!f.in_kernel) return &f;
        const auto bang = f.label.find('!');
        if (bang == std::string::npos) continue;  // unnamed kernel frame
        if (!is_allocator_function(std::string_view(f.label).substr(bang + 1))) return &f;
    }
    return frames.empty() ? nullptr : &frames.back();
}

}  // namespace detail

Result<SymbolizeCounts> AgentStore::symbolize(std::int64_t trace_id, footprint::FrameSymbolizer& symbolizer) {
    if (state_->ingest_active) return make_error(Errc::conflict, "an ingest is in progress on this connection");
    BP_TRY(auto known, state_->db.prepare("SELECT count(*) FROM traces WHERE id = ?1"));
    known.bind(1, trace_id);
    BP_TRY(bool row, known.step());
    if (!row || known.column_int(0) == 0) {
        return make_error(Errc::not_found, "no trace " + std::to_string(trace_id)).with_path(state_->db.path());
    }
    BP_TRY(auto tx, sqlite::Transaction::begin(state_->db));
    BP_TRY(auto counts, detail::symbolize_trace(state_->db, trace_id, symbolizer));
    BP_TRY_STATUS(tx.commit());
    return counts;
}

Result<std::vector<FunctionRow>> AgentStore::pool_by_function(const FunctionQuery& query) {
    BP_TRY(auto selected, traces(query.traces));
    std::vector<FunctionRow> out;
    for (const TraceRecord& t : selected) {
        BP_TRY(auto stacks, detail::load_stack_frames(state_->db, t.id));
        BP_TRY(auto q, state_->db.prepare(
                           "SELECT pt.name, m.name, p.size, p.free_time IS NULL, p.alloc_stack_id"
                           " FROM pool_allocations p JOIN modules m ON m.id = p.module_id"
                           " LEFT JOIN pool_tags pt ON pt.tag = p.tag"
                           " WHERE p.trace_id = ?1 AND p.alloc_time IS NOT NULL AND (?2 IS NULL OR pt.name = ?2)"
                           " AND (?3 IS NULL OR lower(m.name) = lower(?3))"));
        q.bind(1, t.id);
        q.bind(2, query.tag);
        q.bind(3, query.module);
        std::map<std::tuple<std::string, std::string, std::string>, FunctionRow> groups;
        for (;;) {
            BP_TRY(bool row, q.step());
            if (!row) break;
            std::string function = "(no stack)";
            bool approximate = false;
            if (!q.is_null(4)) {
                auto it = stacks.find(static_cast<std::uint32_t>(q.column_int(4)));
                if (it == stacks.end()) {
                    function = "(stack not symbolized)";
                } else if (const FrameInfo* f = detail::grouping_frame(it->second)) {
                    function = f->label;
                    approximate = f->approximate;
                }
            }
            const std::string tag = q.column_text(0);
            const std::string module = q.column_text(1);
            FunctionRow& r = groups[{tag, module, function}];
            r.trace_id = t.id;
            r.tag = tag;
            r.module = module;
            r.function = function;
            r.approximate = r.approximate || approximate;
            const std::uint64_t size = q.column_uint(2);
            r.count += 1;
            r.size += size;
            if (q.column_int(3) != 0) {
                r.outstanding_count += 1;
                r.outstanding_size += size;
            }
        }
        std::vector<FunctionRow> rows;
        for (auto& [k, r] : groups) rows.push_back(std::move(r));
        std::stable_sort(rows.begin(), rows.end(), [](const FunctionRow& a, const FunctionRow& b) {
            if (a.size != b.size) return a.size > b.size;
            return a.count > b.count;
        });
        out.insert(out.end(), std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
    }
    return out;
}

Result<std::vector<TagStack>> AgentStore::tag_stacks(const TraceFilter& filter, const std::string& tag) {
    BP_TRY(auto selected, traces(filter));
    std::vector<TagStack> out;
    for (const TraceRecord& t : selected) {
        BP_TRY(auto stacks, detail::load_stack_frames(state_->db, t.id));
        BP_TRY(auto q, state_->db.prepare("SELECT coalesce(p.alloc_stack_id, 0), count(*), sum(p.size)"
                                          " FROM pool_allocations p JOIN pool_tags pt ON pt.tag = p.tag"
                                          " WHERE p.trace_id = ?1 AND pt.name = ?2 AND p.alloc_time IS NOT NULL"
                                          " GROUP BY 1 ORDER BY 3 DESC, 1"));
        q.bind(1, t.id);
        q.bind(2, tag);
        for (;;) {
            BP_TRY(bool row, q.step());
            if (!row) break;
            TagStack s;
            s.trace_id = t.id;
            s.stack_id = static_cast<std::uint32_t>(q.column_int(0));
            s.count = q.column_uint(1);
            s.size = q.column_uint(2);
            if (auto it = stacks.find(s.stack_id); it != stacks.end()) s.frames = it->second;
            out.push_back(std::move(s));
        }
    }
    return out;
}

}  // namespace bp::store
