// The campaign state machine (docs/campaign.md). One handler per state; each does its work so that
// running it twice is harmless (the agent may die between the work and the commit), then commits one
// transition. Handlers never sleep or wait on their own: waiting goes through the host's idle
// sampler and clock, so tests run in milliseconds.
#include "bootprint/campaign/engine.hpp"

#include <filesystem>
#include <optional>
#include <variant>

#include "bootprint/campaign/iteration_report.hpp"
#include "bootprint/campaign/settle.hpp"
#include "bootprint/campaign/wpr_errors.hpp"
#include "bootprint/etl/etl_file.hpp"
#include "bootprint/footprint/analyzer.hpp"
#include "bootprint/host/wpr_contract.hpp"
#include "bootprint/profiles/generator.hpp"
#include "bootprint/store/sha256.hpp"

namespace bp::campaign {
namespace fs = std::filesystem;
namespace wpr = host::wpr;

const char* to_string(StepOutcome outcome) {
    switch (outcome) {
        case StepOutcome::advanced:
            return "advanced";
        case StepOutcome::retry:
            return "retry";
        case StepOutcome::rebooting:
            return "rebooting";
        case StepOutcome::idle:
            return "idle";
        case StepOutcome::done:
            return "done";
        case StepOutcome::failed:
            return "failed";
        case StepOutcome::cancelled:
            return "cancelled";
    }
    return "?";
}

namespace {

profiles::ProfileRequest request_for(const CampaignSpec& spec) {
    profiles::ProfileRequest r;
    r.name = spec.profile_name;
    r.pool_tags = spec.pool_tags;
    r.resident_set = spec.resident_set;
    r.triage = spec.triage;
    return r;
}

std::string campaign_dir(const host::Host& h, const std::string& id) {
    return (fs::path(h.data_dir) / "campaigns" / id).string();
}

// A FootprintSink that forwards to the store's ingest and calls the "ingest" checkpoint once, with
// rows written but not committed.
class CheckpointSink final : public footprint::FootprintSink {
  public:
    CheckpointSink(footprint::FootprintSink& inner, const std::function<void(std::string_view)>& hook)
        : inner_(inner), hook_(hook) {}
    Status on_image(const footprint::Image& v) override { return inner_.on_image(v); }
    Status on_stack(const footprint::Stack& v) override { return inner_.on_stack(v); }
    Status on_pool_allocation(const footprint::PoolAllocation& v) override {
        BP_TRY_STATUS(inner_.on_pool_allocation(v));
        fire();
        return {};
    }
    Status on_pool_snap(const footprint::PoolSnapRow& v) override { return inner_.on_pool_snap(v); }
    Status on_resident(const footprint::ResidentRow& v) override { return inner_.on_resident(v); }
    Status on_meminfo(const footprint::MemInfoSample& v) override { return inner_.on_meminfo(v); }
    Status on_finish(const footprint::TraceInfo& info, const footprint::Window& w) override {
        BP_TRY_STATUS(inner_.on_finish(info, w));
        fire();
        return {};
    }

