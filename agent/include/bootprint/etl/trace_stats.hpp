// Whole-file statistics: what `bootprint etl stats` prints. Counts every record by header kind and by
// event identity (the key forms of event_key()).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "bootprint/common/result.hpp"
#include "bootprint/etl/etl_file.hpp"

namespace bp::etl {

struct TraceStats {
    LogfileHeader header;
    std::uint64_t bytes = 0;
    std::uint64_t buffers_total = 0;
    std::uint64_t buffers_compressed = 0;
    std::uint16_t compression_format = 0;
    std::uint64_t events_total = 0;
    std::array<std::uint64_t, kHeaderKindCount> by_header{};
    std::map<std::string, std::uint64_t> counts;  // event_key → records
    ReadStats read;
    std::int64_t first_event_filetime = 0;  // earliest / latest event time seen (0 when none)
    std::int64_t last_event_filetime = 0;
};

// One pass over the file in file order.
Result<TraceStats> compute_stats(const EtlFile& file);

}  // namespace bp::etl
