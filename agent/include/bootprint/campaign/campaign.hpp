// A boot-trace campaign: what to record (profile options), how many boots, the labels the results
// carry, and the persisted state of its run. docs/campaign.md draws the state machine.
//
//   CampaignSpec spec;
//   spec.id = "nightly-42";  spec.build = "26100.1";  spec.iterations = 3;
//   spec.pool_tags = {"Ntfx", "Cnto"};  spec.disable_paging_executive = true;
//   BP_TRY_STATUS(spec.validate());
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bootprint/common/result.hpp"

namespace bp::campaign {

// "Settled" after boot (wpr-boot.md §2.8): `idle_ms` of accumulated idle credit, counted in `window_ms`
// windows in which CPU and disk are both below `busy_percent`; give up waiting after `max_delay_ms`.
struct SettleOptions {
    std::uint32_t idle_ms = 5000;
    std::uint32_t window_ms = 500;
    double busy_percent = 20.0;
    std::uint32_t max_delay_ms = 180'000;
};

struct CampaignSpec {
    std::string id;       // [A-Za-z0-9._-], 1..64: it names folders and files
    std::string build;    // label: the Windows build under test
    std::string machine;  // label; empty: the host's machine name
    std::string job_id;   // the controller's job, when it sent this campaign
    std::map<std::string, std::string> labels;
    std::uint32_t iterations = 3;  // boots per tag group
    // Profile options (profiles::ProfileRequest): one profile per group of at most 4 tags.
    std::string profile_name = "Bootprint";
    std::vector<std::string> pool_tags;
    bool resident_set = true;
    bool triage = false;
    // DisablePagingExecutive during the campaign: nullopt leaves it as it is.
    std::optional<bool> disable_paging_executive;
    SettleOptions settle;
    std::uint64_t max_events_lost = 0;  // a trace that lost more events is recorded again
    std::uint32_t max_retries = 2;      // re-recordings of one iteration before the campaign fails

    Status validate() const;
    std::string to_json() const;
    static Result<CampaignSpec> from_json(std::string_view text);
};

// The campaign's position. Iteration states refer to the iteration `current_seq`.
enum class State : std::uint8_t {
    created,          // accepted; nothing done on the machine yet
    prepared,         // profile written; DisablePagingExecutive's original value recorded
    dpe_reboot,       // DisablePagingExecutive written; rebooting so that it takes effect
    iteration_ready,  // about to arm iteration current_seq
    armed,            // stale boot trace cancelled, this one armed and verified
    rebooting,        // reboot requested (from boot `reboot_from_boot`)
    booted,           // the armed boot happened
    settled,          // the machine went idle (or the maximum delay passed)
    stopped,          // wpr -stopboot saved the trace; its sha256 and lost events recorded
    ingested,         // the trace is in the store
    finishing,        // every iteration queued; restoring the machine
    restore_reboot,   // DisablePagingExecutive restored; rebooting so that it takes effect
    done,
    failed,  // stopped for the reason in failure_reason; cleanup attempted
    cancelled,
};

const char* to_string(State state);
Result<State> parse_state(std::string_view text);
bool is_terminal(State state);

// DisablePagingExecutive bookkeeping (the report's disable_paging_executive object).
struct DpeRecord {
    bool original_read = false;
    std::optional<std::uint32_t> original;  // nullopt: the value did not exist
    std::optional<std::uint32_t> wanted;    // nullopt: leave it
    bool changed = false;                   // we wrote it (so we restore it)
    std::int64_t set_at_us = 0;
    std::optional<std::uint32_t> in_effect;
    bool verified = false;  // in_effect was written before the current boot began
    bool restored = false;
};

struct CampaignRecord {
    CampaignSpec spec;
    State state = State::created;
    std::int64_t current_seq = 0;       // iteration being worked on (0: none)
    std::int64_t total_iterations = 0;  // tag groups × spec.iterations
    std::string profile_path;
    std::string reboot_from_boot;  // boot id when the pending reboot was requested
    DpeRecord dpe;
    std::string failure_code;    // machine-readable (docs/campaign.md)
    std::string failure_reason;  // for the lab engineer
    bool cancel_requested = false;
    std::uint32_t step_attempts = 0;  // tries of the current state's step since the last transition
    std::string last_error;
    std::int64_t created_at_us = 0;
    std::int64_t updated_at_us = 0;
};

struct IterationRecord {
    std::string campaign_id;
    std::int64_t seq = 0;         // 1..total, the order of the boots
    std::uint32_t tag_group = 1;  // 1-based profile group
    std::uint32_t iteration = 1;  // 1..spec.iterations within the group
    std::string selector;         // "Bootprint.g1.Verbose"
    std::vector<std::string> pool_tags;
    std::string state = "pending";  // pending, or the campaign state it last reached; "queued" when done
    std::uint32_t attempt = 1;      // 1 + re-recordings
    std::string trace_path;
    std::string temp_dir;
    std::string armed_boot;
    std::string boot_id;
    std::int64_t boot_time_us = 0;
    std::optional<std::uint32_t> autologger_status;
    std::uint32_t settle_ms = 0;  // time until settled (sum of windows)
    bool settle_timed_out = false;
    std::string trace_sha256;
    std::uint64_t trace_bytes = 0;
    std::uint64_t events_lost = 0;
    std::optional<std::int64_t> trace_id;  // traces.id in the store
    std::string result_key;
    std::string retry_log;  // one line per re-recording: why
};

struct TransitionRecord {
    std::int64_t seq = 0;  // 1, 2, ... per campaign
    std::string from;
    std::string to;
    std::int64_t iteration_seq = 0;
    std::string boot_id;
    std::int64_t at_us = 0;
    std::string note;
};

}  // namespace bp::campaign
