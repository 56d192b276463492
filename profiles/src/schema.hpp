// WPR's profile schema (WPRControlProfiles.xsd as shipped with WPT 11.3.2, 2022) as data: for every
// element, its attributes with their value types, its children in order with their occurrence limits,
// and the xs:key constraints. The validator walks a document against these tables, so no schema file is
// needed at run time. Each table entry mirrors one complexType/group of the XSD; the XSD type names
// are kept in comments so the two can be compared side by side.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bp::profiles::detail {

// Simple types of attribute values.
enum class ValueKind : std::uint8_t {
    string,                 // xs:string
    id,                     // IdType: [^:\s]+
    boolean,                // xs:boolean
    unsigned_byte,          // xs:unsignedByte
    unsigned_int,           // xs:unsignedInt
    unsigned_long,          // xs:unsignedLong
    integer,                // xs:integer
    decimal,                // xs:decimal
    float_number,           // xs:float
    system_keyword,         // SystemKeywordEnumeration
    system_stack,           // SystemStackEnumeration
    logging_mode,           // LoggingModeEnumeration
    detail_level,           // DetailLevelEnumeration
    operation,              // OperationEnumeration
    name_filter_operation,  // NameFilterOperationEnumeration
    rundown_flag,           // RundownFlagEnumeration
    custom_event,           // TraceMergePropertiesCustomEventsEnumeration
    last_branch_filter,     // LastBranchFilterEnumeration
    pt_code_mode,           // ProcessorTraceCodeModeEnumeration
    pt_buffer_size,         // ProcessorTraceBufferSizeEnumeration
    architecture,           // ProfileSourcesArchitectureEnumeration
    onoff_type,             // OnOffTransitionEnumeration
    file_mode,              // FileModeEnumeration
    custom_keyword,         // SystemCustomKeywordAttributeType: 0x[a-fA-F0-9]{1,8}
    hex_or_dec,             // HexOrDecValue: (0[xX])?[a-fA-F0-9]+
    positive_ushort,        // SimpleValueType: unsignedShort >= 1
    delay_seconds,          // SimpleDelayValueType: unsignedShort 1..3600
    file_max,               // FileMaxValue: unsignedByte 0..16
    counter_interval,       // CounterIntervalType: unsignedLong 1221..2147483647
    max_buffer_space,       // unsignedInt 1..4294967295
    capture_state_timeout,  // CaptureStateTimeoutValue: integer 0..4294967 | "infinite"
    pool_tag,               // SystemPoolTagAttributeType: string of 1..4 characters
    transition_tag,         // TransitionTagType: [^\\/:*?|>"]+
};

inline constexpr int kUnbounded = -1;

struct AttributeDecl {
    std::string_view name;
    ValueKind kind;
    bool required;
};

struct ChildDecl {
    std::string_view name;
    std::uint16_t type;  // index into the type table
    int min_occurs;
    int max_occurs;  // kUnbounded for "unbounded"
};

struct TypeDecl {
    // A sequence of children, or (choice == true) the alternatives of one repeated xs:choice whose
    // occurrence limits are choice_min/choice_max.
    std::vector<ChildDecl> children;
    bool choice = false;
    int choice_min = 0;
    int choice_max = kUnbounded;
    std::vector<AttributeDecl> attributes;
    // Name of an xs:key with selector "./*" and field "@Value" declared on this element, or empty.
    std::string_view value_key;
};

inline constexpr std::string_view kRootElement = "WindowsPerformanceRecorder";

std::uint16_t root_type();
const TypeDecl& type_decl(std::uint16_t type);

// Checks a value against a simple type. Returns why it does not match, phrased to follow the value,
// e.g. "has 5 characters; a pool tag has 1 to 4"; nullopt when it matches.
std::optional<std::string> check_value(ValueKind kind, std::string_view value);

// What a value of this kind is, for messages: "a system keyword", "a boolean (true, false, 1 or 0)".
std::string_view describe_kind(ValueKind kind);

// The enumerated names of a kind (empty span if the kind is not an enumeration).
std::span<const std::string_view> enumeration(ValueKind kind);

}  // namespace bp::profiles::detail