  private:
    void fire() {
        if (fired_ || !hook_) return;
        fired_ = true;
        hook_("ingest");
    }
    footprint::FootprintSink& inner_;
    const std::function<void(std::string_view)>& hook_;
    bool fired_ = false;
};

}  // namespace

// ---- starting a campaign -----------------------------------------------------------------------------

Result<CampaignRecord> start_campaign(CampaignDb& db, CampaignSpec spec, const std::string& machine,
                                      host::Clock& clock) {
    BP_TRY_STATUS(spec.validate());
    if (spec.machine.empty()) spec.machine = machine;
    BP_TRY(profiles::GeneratedProfiles generated, profiles::generate(request_for(spec)));
    CampaignRecord c;
    c.spec = spec;
    c.state = State::created;
    c.total_iterations = static_cast<std::int64_t>(generated.profiles.size()) * spec.iterations;
    c.created_at_us = c.updated_at_us = clock.now_us();
    std::vector<IterationRecord> rows;
    std::int64_t seq = 0;
    for (std::size_t g = 0; g < generated.profiles.size(); ++g) {
        for (std::uint32_t k = 1; k <= spec.iterations; ++k) {
            IterationRecord r;
            r.campaign_id = spec.id;
            r.seq = ++seq;
            r.tag_group = static_cast<std::uint32_t>(g + 1);
            r.iteration = k;
            r.selector = generated.profiles[g].selector;
            r.pool_tags = generated.profiles[g].pool_tags;
            rows.push_back(std::move(r));
        }
    }
    BP_TRY_STATUS(db.create(c, rows));
    return c;
}

// ---- the engine --------------------------------------------------------------------------------------

// One step's context and its ways to end. A handler returns Result<StepOutcome>: an Error is an
// environment problem (the step is retried, bounded); a Stop is a decision (fail or re-record).
struct Engine::Work {
    Engine& e;
    CampaignRecord c;
    host::Host& h;

    struct Stop {
        std::string code;
        std::string reason;
        Action action = Action::fail;
    };
    std::optional<Stop> stop;

    Result<StepOutcome> halt(std::string code, std::string reason, Action action) {
        stop = Stop{std::move(code), std::move(reason), action};
        return StepOutcome::failed;  // replaced by the caller once the stop is handled
    }

    Status commit(State from, const IterationRecord* it, std::string_view note) {
        BP_TRY(host::BootInfo boot, h.boot.current());
        return e.db_.commit(from, c, it, note, boot.id, h.clock.now_us());
    }

    void point(std::string_view name) const {
        if (e.options_.checkpoint) e.options_.checkpoint(name);
    }

    // Runs wpr; Ok(output) whatever the exit code (the caller decides), Error when it cannot start.
    Result<host::ProcessOutput> run_wpr(std::vector<std::string> args, std::chrono::minutes timeout) {
        args.insert(args.begin(), h.wpr);
        host::RunOptions options;
        options.timeout = timeout;
        auto out = h.processes.run(args, options);
        if (!out && out.error().code == Errc::not_found) {
            // Nothing will change by retrying: say what is missing.
            Error err = std::move(out).error();
            err.message = "wpr is not installed where the agent expects it: " + err.message;
            return err;
        }
        return out;
    }

    // `wpr -cancelboot`; "nothing to cancel" counts as success.
    Result<std::optional<WprFailure>> cancel_boot() {
        BP_TRY(auto out, run_wpr({"-cancelboot"}, std::chrono::minutes(2)));
        if (out.exit_code == wpr::kOk || out.exit_code == wpr::kNoProfilesRunning)
            return std::optional<WprFailure>();
        return std::optional<WprFailure>(describe_wpr_failure("cancelboot", out));
    }

    std::uint32_t dpe_effective_original() const { return c.dpe.original.value_or(0); }

    // Cleanup on the way to failed/cancelled: no stale boot trace armed, DisablePagingExecutive back
    // to its original value (in effect from the next boot). Best effort; says what it could not do.
    std::string cleanup() {
        std::string notes;
        auto cancelled = cancel_boot();
        if (!cancelled) {
            notes += " The boot trace could not be cancelled (" + cancelled.error().describe() +
                     "): run `wpr -cancelboot` on the machine.";
        } else if (*cancelled) {
            notes += " The boot trace could not be cancelled (" + (*cancelled)->reason +
                     "): run `wpr -cancelboot` on the machine.";
        } else {
            notes += " No boot trace is left armed.";
        }
        if (c.dpe.changed && !c.dpe.restored) {
            Status restored =
                c.dpe.original
                    ? h.registry.write_dword(host::kMemoryManagementKey, host::kDisablePagingExecutive,
                                             *c.dpe.original)
                    : h.registry.delete_value(host::kMemoryManagementKey, host::kDisablePagingExecutive);
            if (restored) {
                c.dpe.restored = true;
                notes +=
                    " DisablePagingExecutive was restored to " +
                    (c.dpe.original ? std::to_string(*c.dpe.original) : std::string("its default (absent)")) +
                    "; it takes effect at the next reboot.";
            } else {
                notes += " DisablePagingExecutive could not be restored (" + restored.error().describe() +
                         "): set it back to " + std::to_string(dpe_effective_original()) + " by hand.";
            }
        }
        return notes;
    }

