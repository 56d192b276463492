// Crash consistency: the agent is killed with SIGKILL at every transition of a 3-iteration campaign
// in turn — inside the transaction just before COMMIT (the step's work done, its record not) and just
// after it — and in the middle of an ingest and of queuing a report. The simulated service manager
// restarts it (or, in one variant, the power is cut). Every run must still end with exactly three
// ingested iterations, one queued report each, DisablePagingExecutive restored and no boot trace armed.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "campaign_sim_lab.hpp"

using bp::test::lab::json;
using bp::test::lab::Lab;

namespace {

struct RunResult {
    std::string crash_point;
    bool power_cut = false;
    std::vector<std::string> problems;  // empty: consistent
};

void expect(RunResult& r, bool ok, const std::string& what) {
    if (!ok) r.problems.push_back(what);
}

// One campaign with one crash injected; checked without Catch2 (runs on worker threads).
RunResult crash_run(const std::vector<std::string>& crash_at, bool power_cut) {
    RunResult r;
    for (const auto& p : crash_at) r.crash_point += p + " ";
    r.power_cut = power_cut;
    Lab lab(0);
    if (lab.init_result().exit_code != 0) {
        r.problems.push_back("init: " + lab.init_result().err);
        return r;
    }
    const auto started = lab.start({"--dpe", "on"});
    if (started.exit_code != 0) {
        r.problems.push_back("start: " + started.err);
        return r;
    }
    lab.set_faults({{"crash_at", crash_at}});
    std::vector<std::string> args;
    if (power_cut) args.push_back("--power-cut-on-crash");
    const auto run = lab.run(args);
    expect(r, run.exit_code == 0,
           "supervisor exit " + std::to_string(run.exit_code) + ": " + run.out + run.err);
    const json outcome = json::parse(run.out, nullptr, false);
    // The crash really happened (else this run proves nothing).
    expect(r, !outcome.is_discarded() && outcome.value("crashes", 0) == static_cast<int>(crash_at.size()),
           "crashes: " + run.out);
    expect(r, lab.faults().value("crash_at", json::array()).empty(), "crash points left unfired");
    const json s = lab.status();
    if (s.is_discarded()) {
        r.problems.push_back("status is not JSON");
        return r;
    }
    expect(r, s["campaign"]["state"] == "done",
           "state " + s["campaign"]["state"].dump() + " " + s["campaign"]["failure_reason"].dump() +
               s["campaign"]["last_error"].dump());
    expect(r, s["summary"]["ingested"] == 3, "ingested " + s["summary"]["ingested"].dump());
    expect(r, s["summary"]["store_traces"] == 3,
           "traces in the store " + s["summary"]["store_traces"].dump());
    expect(r, s["summary"]["results"] == 3, "queued results " + s["summary"]["results"].dump());
    std::set<long long> iterations;
    std::set<std::string> keys;
    for (const auto& it : s["iterations"]) {
        iterations.insert(it["seq"].get<long long>());
        keys.insert(it["result_key"].get<std::string>());
        expect(r, it["state"] == "queued", "iteration state " + it["state"].dump());
    }
    for (const auto& q : s["results"]) keys.insert(q["key"].get<std::string>());
    expect(r, iterations == std::set<long long>{1, 2, 3}, "iterations");
    expect(r, keys.size() == 3, "result keys " + std::to_string(keys.size()));
    expect(r, s["campaign"]["disable_paging_executive"]["verified"] == true, "DPE not verified");
    expect(r, lab.dpe() == 0, "DisablePagingExecutive not restored: " + std::to_string(lab.dpe()));
    expect(r, lab.no_boot_trace_armed(), "a boot trace is still armed");
    if (!r.problems.empty()) r.problems.push_back("machine log:\n" + lab.log());
    return r;
}

std::vector<RunResult> run_all(const std::vector<std::pair<std::vector<std::string>, bool>>& plans) {
    std::vector<RunResult> results(plans.size());
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (std::size_t i = next++; i < plans.size(); i = next++)
            results[i] = crash_run(plans[i].first, plans[i].second);
    };
    // The runs mostly wait for child processes: one more worker than cores keeps both cores busy.
    const unsigned n = std::max(3u, std::min(6u, std::thread::hardware_concurrency() + 1));
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < n; ++t) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    return results;
}

void require_consistent(const std::vector<RunResult>& results) {
    for (const RunResult& r : results) {
        std::string all;
        for (const auto& p : r.problems) all += p + "\n";
        INFO("SIGKILL at " << r.crash_point << (r.power_cut ? "(power cut)" : "(service restart)") << "\n"
                           << all);
        CHECK(r.problems.empty());
    }
}

// The transitions of an undisturbed run (the crash points to visit).
std::size_t transitions_of_clean_run() {
    Lab lab(0);
    REQUIRE(lab.init_result().exit_code == 0);
    REQUIRE(lab.start({"--dpe", "on"}).exit_code == 0);
    REQUIRE(lab.run().exit_code == 0);
    const json s = lab.status();
    REQUIRE(s["campaign"]["state"] == "done");
    return s["transitions"].size() - 1;  // the "created" row is not a transition of the engine
}

}  // namespace

TEST_CASE("campaign crash: SIGKILL just before each transition commits") {
    const std::size_t n = transitions_of_clean_run();
    REQUIRE(n == 26);  // docs/campaign.md: 3 for preparing, 7 per iteration, 2 for finishing
    std::vector<std::pair<std::vector<std::string>, bool>> plans;
    for (std::size_t t = 1; t <= n; ++t)
        plans.push_back({{"transition:" + std::to_string(t) + ":before"}, false});
    require_consistent(run_all(plans));
}

TEST_CASE("campaign crash: SIGKILL just after each transition commits") {
    // Preparation, the first iteration and the finish; iterations 2 and 3 repeat iteration 1's
    // transitions (11-23), which the "before" test visits one by one.
    std::vector<std::pair<std::vector<std::string>, bool>> plans;
    for (std::size_t t = 1; t <= 26; ++t) {
        if (t > 10 && t < 24) continue;
        plans.push_back({{"transition:" + std::to_string(t) + ":after"}, false});
    }
    require_consistent(run_all(plans));
}

TEST_CASE("campaign crash: SIGKILL in the middle of each ingest and of each report enqueue") {
    std::vector<std::pair<std::vector<std::string>, bool>> plans;
    // A crash point fires once per entry: listing it three times kills the agent in all three iterations.
    plans.push_back({{"ingest", "ingest", "ingest"}, false});
    plans.push_back({{"queue", "queue", "queue"}, false});
    plans.push_back({{"ingest", "queue"}, true});
    require_consistent(run_all(plans));
}

TEST_CASE("campaign crash: a power cut at transitions around the reboots") {
    // The agent dies and the machine reboots without being asked: DisablePagingExecutive written but
    // not recorded, arming done but not recorded, the reboot recorded but not asked for, the traced
    // boot stopped but not recorded.
    std::vector<std::pair<std::vector<std::string>, bool>> plans;
    for (const char* p :
         {"transition:2:before", "transition:4:before", "transition:5:after", "transition:8:before"}) {
        plans.push_back({{p}, true});
    }
    require_consistent(run_all(plans));
}
