#include "bootprint/report/report.hpp"

#include <array>
#include <initializer_list>

namespace bp::report {

namespace {

using nlohmann::json;

constexpr std::array<int, 1> kSupported = {1};

Error bad(const std::string& path, const std::string& what) {
    return make_error(Errc::invalid_argument, path + ": " + what);
}

std::string join(const std::string& parent, const std::string& field) {
    return parent.empty() ? field : parent + "." + field;
}

std::string type_name(const json& v) { return v.type_name(); }

// Field checks. Each returns an error naming the JSON path; absent optional fields are fine.
Status require_object(const json& v, const std::string& path) {
    if (!v.is_object()) return bad(path, std::string("expected an object, got ") + type_name(v));
    return {};
}

const json* find(const json& obj, const std::string& field) {
    const auto it = obj.find(field);
    return it == obj.end() ? nullptr : &*it;
}

Status string_field(const json& obj, const std::string& parent, const std::string& field, bool required,
                    std::size_t min_len = 0, std::size_t max_len = 100000) {
    const json* v = find(obj, field);
    const std::string path = join(parent, field);
    if (!v) return required ? Status(bad(path, "required string is missing")) : Status();
    if (!v->is_string()) return bad(path, std::string("expected a string, got ") + type_name(*v));
    const auto n = v->get_ref<const std::string&>().size();
    if (n < min_len) return bad(path, "expected at least " + std::to_string(min_len) + " characters");
    if (n > max_len) {
        return bad(path, "expected at most " + std::to_string(max_len) + " characters, got " + std::to_string(n));
    }
    return {};
}

Status integer_field(const json& obj, const std::string& parent, const std::string& field, bool required,
                     bool non_negative, bool nullable = false) {
    const json* v = find(obj, field);
    const std::string path = join(parent, field);
    if (!v) return required ? Status(bad(path, "required integer is missing")) : Status();
    if (nullable && v->is_null()) return {};
    if (!v->is_number_integer()) return bad(path, std::string("expected an integer, got ") + type_name(*v));
    if (non_negative && v->is_number_integer() && !v->is_number_unsigned() && v->get<std::int64_t>() < 0) {
        return bad(path, "expected a value >= 0, got " + std::to_string(v->get<std::int64_t>()));
    }
    return {};
}

Status boolean_field(const json& obj, const std::string& parent, const std::string& field, bool required) {
    const json* v = find(obj, field);
    const std::string path = join(parent, field);
    if (!v) return required ? Status(bad(path, "required boolean is missing")) : Status();
    if (!v->is_boolean()) return bad(path, std::string("expected a boolean, got ") + type_name(*v));
    return {};
}

Status enum_field(const json& obj, const std::string& parent, const std::string& field, bool required,
                  std::initializer_list<const char*> allowed) {
    BP_TRY_STATUS(string_field(obj, parent, field, required));
    const json* v = find(obj, field);
    if (!v) return {};
    const auto& s = v->get_ref<const std::string&>();
    std::string list;
    for (const char* a : allowed) {
        if (s == a) return {};
        list += list.empty() ? "" : ", ";
        list += a;
    }
    return bad(join(parent, field), "expected one of " + list + ", got \"" + s + "\"");
}

bool is_lower_hex(const std::string& s) {
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

Status validate_v1(const json& doc) {
    BP_TRY_STATUS(string_field(doc, "", "idempotency_key", true, 8, 200));

    const json* agent = find(doc, "agent");
    if (!agent) return bad("agent", "required object is missing");
    BP_TRY_STATUS(require_object(*agent, "agent"));
    BP_TRY_STATUS(string_field(*agent, "agent", "id", false));
    BP_TRY_STATUS(string_field(*agent, "agent", "machine", true, 1, 200));
    BP_TRY_STATUS(string_field(*agent, "agent", "os_build", false));
    BP_TRY_STATUS(string_field(*agent, "agent", "agent_version", false));

    const json* campaign = find(doc, "campaign");
    if (!campaign) return bad("campaign", "required object is missing");
    BP_TRY_STATUS(require_object(*campaign, "campaign"));
    BP_TRY_STATUS(string_field(*campaign, "campaign", "id", true, 1, 200));
    BP_TRY_STATUS(string_field(*campaign, "campaign", "job_id", false));
    BP_TRY_STATUS(string_field(*campaign, "campaign", "template", false));
    BP_TRY_STATUS(string_field(*campaign, "campaign", "build", true, 1, 200));
    BP_TRY_STATUS(integer_field(*campaign, "campaign", "iterations", false, true));
    if (const json* n = find(*campaign, "iterations"); n && n->get<std::int64_t>() < 1) {
        return bad("campaign.iterations", "expected a value >= 1");
    }
    BP_TRY_STATUS(integer_field(*campaign, "campaign", "tag_group", false, true));
    if (const json* labels = find(*campaign, "labels")) {
        BP_TRY_STATUS(require_object(*labels, "campaign.labels"));
        for (const auto& [name, value] : labels->items()) {
            if (!value.is_string()) return bad("campaign.labels." + name, "expected a string");
        }
    }

    BP_TRY_STATUS(integer_field(doc, "", "iteration", true, true));

    if (const json* dpe = find(doc, "disable_paging_executive")) {
        BP_TRY_STATUS(require_object(*dpe, "disable_paging_executive"));
        BP_TRY_STATUS(integer_field(*dpe, "disable_paging_executive", "original", false, false, true));
        BP_TRY_STATUS(integer_field(*dpe, "disable_paging_executive", "in_effect", false, false));
        BP_TRY_STATUS(boolean_field(*dpe, "disable_paging_executive", "verified", false));
    }

    const json* trace = find(doc, "trace");
    if (!trace) return bad("trace", "required object is missing");
    BP_TRY_STATUS(require_object(*trace, "trace"));
    BP_TRY_STATUS(string_field(*trace, "trace", "sha256", true));
    const auto& sha = (*trace)["sha256"].get_ref<const std::string&>();
    if (sha.size() != 64 || !is_lower_hex(sha)) return bad("trace.sha256", "expected 64 lower-case hex digits");
    BP_TRY_STATUS(integer_field(*trace, "trace", "bytes", true, true));
    BP_TRY_STATUS(integer_field(*trace, "trace", "events", true, true));
    for (const char* f : {"os_build", "pointer_size", "start_time", "end_time", "boot_time"}) {
        BP_TRY_STATUS(integer_field(*trace, "trace", f, false, false));
    }
    for (const char* f : {"events_lost", "buffers_lost", "malformed_events"}) {
        BP_TRY_STATUS(integer_field(*trace, "trace", f, false, true));
    }

    const json* pool = find(doc, "pool");
    if (!pool) return bad("pool", "required array is missing");
    if (!pool->is_array()) return bad("pool", std::string("expected an array, got ") + type_name(*pool));
    for (std::size_t i = 0; i < pool->size(); ++i) {
        const json& row = (*pool)[i];
        const std::string path = "pool[" + std::to_string(i) + "]";
        BP_TRY_STATUS(require_object(row, path));
        BP_TRY_STATUS(string_field(row, path, "tag", true, 0, 4));
        BP_TRY_STATUS(string_field(row, path, "module", true));
        BP_TRY_STATUS(boolean_field(row, path, "paged", true));
        BP_TRY_STATUS(enum_field(row, path, "type", true, {"AIFI", "AOFI", "AIFO", "AOFO"}));
        BP_TRY_STATUS(enum_field(row, path, "impacting", false, {"Impacting", "Transient", "Persistent"}));
        BP_TRY_STATUS(integer_field(row, path, "count", true, true));
        BP_TRY_STATUS(integer_field(row, path, "size", true, true));
        BP_TRY_STATUS(integer_field(row, path, "impacting_size", true, false));
        BP_TRY_STATUS(integer_field(row, path, "peak_outstanding", false, true));
    }

    const json* drivers = find(doc, "drivers");
    if (!drivers) return bad("drivers", "required array is missing");
    if (!drivers->is_array()) return bad("drivers", std::string("expected an array, got ") + type_name(*drivers));
    for (std::size_t i = 0; i < drivers->size(); ++i) {
        const json& row = (*drivers)[i];
        const std::string path = "drivers[" + std::to_string(i) + "]";
        BP_TRY_STATUS(require_object(row, path));
        BP_TRY_STATUS(string_field(row, path, "name", true, 1, 1000));
        BP_TRY_STATUS(string_field(row, path, "path", false));
        BP_TRY_STATUS(integer_field(row, path, "active_bytes", true, true));
        BP_TRY_STATUS(integer_field(row, path, "standby_bytes", false, true));
    }

    if (const json* resident = find(doc, "resident")) {
        if (!resident->is_array()) return bad("resident", "expected an array");
        for (std::size_t i = 0; i < resident->size(); ++i) {
            const json& row = (*resident)[i];
            const std::string path = "resident[" + std::to_string(i) + "]";
            BP_TRY_STATUS(require_object(row, path));
            BP_TRY_STATUS(string_field(row, path, "category", true));
            BP_TRY_STATUS(string_field(row, path, "list", true));
            BP_TRY_STATUS(integer_field(row, path, "pages", false, false));
            BP_TRY_STATUS(integer_field(row, path, "bytes", true, false));
        }
    }
    return {};
}

}  // namespace

std::span<const int> supported_versions() { return kSupported; }

Status validate_report(const json& doc) {
    if (!doc.is_object()) return bad("(document)", std::string("expected a JSON object, got ") + type_name(doc));
    const json* schema = find(doc, "schema");
    if (!schema || !schema->is_string() || schema->get_ref<const std::string&>() != kSchemaName) {
        return bad("schema", "expected \"" + std::string(kSchemaName) + "\"");
    }
    const json* version = find(doc, "schema_version");
    if (!version || !version->is_number_integer()) return bad("schema_version", "expected an integer");
    const auto v = version->get<std::int64_t>();
    std::string known;
    for (int s : kSupported) {
        if (s == v) return validate_v1(doc);  // one version today; dispatch here when there are more
        known += (known.empty() ? "" : ", ") + std::to_string(s);
    }
    return make_error(Errc::unsupported,
                      "schema_version: " + std::to_string(v) + " is not supported (supported: " + known + ")");
}

Result<nlohmann::json> parse_report(std::string_view text) {
    json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
        // Parse again with exceptions only to learn where it failed (cheap compared to an upload).
        try {
            const json again = json::parse(text.begin(), text.end());
            (void)again;
        } catch (const json::parse_error& e) {
            return make_error_at(Errc::invalid_argument, e.byte, std::string("malformed JSON: ") + e.what());
        }
        return make_error(Errc::invalid_argument, "malformed JSON");
    }
    BP_TRY_STATUS(validate_report(doc));
    return doc;
}

std::string idempotency_key(std::string_view agent_id, std::string_view campaign_id, std::int64_t iteration,
                            std::string_view trace_sha256) {
    std::string key;
    key.reserve(agent_id.size() + campaign_id.size() + trace_sha256.size() + 24);
    key.append(agent_id).append("/").append(campaign_id).append("/");
    key.append(std::to_string(iteration)).append("/").append(trace_sha256);
    return key;
}

std::int64_t filetime_to_unix(std::int64_t filetime) {
    constexpr std::int64_t kEpochDifference = 11644473600;  // seconds from 1601-01-01 to 1970-01-01
    if (filetime <= 0) return 0;
    return filetime / 10'000'000 - kEpochDifference;
}

}  // namespace bp::report