    Result<StepOutcome> fail(const std::string& code, const std::string& reason) {
        const State from = c.state;
        c.failure_code = code;
        c.failure_reason = reason + cleanup();
        c.state = State::failed;
        IterationRecord* none = nullptr;
        std::optional<IterationRecord> it;
        if (c.current_seq > 0 && !is_terminal(from)) {
            if (auto row = e.db_.iteration(c.spec.id, c.current_seq)) {
                it = *row;
                if (it->state != "queued") it->state = "failed";
            }
        }
        BP_TRY_STATUS(commit(from, it ? &*it : none, c.failure_reason));
        return StepOutcome::failed;
    }

    Result<StepOutcome> reboot(const std::string& why) {
        host::RebootRequest request;
        request.message = "bootprint campaign " + c.spec.id + ": " + why;
        BP_TRY_STATUS(h.power.reboot(request));
        return StepOutcome::rebooting;
    }

    // In a *_reboot / rebooting state: true when the requested reboot has happened.
    Result<bool> rebooted() {
        BP_TRY(host::BootInfo boot, h.boot.current());
        return boot.id != c.reboot_from_boot;
    }

    // The reboot did not happen (the agent died before asking, or the request was lost): ask again,
    // counting the try so that a machine that refuses to reboot ends the campaign.
    Result<StepOutcome> reboot_again(const std::string& why) {
        const std::uint32_t attempts = c.step_attempts + 1;
        BP_TRY_STATUS(
            e.db_.record_attempt(c.spec.id, attempts, "the machine did not reboot yet", h.clock.now_us()));
        if (attempts >= e.options_.max_step_attempts) {
            return fail("reboot_failed", "The machine did not reboot after " + std::to_string(attempts) +
                                             " requests (" + why + ").");
        }
        return reboot(why);
    }

    std::string iteration_label(const IterationRecord& it) const {
        return "boot trace " + std::to_string(it.seq) + "/" + std::to_string(c.total_iterations);
    }

    // ---- states ----

    Result<StepOutcome> on_created() {
        BP_TRY(profiles::GeneratedProfiles generated, profiles::generate(request_for(c.spec)));
        const std::string dir = campaign_dir(h, c.spec.id);
        BP_TRY_STATUS(h.files.create_directories(dir));
        c.profile_path = (fs::path(dir) / (c.spec.profile_name + ".wprp")).string();
        BP_TRY_STATUS(h.files.write_file(c.profile_path, generated.xml));
        // Nothing was written to the registry yet in this state: what we read is the original.
        BP_TRY(c.dpe.original,
               h.registry.read_dword(host::kMemoryManagementKey, host::kDisablePagingExecutive));
        c.dpe.original_read = true;
        if (c.spec.disable_paging_executive) c.dpe.wanted = *c.spec.disable_paging_executive ? 1u : 0u;
        c.state = State::prepared;
        BP_TRY_STATUS(commit(State::created, nullptr,
                             "profile written to " + c.profile_path + "; DisablePagingExecutive was " +
                                 (c.dpe.original ? std::to_string(*c.dpe.original) : std::string("absent"))));
        return StepOutcome::advanced;
    }

