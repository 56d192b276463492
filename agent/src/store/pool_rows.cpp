// Reading pool allocation lifetimes back from the store into WPA's pool table (kernel-events.md §3).
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>

#include "bootprint/etl/event_decoders.hpp"
#include "bootprint/footprint/summary.hpp"
#include "store/store_state.hpp"

namespace bp::store::detail {

std::string attribution_list(unsigned mask) {
    std::string out;
    for (auto a : {footprint::Attribution::stack, footprint::Attribution::kernel_only,
                   footprint::Attribution::pooltag, footprint::Attribution::none}) {
        if (!(mask & (1U << static_cast<unsigned>(a)))) continue;
        if (!out.empty()) out += ',';
        out += footprint::to_string(a);
    }
    return out;
}

std::vector<PoolTableRow> pool_table_rows(std::int64_t trace_id, std::vector<footprint::PoolSummaryRow> rows) {
    // A group's attribution column lists how the rows of its (tag, module, paged) got their module,
    // whatever their lifetime type.
    std::map<std::tuple<std::string, std::string, bool>, unsigned> attributions;
    for (const auto& r : rows) attributions[{r.tag, r.module, r.paged}] |= r.attributions;
    std::vector<PoolTableRow> out;
    out.reserve(rows.size());
    for (footprint::PoolSummaryRow& r : rows) {
        PoolTableRow t;
        t.trace_id = trace_id;
        t.attribution = attribution_list(attributions[{r.tag, r.module, r.paged}]);
        t.row = std::move(r);
        out.push_back(std::move(t));
    }
    return out;
}

Result<std::vector<PoolTableRow>> summarize_pool_rows(sqlite::Database& db, std::int64_t trace_id,
                                                      const footprint::Window& window,
                                                      const std::optional<std::string>& tag) {
    // The rows as written and the late frees of those written early (schema 005), both in id order,
    // merged here: through the pool_allocations view SQLite looks each row's free up in the B-tree,
    // which made a window query over 5.4 M rows 75% slower.
    std::string sql =
        "SELECT tag, pool_type, size, address, session_id, alloc_time, free_time, implicitly_freed, "
        "process_id,"
        " thread_id, alloc_stack_id, free_stack_id, module_id, attribution, id"
        " FROM pool_allocation_rows WHERE trace_id = ?1";
    if (tag) sql += " AND tag IN (SELECT tag FROM pool_tags WHERE name = ?2)";
    sql += " ORDER BY id";
    BP_TRY(sqlite::Statement rows, db.prepare(sql));
    rows.bind(1, trace_id);
    if (tag) rows.bind(2, *tag);
    BP_TRY(sqlite::Statement late, db.prepare("SELECT id, free_time, implicitly_freed, free_stack_id"
                                              " FROM pool_late_frees WHERE trace_id = ?1 ORDER BY id"));
    late.bind(1, trace_id);
    BP_TRY(bool late_more, late.step());
    BP_TRY(sqlite::Statement module_name, db.prepare("SELECT name FROM modules WHERE id = ?1"));

    std::unordered_map<std::int64_t, std::string> modules;

    footprint::PoolSummarizer summarizer(window);
    footprint::PoolAllocation row;
    for (;;) {
        BP_TRY(bool more, rows.step());
        if (!more) break;
        row.tag = static_cast<std::uint32_t>(rows.column_int(0));
        row.pool_type = static_cast<std::uint32_t>(rows.column_int(1));
        row.size = rows.column_uint(2);
        row.address = rows.column_uint(3);
        row.session_id =
            rows.is_null(4) ? footprint::kNoSession : static_cast<std::uint32_t>(rows.column_int(4));
        row.alloc_known = !rows.is_null(5);
        row.alloc_time = row.alloc_known ? rows.column_int(5) : 0;
        row.freed = !rows.is_null(6);
        row.free_time = row.freed ? rows.column_int(6) : 0;
        row.implicitly_freed = rows.column_int(7) != 0;
        row.process_id = rows.is_null(8) ? 0xFFFFFFFF : static_cast<std::uint32_t>(rows.column_int(8));
        row.thread_id = rows.is_null(9) ? 0xFFFFFFFF : static_cast<std::uint32_t>(rows.column_int(9));
        row.alloc_stack_id = static_cast<std::uint32_t>(rows.column_int(10));  // NULL reads as 0: no stack
        row.free_stack_id = static_cast<std::uint32_t>(rows.column_int(11));
        const std::int64_t module_id = rows.column_int(12);
        const auto attribution = static_cast<unsigned>(rows.column_int(13));
        row.attribution = static_cast<footprint::Attribution>(attribution);
        const std::int64_t id = rows.column_int(14);
        while (late_more && late.column_int(0) < id) {
            BP_TRY(late_more, late.step());
        }
        if (late_more && late.column_int(0) == id) {
            row.freed = true;
            row.free_time = late.column_int(1);
            row.implicitly_freed = late.column_int(2) != 0;
            row.free_stack_id = static_cast<std::uint32_t>(late.column_int(3));
        }

        auto module_it = modules.find(module_id);
        if (module_it == modules.end()) {
            module_name.bind(1, module_id);
            BP_TRY(bool found, module_name.step());
            std::string name = found ? module_name.column_text(0) : std::string("Unknown");
            module_name.reset();
            module_it = modules.emplace(module_id, std::move(name)).first;
        }
        row.module = module_it->second;

        summarizer.add(row);
    }

    std::vector<PoolTableRow> out = pool_table_rows(trace_id, summarizer.finish());
    // The tag filter above is on raw tags that print as `tag`; keep only the exact groups as well.
    if (tag) std::erase_if(out, [&](const PoolTableRow& t) { return t.row.tag != *tag; });
    return out;
}

}  // namespace bp::store::detail
