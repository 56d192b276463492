#include "bootprint/controller/report_facts.hpp"

#include <map>
#include <span>

#include "bootprint/report/report.hpp"
#include "bootprint/store/sha256.hpp"

namespace bp::controller {

namespace {

ReportFacts facts_of(const nlohmann::json& doc, std::string body) {
    ReportFacts f;
    f.idempotency_key = doc.at("idempotency_key").get<std::string>();
    f.schema_version = doc.at("schema_version").get<int>();
    const auto& campaign = doc.at("campaign");
    f.campaign = campaign.at("id").get<std::string>();
    f.build = campaign.at("build").get<std::string>();
    f.template_name = campaign.value("template", std::string());
    if (campaign.contains("job_id")) {
        // job_id is a string in the schema; the controller's own ids are integers.
        const std::string job = campaign["job_id"].get<std::string>();
        try {
            std::size_t used = 0;
            const long long id = std::stoll(job, &used);
            if (used == job.size()) f.job_id = id;
        } catch (const std::exception&) {
        }
    }
    f.iteration = doc.at("iteration").get<std::int64_t>();
    const auto& trace = doc.at("trace");
    f.time = report::filetime_to_unix(trace.value("start_time", std::int64_t{0}));

    // Sums per tag; a std::map keeps the samples in a stable order. Impacting size also split by pool
    // kind: paged and non-paged growth are different problems (and regress separately).
    struct TagSums {
        std::int64_t impacting = 0, size = 0, count = 0, paged_impacting = 0, nonpaged_impacting = 0;
    };
    std::map<std::string, TagSums> tags;
    std::int64_t total_impacting = 0, total_size = 0, total_count = 0;
    for (const auto& row : doc.at("pool")) {
        TagSums& t = tags[row.at("tag").get<std::string>()];
        const auto i = row.at("impacting_size").get<std::int64_t>();
        const auto s = row.at("size").get<std::int64_t>();
        const auto c = row.at("count").get<std::int64_t>();
        t.impacting += i;
        t.size += s;
        t.count += c;
        (row.at("paged").get<bool>() ? t.paged_impacting : t.nonpaged_impacting) += i;
        total_impacting += i;
        total_size += s;
        total_count += c;
    }
    for (const auto& [tag, t] : tags) {
        f.samples.push_back({"tag", tag, "impacting_size", t.impacting});
        f.samples.push_back({"tag", tag, "paged_impacting_size", t.paged_impacting});
        f.samples.push_back({"tag", tag, "nonpaged_impacting_size", t.nonpaged_impacting});
        f.samples.push_back({"tag", tag, "size", t.size});
        f.samples.push_back({"tag", tag, "count", t.count});
    }
    f.samples.push_back({"total", "pool", "impacting_size", total_impacting});
    f.samples.push_back({"total", "pool", "size", total_size});
    f.samples.push_back({"total", "pool", "count", total_count});

    std::map<std::string, std::pair<std::int64_t, std::int64_t>> drivers;
    std::int64_t total_active = 0;
    for (const auto& row : doc.at("drivers")) {
        auto& [active, standby] = drivers[row.at("name").get<std::string>()];
        active += row.at("active_bytes").get<std::int64_t>();
        standby += row.value("standby_bytes", std::int64_t{0});
        total_active += row.at("active_bytes").get<std::int64_t>();
    }
    for (const auto& [name, sums] : drivers) {
        f.samples.push_back({"driver", name, "active_bytes", sums.first});
        f.samples.push_back({"driver", name, "standby_bytes", sums.second});
    }
    f.samples.push_back({"total", "drivers", "active_bytes", total_active});

    f.body_sha256 = store::sha256_hex(std::as_bytes(std::span<const char>(body.data(), body.size())));
    f.body = std::move(body);
    return f;
}

}  // namespace

Result<ReportFacts> report_facts(const nlohmann::json& doc, std::string body) {
    // validate_report() ran first, so the lookups below cannot fail; should the two ever disagree, the
    // report is refused instead of the exception crossing the library boundary.
    try {
        return facts_of(doc, std::move(body));
    } catch (const nlohmann::json::exception& e) {
        return make_error(Errc::invalid_argument, std::string("report: ") + e.what());
    }
}

}  // namespace bp::controller