    Result<StepOutcome> on_prepared() {
        BP_TRY(host::BootInfo boot, h.boot.current());
        const bool needs_change = c.dpe.wanted && *c.dpe.wanted != dpe_effective_original();
        if (needs_change) {
            BP_TRY_STATUS(h.registry.write_dword(host::kMemoryManagementKey, host::kDisablePagingExecutive,
                                                 *c.dpe.wanted));
            c.dpe.changed = true;
            c.dpe.set_at_us = h.clock.now_us();
            c.reboot_from_boot = boot.id;
            c.state = State::dpe_reboot;
            BP_TRY_STATUS(commit(State::prepared, nullptr,
                                 "DisablePagingExecutive set to " + std::to_string(*c.dpe.wanted) +
                                     "; rebooting so that it takes effect"));
            return reboot("DisablePagingExecutive takes effect");
        }
        // Unchanged: in effect if nobody wrote it during this boot.
        BP_TRY(auto written, h.registry.key_last_write_us(host::kMemoryManagementKey));
        c.dpe.in_effect = dpe_effective_original();
        c.dpe.verified = !c.dpe.original || !written || *written < boot.boot_time_us;
        if (!c.dpe.verified && c.dpe.wanted) {
            // Written during this boot (by someone else): only a reboot makes it certain.
            c.reboot_from_boot = boot.id;
            c.state = State::dpe_reboot;
            BP_TRY_STATUS(commit(
                State::prepared, nullptr,
                "DisablePagingExecutive was written during this boot; rebooting so that it takes effect"));
            return reboot("DisablePagingExecutive takes effect");
        }
        c.state = State::iteration_ready;
        c.current_seq = 1;
        BP_TRY_STATUS(commit(State::prepared, nullptr,
                             "DisablePagingExecutive left at " + std::to_string(*c.dpe.in_effect) +
                                 (c.dpe.verified ? " (in effect)" : " (written during this boot)")));
        return StepOutcome::advanced;
    }

    Result<StepOutcome> on_dpe_reboot() {
        BP_TRY(bool done, rebooted());
        if (!done) return reboot_again("DisablePagingExecutive takes effect");
        BP_TRY(host::BootInfo boot, h.boot.current());
        BP_TRY(auto value, h.registry.read_dword(host::kMemoryManagementKey, host::kDisablePagingExecutive));
        BP_TRY(auto written, h.registry.key_last_write_us(host::kMemoryManagementKey));
        const std::uint32_t now = value.value_or(0);
        const bool before_boot = !written || *written < boot.boot_time_us;
        if (now != c.dpe.wanted.value_or(now) || !before_boot) {
            return fail("dpe_not_in_effect",
                        "DisablePagingExecutive should be " + std::to_string(c.dpe.wanted.value_or(0)) +
                            " since the last reboot, but the registry holds " + std::to_string(now) +
                            (before_boot ? "" : ", written after this boot began") +
                            ": something else changes it (group policy? another tool?).");
        }
        c.dpe.in_effect = now;
        c.dpe.verified = true;
        c.state = State::iteration_ready;
        c.current_seq = 1;
        BP_TRY_STATUS(commit(
            State::dpe_reboot, nullptr,
            "DisablePagingExecutive " + std::to_string(now) + " in effect (written before this boot)"));
        return StepOutcome::advanced;
    }

