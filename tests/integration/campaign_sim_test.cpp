// Campaigns on the simulated lab machine, through the real programs: the happy path (the issue's
// first done-criterion) and the failure paths (wpr exit codes, a missing trace, lost events, a full
// disk, cancellation), each ending in its documented state (docs/campaign.md).
#include <set>

#include "campaign_sim_lab.hpp"

using bp::test::lab::count_of;
using bp::test::lab::json;
using bp::test::lab::Lab;

namespace {

void require_ok(const bp::test::ProcessResult& r) {
    INFO("exit " << r.exit_code << " signal " << r.signal << "\nstdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
}

// Every failed or cancelled campaign leaves the machine clean.
void require_clean_machine(const Lab& lab, long long dpe_expected) {
    INFO(lab.log());
    CHECK(lab.no_boot_trace_armed());
    CHECK(lab.dpe() == dpe_expected);
}

}  // namespace

TEST_CASE(
    "campaign: a 3-iteration simulated campaign ingests exactly 3 boots and restores "
    "DisablePagingExecutive") {
    Lab lab(0);
    require_ok(lab.init_result());
    require_ok(lab.start({"--dpe", "on", "--tags", "AcpM,Cnto"}));
    const auto run = lab.run();
    require_ok(run);
    const json outcome = json::parse(run.out);
    CHECK(outcome["boots"] == 6);  // first power-on, DPE reboot, 3 traced boots, restore reboot
    CHECK(outcome["crashes"] == 0);

    const json s = lab.status();
    INFO(s.dump(2));
    CHECK(s["campaign"]["state"] == "done");
    CHECK(s["summary"]["ingested"] == 3);
    CHECK(s["summary"]["queued"] == 3);
    CHECK(s["summary"]["results"] == 3);
    CHECK(s["summary"]["store_traces"] == 3);
    std::set<std::string> hashes, keys;
    for (const auto& it : s["iterations"]) {
        CHECK(it["state"] == "queued");
        CHECK(it["attempt"] == 1);
        CHECK(it["events_lost"] == 0);
        hashes.insert(it["trace_sha256"].get<std::string>());
        keys.insert(it["result_key"].get<std::string>());
    }
    CHECK(hashes.size() == 3);  // per-boot variation: three different traces
    CHECK(keys.size() == 3);
    const auto& dpe = s["campaign"]["disable_paging_executive"];
    CHECK(dpe["original"] == 0);
    CHECK(dpe["in_effect"] == 1);
    CHECK(dpe["verified"] == true);
    CHECK(dpe["restored"] == true);
    CHECK(lab.dpe() == 0);  // restored in the registry
    CHECK(lab.no_boot_trace_armed());
    const std::string log = lab.log();
    CHECK(count_of(log, "wpr -addboot") == 3);
    CHECK(count_of(log, "wpr -stopboot") == 3);
    CHECK(count_of(log, "reboot requested (0x80040001)") == 5);  // planned reason every time

    // The independent view: the analyst's CLI lists the three traces with their iteration labels.
    const auto traces =
        bp::test::run_process({BOOTPRINT_CLI, "traces", lab.file("agent.db"), "--campaign", "c1", "--json"});
    require_ok(traces);
    const json t = json::parse(traces.out);
    REQUIRE(t.size() == 3);
    std::set<long long> iterations;
    for (const auto& row : t) iterations.insert(row["iteration"].get<long long>());
    CHECK(iterations == std::set<long long>{1, 2, 3});

    // A second `run` has nothing to do and changes nothing.
    require_ok(lab.agent({"run"}));
    CHECK(lab.status()["summary"]["results"] == 3);
}

TEST_CASE("campaign: a campaign that keeps DisablePagingExecutive needs no extra reboot") {
    Lab lab(-1);  // the value does not exist
    require_ok(lab.init_result());
    require_ok(lab.start({"-n", "1"}));
    const auto run = lab.run();
    require_ok(run);
    CHECK(json::parse(run.out)["boots"] == 2);
    const json s = lab.status();
    CHECK(s["campaign"]["state"] == "done");
    CHECK(s["summary"]["ingested"] == 1);
    CHECK(s["campaign"]["disable_paging_executive"]["original"].is_null());
    CHECK(s["campaign"]["disable_paging_executive"]["in_effect"] == 0);
    CHECK(s["campaign"]["disable_paging_executive"]["verified"] == true);
    CHECK(lab.dpe() == -1);
}

TEST_CASE("campaign: each known wpr exit code at -addboot ends in its documented failed state") {
    struct Case {
        const char* code;
        const char* failure_code;
        const char* says;
    };
    const Case cases[] = {
        {"0xC5583001", "boot_trace_already_scheduled", "already scheduled"},
        {"0xC558300C", "state_provider_not_running", "state provider"},
        {"0xC5583014", "kernel_logger_in_use", "owns the kernel logger"},
        {"0xC5580612", "profile_rejected", "rejected the profile"},
        {"0x800705AA", "too_many_sessions", "too many ETW sessions"},
        {"0x800700B7", "profile_referenced_twice", "given twice"},
        {"0x80070008", "out_of_memory", "out of memory"},
        {"0x80071069", "disk_full_temp", "temporary trace"},
        {"0x80010106", "com_mode_conflict", "COM mode"},
        {"0x80070070", "disk_full", "disk is full"},
        {"0x80070003", "path_not_found", "does not exist"},
        {"0x80070057", "wpr_syntax", "refused the command line"},
        {"0xC5583000", "trace_missing", "did not record"},  // not retryable by re-recording at arming
        {"0x12345678", "wpr_failed", "exit code 0x12345678"},
    };
    for (const Case& c : cases) {
        DYNAMIC_SECTION(c.code) {
            Lab lab(0);
            require_ok(lab.init_result());
            require_ok(lab.start({"--dpe", "on", "-n", "1"}));
            lab.set_faults({{"wpr", {{{"command", "addboot"}, {"code", c.code}, {"times", -1}}}}});
            const auto run = lab.run({"--max-step-attempts", "3"});
            CHECK(run.exit_code == 1);
            const json s = lab.status();
            INFO(s.dump(2));
            CHECK(s["campaign"]["state"] == "failed");
            CHECK(s["campaign"]["failure_code"] == c.failure_code);
            const std::string reason = s["campaign"]["failure_reason"];
            CHECK(reason.find(c.says) != std::string::npos);
            CHECK(reason.find(std::string(c.code).substr(2)) != std::string::npos);  // the exit code, in hex
            CHECK(reason.find("No boot trace is left armed") != std::string::npos);
            CHECK(reason.find("DisablePagingExecutive was restored to 0") != std::string::npos);
            CHECK(s["summary"]["ingested"] == 0);
            require_clean_machine(lab, 0);
        }
    }
}

TEST_CASE("campaign: a transient wpr failure is retried and the campaign completes") {
    Lab lab(0);
    require_ok(lab.init_result());
    require_ok(lab.start({"-n", "2"}));
    lab.set_faults({{"wpr", {{{"command", "addboot"}, {"code", "0x800705AA"}, {"times", 2}}}}});
    require_ok(lab.run());
    const json s = lab.status();
    INFO(s.dump(2));
    CHECK(s["campaign"]["state"] == "done");
    CHECK(s["summary"]["ingested"] == 2);
    CHECK(s["summary"]["store_traces"] == 2);
}

TEST_CASE(
    "campaign: a boot trace missing after the reboot is recorded again, then fails when it keeps missing") {
    SECTION("-stopboot succeeds but writes no file, once") {
        Lab lab(0);
        require_ok(lab.init_result());
        require_ok(lab.start({"-n", "2"}));
        lab.set_faults({{"lose_trace", 1}});
        require_ok(lab.run());
        const json s = lab.status();
        INFO(s.dump(2));
        CHECK(s["campaign"]["state"] == "done");
        CHECK(s["summary"]["store_traces"] == 2);
        CHECK(s["iterations"][0]["attempt"] == 2);
        CHECK(s["iterations"][0]["retry_log"].get<std::string>().find("is missing") != std::string::npos);
        CHECK(s["iterations"][1]["attempt"] == 1);
    }
    SECTION("the boot session failed to start (autologger Status), once") {
        Lab lab(0);
        require_ok(lab.init_result());
        require_ok(lab.start({"-n", "1"}));
        lab.set_faults({{"autologger_status", {{"code", "0xC0000022"}, {"times", 1}}}});
        require_ok(lab.run());
        const json s = lab.status();
        INFO(s.dump(2));
        CHECK(s["campaign"]["state"] == "done");
        CHECK(s["iterations"][0]["attempt"] == 2);
        CHECK(s["iterations"][0]["retry_log"].get<std::string>().find("autologger Status 0xC0000022") !=
              std::string::npos);
    }
    SECTION("the trace never arrives: failed after 1 + max_retries recordings") {
        Lab lab(0);
        require_ok(lab.init_result());
        require_ok(lab.start({"-n", "2", "--max-retries", "2", "--dpe", "on"}));
        lab.set_faults({{"lose_trace", -1}});
        CHECK(lab.run().exit_code == 1);
        const json s = lab.status();
        INFO(s.dump(2));
        CHECK(s["campaign"]["state"] == "failed");
        CHECK(s["campaign"]["failure_code"] == "trace_missing");
        const std::string reason = s["campaign"]["failure_reason"];
        CHECK(reason.find("Iteration 1 failed 3 times") != std::string::npos);
        CHECK(reason.find("missing") != std::string::npos);
        CHECK(s["iterations"][0]["attempt"] == 3);
        CHECK(s["summary"]["ingested"] == 0);
        require_clean_machine(lab, 0);
        CHECK(count_of(lab.log(), "wpr -addboot") == 3);
    }
    SECTION("-stopboot says there is no boot trace running (0xC5583000), once") {
        Lab lab(0);
        require_ok(lab.init_result());
        require_ok(lab.start({"-n", "1"}));
        lab.set_faults({{"wpr", {{{"command", "stopboot"}, {"code", "0xC5583000"}, {"times", 1}}}}});
        require_ok(lab.run());
        const json s = lab.status();
        INFO(s.dump(2));
        CHECK(s["campaign"]["state"] == "done");
        CHECK(s["iterations"][0]["attempt"] == 2);
        CHECK(s["iterations"][0]["retry_log"].get<std::string>().find("0xC5583000") != std::string::npos);
        CHECK(lab.no_boot_trace_armed());
    }
}

TEST_CASE("campaign: lost events beyond the threshold make the boot be recorded again") {
    SECTION("once: the iteration is recorded again and the campaign completes") {
        Lab lab(0);
        require_ok(lab.init_result());
        require_ok(lab.start({"-n", "2"}));
        lab.set_faults({{"events_lost", {{"count", 500}, {"times", 1}}}});
        require_ok(lab.run());
        const json s = lab.status();
        INFO(s.dump(2));
        CHECK(s["campaign"]["state"] == "done");
        CHECK(s["summary"]["store_traces"] == 2);
        CHECK(s["iterations"][0]["attempt"] == 2);
        CHECK(s["iterations"][0]["events_lost"] == 0);
        CHECK(s["iterations"][0]["retry_log"].get<std::string>().find("lost 500 events") !=
              std::string::npos);
    }
    SECTION("within the threshold: accepted and reported") {
        Lab lab(0);
        require_ok(lab.init_result());
        require_ok(lab.start({"-n", "1", "--max-events-lost", "1000"}));
        lab.set_faults({{"events_lost", {{"count", 500}, {"times", -1}}}});
        require_ok(lab.run());
        const json s = lab.status();
        CHECK(s["campaign"]["state"] == "done");
        CHECK(s["iterations"][0]["attempt"] == 1);
        CHECK(s["iterations"][0]["events_lost"] == 500);
    }
    SECTION("always: the campaign fails and says why") {
        Lab lab(0);
        require_ok(lab.init_result());
        require_ok(lab.start({"-n", "1", "--max-retries", "1"}));
        lab.set_faults({{"events_lost", {{"count", 500}, {"times", -1}}}});
        CHECK(lab.run().exit_code == 1);
        const json s = lab.status();
        INFO(s.dump(2));
        CHECK(s["campaign"]["state"] == "failed");
        CHECK(s["campaign"]["failure_code"] == "events_lost");
        CHECK(s["campaign"]["failure_reason"].get<std::string>().find(
                  "lost 500 events (more than 0 allowed)") != std::string::npos);
        require_clean_machine(lab, 0);
    }
}

TEST_CASE("campaign: a full disk while saving the trace fails the campaign with a clear reason") {
    Lab lab(0);
    require_ok(lab.init_result());
    require_ok(lab.start({"-n", "3", "--dpe", "on"}));
    lab.set_faults({{"disk_cap_bytes", 4096}});
    CHECK(lab.run().exit_code == 1);
    const json s = lab.status();
    INFO(s.dump(2));
    CHECK(s["campaign"]["state"] == "failed");
    CHECK(s["campaign"]["failure_code"] == "disk_full");
    const std::string reason = s["campaign"]["failure_reason"];
    CHECK(reason.find("wpr -stopboot failed with 0x80070070") != std::string::npos);
    CHECK(reason.find("free space") != std::string::npos);
    CHECK(s["summary"]["ingested"] == 0);
    require_clean_machine(lab, 0);
}

TEST_CASE("campaign: a machine that never goes idle is traced after the maximum settle delay") {
    Lab lab(0);
    require_ok(lab.init_result());
    require_ok(lab.start({"-n", "1", "--settle-max-ms", "3000"}));
    lab.set_faults({{"never_idle", true}});
    require_ok(lab.run());
    const json s = lab.status();
    CHECK(s["campaign"]["state"] == "done");
    CHECK(s["iterations"][0]["settle_timed_out"] == true);
    CHECK(s["iterations"][0]["settle_ms"] == 3000);
}

TEST_CASE("campaign: cancel cleans up, and a second campaign cannot start while one runs") {
    Lab lab(0);
    require_ok(lab.init_result());
    require_ok(lab.start({"--dpe", "on"}));
    const auto second = lab.agent({"campaign", "start", "--id", "c2", "--build", "b"});
    CHECK(second.exit_code == 2);
    CHECK(second.err.find("campaign 'c1' is still running") != std::string::npos);
    // Power the machine off when the agent asks for the first traced boot: the boot trace is armed.
    lab.agent({"sim-lab", "run", "--max-boots", "2", "--retry-backoff-ms", "1"});
    CHECK(lab.status()["campaign"]["state"] == "rebooting");
    CHECK_FALSE(lab.no_boot_trace_armed());
    require_ok(lab.agent({"campaign", "cancel"}));
    require_ok(lab.run());
    const json s = lab.status();
    INFO(s.dump(2));
    CHECK(s["campaign"]["state"] == "cancelled");
    CHECK(s["campaign"]["failure_reason"].get<std::string>().find("Cancelled by the operator") !=
          std::string::npos);
    require_clean_machine(lab, 0);
    require_ok(lab.agent({"campaign", "start", "--id", "c2", "--build", "b", "-n", "1"}));
}

TEST_CASE("campaign: bad campaign options are refused before anything happens on the machine") {
    Lab lab(0);
    require_ok(lab.init_result());
    const auto bad_id = lab.agent({"campaign", "start", "--id", "../x", "--build", "b"});
    CHECK(bad_id.exit_code == 2);
    CHECK(bad_id.err.find("only letters, digits") != std::string::npos);
    const auto bad_tag = lab.agent({"campaign", "start", "--id", "x", "--build", "b", "--tags", "TooLong"});
    CHECK(bad_tag.exit_code == 2);
    CHECK(bad_tag.err.find("TooLong") != std::string::npos);
    CHECK(lab.agent({"campaign", "status"}).exit_code == 2);  // no campaign yet
}
