// The iteration report (schema/report/v1.schema.json): what an agent uploads after each boot, and the
// checks both sides run on it. The controller answers 400 with the message of validate_report().
//
//   BP_TRY(nlohmann::json doc, bp::report::parse_report(body));   // parse + validate
//   std::string key = bp::report::idempotency_key("agent-7", "nightly@2025-01-31", 3, trace_sha256);
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bootprint/common/result.hpp"

namespace bp::report {

inline constexpr std::string_view kSchemaName = "bootprint.report";
inline constexpr int kCurrentVersion = 1;

// Every schema_version this build reads (the controller accepts exactly these).
std::span<const int> supported_versions();

// Checks `doc` against the rules of its schema_version ("schema" and "schema_version" first). Errors are
// Errc::invalid_argument (a field is missing or has the wrong type or range: the message names the
// field as a JSON path, e.g. "trace.sha256: expected 64 lower-case hex digits") or Errc::unsupported
// (a schema_version this build does not know).
Status validate_report(const nlohmann::json& doc);

// Parses JSON text and validates it. Malformed JSON is Errc::invalid_argument naming the byte offset.
Result<nlohmann::json> parse_report(std::string_view text);

// The key under which the controller stores a report once: agent, campaign, iteration and the trace's
// digest, so a re-ingested trace or a retried upload maps to the same key.
std::string idempotency_key(std::string_view agent_id, std::string_view campaign_id, std::int64_t iteration,
                            std::string_view trace_sha256);

// Unix seconds of a FILETIME (100 ns since 1601-01-01 UTC); 0 for 0.
std::int64_t filetime_to_unix(std::int64_t filetime);

}  // namespace bp::report