    Result<StepOutcome> on_iteration_ready() {
        BP_TRY(IterationRecord it, e.db_.iteration(c.spec.id, c.current_seq));
        // Idempotent arming: whatever is scheduled (ours from before a crash, or someone's) goes first.
        BP_TRY(auto cancel_failure, cancel_boot());
        if (cancel_failure) return halt(cancel_failure->code, cancel_failure->reason, cancel_failure->action);
        const std::string dir = campaign_dir(h, c.spec.id);
        it.temp_dir = (fs::path(dir) / "tmp" / std::to_string(it.seq)).string();
        const std::string stem = "iter-" + std::to_string(it.seq) +
                                 (it.attempt > 1 ? ".attempt-" + std::to_string(it.attempt) : std::string());
        it.trace_path = (fs::path(dir) / "traces" / (stem + ".etl")).string();
        BP_TRY_STATUS(h.files.create_directories(it.temp_dir));
        BP_TRY_STATUS(h.files.create_directories((fs::path(dir) / "traces").string()));
        // A file under this name cannot belong to the boot we are about to arm.
        BP_TRY_STATUS(h.files.remove_file(it.trace_path));
        BP_TRY(auto out,
               run_wpr({"-addboot", profiles::addboot_argument(c.profile_path, {"", "", it.selector, {}}),
                        "-filemode", "-recordtempto", it.temp_dir},
                       std::chrono::minutes(2)));
        if (out.exit_code != wpr::kOk) {
            WprFailure f = describe_wpr_failure("addboot", out);
            // Re-recording cannot help an arming problem: retry the step, then fail.
            return halt(f.code, f.reason,
                        f.action == Action::retry_iteration ? Action::retry_step : f.action);
        }
        BP_TRY(auto start, h.registry.read_dword(wpr::kBootAutologgerKey, wpr::kAutologgerStart));
        if (!start || *start == 0) {
            return halt("arming_not_verified",
                        "wpr -addboot succeeded but no boot session is configured (" +
                            std::string(wpr::kBootAutologgerKey) + " Start is not 1)",
                        Action::retry_step);
        }
        BP_TRY(host::BootInfo boot, h.boot.current());
        it.armed_boot = boot.id;
        it.state = "armed";
        c.state = State::armed;
        BP_TRY_STATUS(
            commit(State::iteration_ready, &it, "armed " + it.selector + " for " + iteration_label(it)));
        return StepOutcome::advanced;
    }

    Result<StepOutcome> on_armed() {
        BP_TRY(IterationRecord it, e.db_.iteration(c.spec.id, c.current_seq));
        BP_TRY(host::BootInfo boot, h.boot.current());
        if (boot.id != it.armed_boot) {
            // The machine rebooted between arming and our request (power cut): that boot was not planned
            // and may have been disturbed; arm again (the arming step cancels what is left).
            it.state = "pending";
            c.state = State::iteration_ready;
            BP_TRY_STATUS(commit(State::armed, &it, "unplanned reboot after arming; arming again"));
            return StepOutcome::advanced;
        }
        c.reboot_from_boot = boot.id;
        it.state = "rebooting";
        c.state = State::rebooting;
        BP_TRY_STATUS(commit(State::armed, &it, "rebooting for " + iteration_label(it)));
        return reboot(iteration_label(it));
    }

    Result<StepOutcome> on_rebooting() {
        BP_TRY(IterationRecord it, e.db_.iteration(c.spec.id, c.current_seq));
        BP_TRY(bool done, rebooted());
        if (!done) return reboot_again(iteration_label(it));
        BP_TRY(host::BootInfo boot, h.boot.current());
        BP_TRY(it.autologger_status, h.registry.read_dword(wpr::kBootAutologgerKey, wpr::kAutologgerStatus));
        it.boot_id = boot.id;
        it.boot_time_us = boot.boot_time_us;
        it.state = "booted";
        c.state = State::booted;
        BP_TRY_STATUS(
            commit(State::rebooting, &it,
                   "booted; autologger status " +
                       (it.autologger_status ? hex32(*it.autologger_status) : std::string("not set"))));
        return StepOutcome::advanced;
    }

    Result<StepOutcome> on_booted() {
        BP_TRY(IterationRecord it, e.db_.iteration(c.spec.id, c.current_seq));
        BP_TRY(SettleResult settled, wait_until_settled(h.idle, c.spec.settle));
        it.settle_ms = settled.elapsed_ms;
        it.settle_timed_out = settled.timed_out;
        it.state = "settled";
        c.state = State::settled;
        BP_TRY_STATUS(commit(State::booted, &it,
                             settled.timed_out
                                 ? "not idle after " + std::to_string(settled.elapsed_ms) +
                                       " ms (the maximum): stopping the trace anyway"
                                 : "settled after " + std::to_string(settled.elapsed_ms) + " ms"));
        return StepOutcome::advanced;
    }

