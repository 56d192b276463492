#include "bootprint/store/build_values.hpp"

#include <algorithm>
#include <map>

namespace bp::store {

namespace {

std::string file_name(const std::string& path) {
    const auto slash = path.find_last_of("\\/");
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Result<footprint::BuildValues> build_values(AgentStore& store, const TraceFilter& filter) {
    BP_TRY(auto traces, store.traces(filter));
    if (traces.empty()) {
        return make_error(Errc::not_found, "no ingested trace matches" +
                                               (filter.build ? " build '" + *filter.build + "'" : std::string()) +
                                               (filter.machine ? " on machine '" + *filter.machine + "'" : std::string()));
    }
    footprint::BuildValues v;
    for (const TraceRecord& t : traces) v.iterations.push_back(t.id);

    PoolQuery pq;
    pq.traces = filter;
    BP_TRY(auto pool, store.pool_table(pq));
    std::map<std::pair<std::int64_t, footprint::SeriesKey>, double> sums;
    for (const PoolTableRow& p : pool) {
        const char* metric = p.row.paged ? "paged_impacting_size" : "nonpaged_impacting_size";
        sums[{p.trace_id, {"tag", p.row.tag, metric}}] += static_cast<double>(p.row.impacting_size);
    }

    ResidentQuery rq;
    rq.traces = filter;
    rq.category = "Driver";
    rq.list = "Active";
    BP_TRY(auto resident, store.resident_set(rq));
    std::map<std::int64_t, std::uint32_t> last_snapshot;
    for (const ResidentTableRow& r : resident) {
        auto& s = last_snapshot[r.trace_id];
        s = std::max(s, r.row.snapshot);
    }
    for (const ResidentTableRow& r : resident) {
        if (r.row.snapshot != last_snapshot[r.trace_id]) continue;
        sums[{r.trace_id, {"driver", file_name(r.row.path), "active_bytes"}}] += static_cast<double>(r.row.bytes());
    }
    for (const auto& [k, value] : sums) v.add(k.second, k.first, value);
    return v;
}

}  // namespace bp::store