    // This iteration's trace is unusable: record it again, or fail when the retries are used up.
    Result<StepOutcome> rerecord(IterationRecord it, const std::string& code, const std::string& reason) {
        if (it.attempt > c.spec.max_retries) {
            return fail(code, "Iteration " + std::to_string(it.seq) + " failed " +
                                  std::to_string(it.attempt) + " times; the last time: " + reason);
        }
        const State from = c.state;
        it.retry_log += "attempt " + std::to_string(it.attempt) + ": " + reason + "\n";
        it.attempt += 1;
        it.state = "pending";
        it.trace_sha256.clear();
        it.autologger_status.reset();
        c.state = State::iteration_ready;
        BP_TRY_STATUS(commit(from, &it, "recording again: " + reason));
        return StepOutcome::advanced;
    }

    Result<StepOutcome> on_settled() {
        BP_TRY(IterationRecord it, e.db_.iteration(c.spec.id, c.current_seq));
        if (it.autologger_status && *it.autologger_status != 0) {
            BP_TRY(auto cancel_failure, cancel_boot());
            (void)cancel_failure;  // the next arming cancels again
            return rerecord(it, "autologger_failed",
                            "the boot trace session did not start at boot (autologger Status " +
                                hex32(*it.autologger_status) + ")");
        }
        // Saved already (the agent died after -stopboot)? A complete trace opens.
        BP_TRY(auto size, h.files.file_size(it.trace_path));
        bool saved = size && *size > 0 && etl::EtlFile::open(it.trace_path).has_value();
        if (!saved) {
            BP_TRY(auto out,
                   run_wpr({"-stopboot", it.trace_path,
                            "bootprint campaign " + c.spec.id + " iteration " + std::to_string(it.seq),
                            "-skipPdbGen"},
                           std::chrono::minutes(30)));
            if (out.exit_code != wpr::kOk) {
                WprFailure f = describe_wpr_failure("stopboot", out);
                if (f.action == Action::retry_iteration) return rerecord(it, f.code, f.reason);
                return halt(f.code, f.reason, f.action);
            }
            if (out.out.find(wpr::kScheduledNotStarted) != std::string::npos) {
                return rerecord(
                    it, "trace_missing",
                    "wpr says the boot trace had not started: the machine did not boot with it armed");
            }
            BP_TRY(size, h.files.file_size(it.trace_path));
            if (!size || *size == 0) {
                return rerecord(
                    it, "trace_missing",
                    "wpr -stopboot reported success but " + it.trace_path + " is missing or empty");
            }
        }
        auto file = etl::EtlFile::open(it.trace_path);
        if (!file)
            return rerecord(it, "trace_corrupt", "the saved trace is damaged: " + file.error().describe());
        const std::uint64_t lost = file->header().events_lost;
        if (lost > c.spec.max_events_lost) {
            return rerecord(it, "events_lost",
                            "the trace lost " + std::to_string(lost) + " events (more than " +
                                std::to_string(c.spec.max_events_lost) +
                                " allowed): larger buffers may help");
        }
        BP_TRY(it.trace_sha256, store::sha256_file(it.trace_path));
        it.trace_bytes = *size;
        it.events_lost = lost;
        it.state = "stopped";
        c.state = State::stopped;
        BP_TRY_STATUS(commit(State::settled, &it, "trace saved: " + it.trace_path));
        return StepOutcome::advanced;
    }

    Result<StepOutcome> on_stopped() {
        BP_TRY(IterationRecord it, e.db_.iteration(c.spec.id, c.current_seq));
        // Idempotent by content: a trace the store holds (ingested before a crash) is not analysed again.
        BP_TRY(auto known, e.store_.find_trace(it.trace_sha256));
        std::string note = "ingested";
        if (known) {
            it.trace_id = *known;
            note = "already in the store";
        } else {
            BP_TRY(etl::EtlFile file, etl::EtlFile::open(it.trace_path));
            footprint::Labels labels;
            labels.campaign = c.spec.id;
            labels.iteration = it.seq;
            labels.build = c.spec.build;
            labels.machine = c.spec.machine;
            BP_TRY(auto ingest, e.store_.begin_ingest(store::facts_for(file, it.trace_sha256, labels)));
            footprint::AnalyzerOptions options;
            options.sha256 = it.trace_sha256;
            CheckpointSink sink(*ingest, e.options_.checkpoint);
            BP_TRY(footprint::TraceInfo info, footprint::analyze_trace(file, options, sink));
            (void)info;
            BP_TRY_STATUS(ingest->commit());
            it.trace_id = ingest->trace_id();
        }
        it.state = "ingested";
        c.state = State::ingested;
        BP_TRY_STATUS(commit(State::stopped, &it, note + " as trace " + std::to_string(*it.trace_id)));
        return StepOutcome::advanced;
    }

    Result<StepOutcome> on_ingested() {
        BP_TRY(IterationRecord it, e.db_.iteration(c.spec.id, c.current_seq));
        BP_TRY(auto known, e.store_.find_trace(it.trace_sha256));
        if (!known) {
            // The store lost the ingest (a power cut before it reached the disk): ingest again.
            it.state = "stopped";
            it.trace_id.reset();
            c.state = State::stopped;
            BP_TRY_STATUS(
                commit(State::ingested, &it, "the trace is not in the store any more; ingesting again"));
            return StepOutcome::advanced;
        }
        it.trace_id = *known;
        const std::string agent = e.options_.agent_id.empty() ? h.machine : e.options_.agent_id;
        ReportContext ctx{agent, e.options_.agent_version, c.spec.machine, &c, &it};
        BP_TRY(std::string report, build_iteration_report(e.store_, ctx));
        it.result_key = idempotency_key(agent, c.spec.id, it.seq, it.trace_sha256);
        BP_TRY_STATUS(e.sink_.enqueue({it.result_key, c.spec.id, it.seq, report}));
        point("queue");
        it.state = "queued";
        if (it.seq < c.total_iterations) {
            c.current_seq = it.seq + 1;
            c.state = State::iteration_ready;
        } else {
            c.state = State::finishing;
        }
        BP_TRY_STATUS(commit(State::ingested, &it, "report queued (" + it.result_key + ")"));
        return StepOutcome::advanced;
    }

    Result<StepOutcome> on_finishing() {
        BP_TRY(auto cancel_failure, cancel_boot());
        if (cancel_failure) return halt(cancel_failure->code, cancel_failure->reason, Action::retry_step);
        if (c.dpe.changed && !c.dpe.restored) {
            if (c.dpe.original) {
                BP_TRY_STATUS(h.registry.write_dword(host::kMemoryManagementKey,
                                                     host::kDisablePagingExecutive, *c.dpe.original));
            } else {
                BP_TRY_STATUS(
                    h.registry.delete_value(host::kMemoryManagementKey, host::kDisablePagingExecutive));
            }
            BP_TRY(host::BootInfo boot, h.boot.current());
            c.dpe.restored = true;
            c.reboot_from_boot = boot.id;
            c.state = State::restore_reboot;
            BP_TRY_STATUS(
                commit(State::finishing, nullptr,
                       "DisablePagingExecutive restored to " +
                           (c.dpe.original ? std::to_string(*c.dpe.original) : std::string("absent")) +
                           "; rebooting so that it takes effect"));
            return reboot("DisablePagingExecutive restored");
        }
        c.state = State::done;
        BP_TRY_STATUS(commit(State::finishing, nullptr, "campaign done"));
        return StepOutcome::done;
    }

    Result<StepOutcome> on_restore_reboot() {
        BP_TRY(bool done, rebooted());
        if (!done) return reboot_again("DisablePagingExecutive restored");
        BP_TRY(auto value, h.registry.read_dword(host::kMemoryManagementKey, host::kDisablePagingExecutive));
        if (value != c.dpe.original) {
            return fail("dpe_not_restored",
                        "DisablePagingExecutive should be back to " +
                            (c.dpe.original ? std::to_string(*c.dpe.original) : std::string("absent")) +
                            " but the registry holds " +
                            (value ? std::to_string(*value) : std::string("nothing")) + ".");
        }
        c.state = State::done;
        BP_TRY_STATUS(
            commit(State::restore_reboot, nullptr, "campaign done; DisablePagingExecutive restored"));
        return StepOutcome::done;
    }

    Result<StepOutcome> on_cancel() {
        const State from = c.state;
        c.failure_code = "cancelled";
        c.failure_reason = "Cancelled by the operator." + cleanup();
        c.state = State::cancelled;
        BP_TRY_STATUS(commit(from, nullptr, c.failure_reason));
        return StepOutcome::cancelled;
    }

    Result<StepOutcome> dispatch() {
        switch (c.state) {
            case State::created:
                return on_created();
            case State::prepared:
                return on_prepared();
            case State::dpe_reboot:
                return on_dpe_reboot();
            case State::iteration_ready:
                return on_iteration_ready();
            case State::armed:
                return on_armed();
            case State::rebooting:
                return on_rebooting();
            case State::booted:
                return on_booted();
            case State::settled:
                return on_settled();
            case State::stopped:
                return on_stopped();
            case State::ingested:
                return on_ingested();
            case State::finishing:
                return on_finishing();
            case State::restore_reboot:
                return on_restore_reboot();
            case State::done:
                return StepOutcome::done;
            case State::failed:
                return StepOutcome::failed;
            case State::cancelled:
                return StepOutcome::cancelled;
        }
        return make_error(Errc::internal, "unknown state");
    }
};

Engine::Engine(host::Host host, CampaignDb& db, store::AgentStore& store, ResultSink& sink,
               EngineOptions options)
    : host_(std::move(host)), db_(db), store_(store), sink_(sink), options_(std::move(options)) {
    if (options_.checkpoint) db_.set_checkpoint(options_.checkpoint);
}

Result<StepOutcome> Engine::step() {
    BP_TRY(auto active, db_.active());
    if (!active) return StepOutcome::idle;
    Work w{*this, std::move(*active), host_, std::nullopt};
    if (w.c.cancel_requested) return w.on_cancel();
    if (w.c.step_attempts >= options_.max_step_attempts) {
        return w.fail("step_failed", "The step after state '" + std::string(to_string(w.c.state)) +
                                         "' failed " + std::to_string(w.c.step_attempts) +
                                         " times; the last error: " + w.c.last_error);
    }
    auto outcome = w.dispatch();
    std::string error_code = "step_failed";
    std::string error;
    if (!outcome) {
        error = outcome.error().describe();
    } else if (w.stop) {
        if (w.stop->action == Action::fail) return w.fail(w.stop->code, w.stop->reason);
        error_code = w.stop->code;
        error = w.stop->reason;
    } else {
        return outcome;
    }
    // A failed try: counted durably, then retried (by the caller) or the end of the campaign.
    const std::uint32_t attempts = w.c.step_attempts + 1;
    BP_TRY_STATUS(db_.record_attempt(w.c.spec.id, attempts, error, host_.clock.now_us()));
    if (attempts >= options_.max_step_attempts) {
        return w.fail(error_code, error + " (tried " + std::to_string(attempts) + " times)");
    }
    return StepOutcome::retry;
}

Result<StepOutcome> Engine::run() {
    for (;;) {
        BP_TRY(StepOutcome outcome, step());
        switch (outcome) {
            case StepOutcome::advanced:
                continue;
            case StepOutcome::retry:
                host_.clock.sleep_for(options_.retry_backoff);
                continue;
            default:
                return outcome;
        }
    }
}

}  // namespace bp::campaign
