#include "schema.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

namespace bp::profiles::detail {
namespace {

// ---- enumerations (XSD order) -------------------------------------------------------------------

constexpr auto kSystemKeywords = std::to_array<std::string_view>({"AllFaults",
                                                                  "Alpc",
                                                                  "AntiStarvation",
                                                                  "CacheFlush",
                                                                  "CC",
                                                                  "ClockInterrupt",
                                                                  "ClusterOff",
                                                                  "CompactCSwitch",
                                                                  "ContiguousMemorygeneration",
                                                                  "CpuConfig",
                                                                  "CSwitch",
                                                                  "DiskIO",
                                                                  "DiskIOInit",
                                                                  "DPC",
                                                                  "DPCQueue",
                                                                  "Drivers",
                                                                  "FileIO",
                                                                  "FileIOInit",
                                                                  "Filename",
                                                                  "FilterIO",
                                                                  "FilterIOFailure",
                                                                  "FilterIOFastIO",
                                                                  "FilterIOInit",
                                                                  "FootPrint",
                                                                  "KeClock",
                                                                  "Handle",
                                                                  "HardFaults",
                                                                  "HvHypercalls",
                                                                  "IdealProcessor",
                                                                  "IdleStates",
                                                                  "InterProcessorInterrupt",
                                                                  "Interrupt",
                                                                  "KernelQueue",
                                                                  "Loader",
                                                                  "Memory",
                                                                  "NonTradeableMemory",
                                                                  "MemoryInfo",
                                                                  "MemoryInfoWS",
                                                                  "NetworkTrace",
                                                                  "Object",
                                                                  "OpticalIO",
                                                                  "OpticalIOInit",
                                                                  "Pool",
                                                                  "Power",
                                                                  "PmcProfile",
                                                                  "ProcessCounter",
                                                                  "ProcessFreeze",
                                                                  "ProcessThread",
                                                                  "ReadyThread",
                                                                  "ReferenceSet",
                                                                  "Registry",
                                                                  "RegistryHive",
                                                                  "SampledProfile",
                                                                  "Session",
                                                                  "SpinLock",
                                                                  "SplitIO",
                                                                  "SynchronizationObjects",
                                                                  "SystemCall",
                                                                  "ThreadPriority",
                                                                  "Timer",
                                                                  "VAMap",
                                                                  "VirtualAllocation",
                                                                  "WakeCounter",
                                                                  "WakeDrop",
                                                                  "WakeEvent",
                                                                  "WDFDPC",
                                                                  "WDFInterrupt",
                                                                  "HiberRundown"});

constexpr auto kSystemStacks = std::to_array<std::string_view>({"AlpcClosePort",
                                                                "AlpcConnectFail",
                                                                "AlpcConnectRequest",
                                                                "AlpcConnectSuccess",
                                                                "AlpcReceiveMessage",
                                                                "AlpcSendMessage",
                                                                "AlpcUnwait",
                                                                "AlpcWaitForNewMessage",
                                                                "AlpcWaitForReply",
                                                                "CcCanIWriteFail",
                                                                "CcFlushCache",
                                                                "CcFlushSection",
                                                                "CcLazyWriteScan",
                                                                "CcReadAhead",
                                                                "CcWorkitemComplete",
                                                                "CcWorkitemDequeue",
                                                                "CcWorkitemEnqueue",
                                                                "CcWriteBehind",
                                                                "ContiguousMemoryGeneration",
                                                                "CacheFlush",
                                                                "CSwitch",
                                                                "DiskFlushInit",
                                                                "DiskReadInit",
                                                                "DiskWriteInit",
                                                                "DpcEnqueue",
                                                                "DpcExecute",
                                                                "ExecutiveResource",
                                                                "FileCleanup",
                                                                "FileClose",
                                                                "FileCreate",
                                                                "FileDelete",
                                                                "FileDirEnum",
                                                                "FileDirNotify",
                                                                "FileFlush",
                                                                "FileFSCTL",
                                                                "FileOpEnd",
                                                                "FileQueryInformation",
                                                                "FileRead",
                                                                "FileRename",
                                                                "FileSetInformation",
                                                                "FileWrite",
                                                                "HandleCreate",
                                                                "HandleClose",
                                                                "HandleDuplicate",
                                                                "HardFault",
                                                                "HeapAllocation",
                                                                "HeapCreate",
                                                                "HeapDestroy",
                                                                "HeapFree",
                                                                "HeapRangeCreate",
                                                                "HeapRangeDestroy",
                                                                "HeapRangeRelease",
                                                                "HeapRangeReserve",
                                                                "HeapReallocation",
                                                                "ImageLoad",
                                                                "ImageUnload",
                                                                "InterProcessorInterrupt",
                                                                "KernelHypercalls",
                                                                "KernelQueueEnqueue",
                                                                "KernelQueueDequeue",
                                                                "MapFile",
                                                                "Mark",
                                                                "MiniFilterPreOpInit",
                                                                "MiniFilterPostOpInit",
                                                                "ObjectCreate",
                                                                "ObjectDelete",
                                                                "ObjectReference",
                                                                "ObjectDeReference",
                                                                "PageAccess",
                                                                "PageAccessEx",
                                                                "PagefaultAV",
                                                                "PagefaultCopyOnWrite",
                                                                "PagefaultDemandZero",
                                                                "PagefaultGuard",
                                                                "PagefaultHard",
                                                                "PagefaultTransition",
                                                                "PagefileBackedImageMapping",
                                                                "PagefileMappedSectionCreate",
                                                                "PagefileMappedSectionDelete",
                                                                "PageRangeAccess",
                                                                "PageRangeRelease",
                                                                "PageRelease",
                                                                "PageRemovedfromWorkingSet",
                                                                "PmcInterrupt",
                                                                "PoolAllocation",
                                                                "PoolAllocationSession",
                                                                "PoolFree",
                                                                "PoolFreeSession",
                                                                "PowerDeviceNotify",
                                                                "PowerDeviceNotifyComplete",
                                                                "PowerIdleStateChange",
                                                                "PowerPerfStateChange",
                                                                "PowerPostSleep",
                                                                "PowerPreSleep",
                                                                "PowerSessionCallout",
                                                                "PowerSessionCalloutReturn",
                                                                "PowerSetDevicesState",
                                                                "PowerSetDevicesStateReturn",
                                                                "PowerSetPowerAction",
                                                                "PowerSetPowerActionReturn",
                                                                "PowerThermalConstraint",
                                                                "PopSetUserPresent",
                                                                "ProcessCreate",
                                                                "ProcessDelete",
                                                                "ProcessFreeze",
                                                                "ProcessResume",
                                                                "SampledProfile",
                                                                "SampledProfileSetInterval",
                                                                "ReadyThread",
                                                                "RegistryCloseKey",
                                                                "RegistryCreateKey",
                                                                "RegistryDeleteKey",
                                                                "RegistryDeleteValue",
                                                                "RegistryEnumerateKey",
                                                                "RegistryEnumerateValueKey",
                                                                "RegistryFlush",
                                                                "RegistryKcbCreate",
                                                                "RegistryKcbDelete",
                                                                "RegistryOpenKey",
                                                                "RegistryQueryKey",
                                                                "RegistryQueryMultipleValue",
                                                                "RegistryQuerySecurity",
                                                                "RegistryQueryValue",
                                                                "RegistrySetInformation",
                                                                "RegistrySetSecurity",
                                                                "RegistrySetValue",
                                                                "RegistryVirtualize",
                                                                "RegHiveInit",
                                                                "RegHiveDestroy",
                                                                "RegHiveLink",
                                                                "RegHiveDirty",
                                                                "SplitIO",
                                                                "SystemCallEnter",
                                                                "SystemCallExit",
                                                                "ThreadCreate",
                                                                "ThreadDCEnd",
                                                                "ThreadDCStart",
                                                                "ThreadDelete",
                                                                "ThreadPoolCallbackCancel",
                                                                "ThreadPoolCallbackDequeue",
                                                                "ThreadPoolCallbackEnqueue",
                                                                "ThreadPoolCallbackStart",
                                                                "ThreadPoolCallbackStop",
                                                                "ThreadPoolCancelNtTimer",
                                                                "ThreadPoolClose",
                                                                "ThreadPoolCreate",
                                                                "ThreadPoolSetMaxThreads",
                                                                "ThreadPoolSetMinThreads",
                                                                "ThreadPoolSetNtTimer",
                                                                "ThreadPoolTimerSet",
                                                                "ThreadPoolTimerCancelled",
                                                                "ThreadPoolTimerExpirationBegin",
                                                                "ThreadPoolTimerExpirationEnd",
                                                                "ThreadPoolTimerExpiration",
                                                                "ThreadSetBasePriority",
                                                                "ThreadSetIdealProcessor",
                                                                "ThreadSetPriority",
                                                                "ThreadSetUserIdealProcessor",
                                                                "TimerPeriodic",
                                                                "TimerOneShot",
                                                                "UnMapFile",
                                                                "VirtualAllocation",
                                                                "VirtualFree",
                                                                "WakeChargeUser",
                                                                "WakeChargeExecution",
                                                                "WakeChargeKernel",
                                                                "WakeChargeInstrumentation",
                                                                "WakeReleaseUser",
                                                                "WakeReleaseExecution",
                                                                "WakeReleaseKernel",
                                                                "WakeReleaseInstrumentation",
                                                                "WakeDropUser",
                                                                "WakeDropExecution",
                                                                "WakeDropKernel",
                                                                "WakeDropInstrumentation",
                                                                "WakeEventUser",
                                                                "WakeEventExecution",
                                                                "WakeEventKernel",
                                                                "WakeEventInstrumentation"});

constexpr auto kLoggingModes = std::to_array<std::string_view>({"File", "Memory"});
constexpr auto kDetailLevels = std::to_array<std::string_view>({"Light", "Verbose"});
constexpr auto kOperations = std::to_array<std::string_view>({"Set", "Add", "Remove"});
constexpr auto kNameFilterOperations = std::to_array<std::string_view>({"Set", "Add"});
constexpr auto kRundownFlags = std::to_array<std::string_view>({"Start", "Stop"});
constexpr auto kCustomEvents =
    std::to_array<std::string_view>({"None", "ImageId", "BuildInfo", "VolumeMapping", "EventMetadata",
                                     "PerfTrackMetadata", "WinSAT", "NetworkInterface"});
constexpr auto kLastBranchFilters = std::to_array<std::string_view>(
    {"ConditionalBranches", "NearRelativeCalls", "NearIndirectCalls", "NearReturns", "NearIndirectJumps",
     "FarBranches", "Kernel", "User", "StackMode"});
constexpr auto kPtCodeModes = std::to_array<std::string_view>({"User", "Kernel", "UserKernel"});
constexpr auto kPtBufferSizes = std::to_array<std::string_view>({"4", "8", "16", "32"});
constexpr auto kArchitectures = std::to_array<std::string_view>({"ARM", "INTEL", "AMD"});
constexpr auto kOnOffTypes = std::to_array<std::string_view>(
    {"On/Off - Boot", "On/Off - FastStartup", "On/Off - Shutdown", "On/Off - RebootCycle",
     "On/Off - Standby/Resume", "On/Off - Hibernate/Resume"});
constexpr auto kFileModes = std::to_array<std::string_view>({"Circular", "Sequential"});

// ---- the type table -----------------------------------------------------------------------------

// One entry per element type. Several XSD types that differ only in their key name share nothing
// else, so they get separate entries to keep the key names exact.
enum Type : std::uint16_t {
    tRoot,
    tProfiles,
    tProfile,
    tProblemCategories,
    tProblemCategory,
    tCollectors,
    tSystemCollector,
    tEventCollector,
    tHeapEventCollector,
    tHypervisorEventCollector,
    tBufferSize,
    tBuffers,
    tStackCaching,
    tMaximumFileSize,
    tFileMax,
    tOpUnsignedInt,
    tBuffersPerCpu,
    tSystemProvider,
    tSysKeywords,
    tSysCaptureOnStart,
    tSysCaptureOnSave,
    tSysCaptureOnDemand,
    tSysKeyword,
    tSysCustomKeyword,
    tCaptureSysKeyword,
    tCaptureSysCustomKeyword,
    tStacks,
    tSysStack,
    tCustomStack,
    tPoolTags,
    tPoolTag,
    tEventProvider,
    tEpKeywords,
    tEpCaptureOnStart,
    tEpCaptureOnSave,
    tEpCaptureOnDemand,
    tEpKeyword,
    tEventIdFilter,
    tEventId,
    tNamesFilter,
    tEventName,
    tKeywordLevelFilter,
    tCustomFilter,
    tHeapEventProvider,
    tHeapProcessIds,
    tHeapProcessId,
    tMicroArchConfig,
    tMicroArchConfigId,
    tProfileSources,
    tProfileSource,
    tHardwareCounter,
    tHardwareCounterId,
    tCounters,
    tCounter,
    tHcEvents,
    tSampledCounters,
    tSampledCounter,
    tLastBranch,
    tLbEvents,
    tLastBranchFilters,
    tLastBranchFilterOut,
    tProcessorTrace,
    tPtBufferSize,
    tPtCodeMode,
    tPtEvents,
    tSystemCollectorId,
    tSystemProviderId,
    tHardwareCounterIdRef,
    tEventCollectorId,
    tEventProviders,
    tEventProviderId,
    tHeapEventCollectorId,
    tHeapEventProviders,
    tHeapEventProviderId,
    tHypervisorEventCollectorId,
    tTraceMergeProperties,
    tTraceMergeProperty,
    tOptionalBoolValue,
    tCustomEvents,
    tCustomEvent,
    tOnOffConfigurations,
    tOnOffConfiguration,
    tRequiredBoolValue,
    tNumberOfRuns,
    tDelay,
    tTransitionTag,
    tCount
};

using V = ValueKind;
constexpr int kU = kUnbounded;

const AttributeDecl kOperation{"Operation", V::operation, false};

std::vector<ChildDecl> system_buffer_elements() {  // SystemBufferElementGroup / EventBufferElementGroup
    return {{"BufferSize", tBufferSize, 0, 1},
            {"Buffers", tBuffers, 0, 1},
            {"StackCaching", tStackCaching, 0, 1},
            {"MaximumFileSize", tMaximumFileSize, 0, 1},
            {"FileMax", tFileMax, 0, 1},
            {"FlushTimer", tOpUnsignedInt, 0, 1},
            {"FlushThreshold", tOpUnsignedInt, 0, 1}};
}

std::vector<ChildDecl> hypervisor_buffer_elements() {  // HypervisorBufferElementGroup
    return {{"BufferSize", tBufferSize, 0, 1},
            {"BuffersPerCPU", tBuffersPerCpu, 0, 1},
            {"MaximumFileSize", tMaximumFileSize, 0, 1},
            {"FileMax", tFileMax, 0, 1}};
}

std::vector<ChildDecl> concat(std::vector<ChildDecl> a, const std::vector<ChildDecl>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::vector<AttributeDecl> collector_attributes(bool name_required) {  // (System)CollectorAttributeGroup
    return {{"Id", V::id, true},
            {"Base", V::string, false},
            {"Name", V::string, name_required},
            {"Realtime", V::boolean, false},
            {"HostGuestCorrelation", V::boolean, false}};
}

std::vector<AttributeDecl> plus(std::vector<AttributeDecl> a, std::vector<AttributeDecl> b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

TypeDecl leaf(std::vector<AttributeDecl> attributes) {
    TypeDecl t;
    t.attributes = std::move(attributes);
    return t;
}

TypeDecl seq(std::vector<ChildDecl> children, std::vector<AttributeDecl> attributes,
             std::string_view value_key = {}) {
    TypeDecl t;
    t.children = std::move(children);
    t.attributes = std::move(attributes);
    t.value_key = value_key;
    return t;
}

std::vector<TypeDecl> build_table() {
    std::vector<TypeDecl> t(tCount);

    // <WindowsPerformanceRecorder> (IdKey and OnOffTransitionKey are checked by the validator itself)
    t[tRoot] = seq({{"Profiles", tProfiles, 0, 1},
                    {"TraceMergeProperties", tTraceMergeProperties, 0, kU},
                    {"OnOffTransitionConfigurations", tOnOffConfigurations, 0, 1}},
                   {{"Version", V::float_number, true},
                    {"Author", V::string, false},
                    {"Team", V::string, false},
                    {"Copyright", V::string, false},
                    {"Company", V::string, false},
                    {"Comments", V::string, false},
                    {"Tag", V::string, false}});
    // ProfilesType
    t[tProfiles] = seq({{"SystemCollector", tSystemCollector, 0, kU},
                        {"EventCollector", tEventCollector, 0, kU},
                        {"HeapEventCollector", tHeapEventCollector, 0, kU},
                        {"HypervisorEventCollector", tHypervisorEventCollector, 0, kU},
                        {"SystemProvider", tSystemProvider, 0, kU},
                        {"MicroArchitecturalConfig", tMicroArchConfig, 0, kU},
                        {"HardwareCounter", tHardwareCounter, 0, kU},
                        {"EventProvider", tEventProvider, 0, kU},
                        {"HeapEventProvider", tHeapEventProvider, 0, kU},
                        {"Profile", tProfile, 1, kU}},
                       {});
    t[tProfile] = seq({{"ProblemCategories", tProblemCategories, 0, kU},
                       {"Collectors", tCollectors, 0, kU},
                       {"TraceMergeProperties", tTraceMergeProperties, 0, 1}},
                      {{"Id", V::id, true},
                       {"Name", V::id, true},
                       {"Description", V::string, true},
                       {"Base", V::string, false},
                       {"LoggingMode", V::logging_mode, true},
                       {"DetailLevel", V::detail_level, true},
                       {"Internal", V::boolean, false},
                       {"Default", V::boolean, false}});
    t[tProblemCategories] = seq({{"ProblemCategory", tProblemCategory, 1, kU}}, {kOperation});
    t[tProblemCategory] = leaf({{"Value", V::string, true}});
    t[tCollectors] = seq({{"SystemCollectorId", tSystemCollectorId, 0, 1},
                          {"EventCollectorId", tEventCollectorId, 0, kU},
                          {"HeapEventCollectorId", tHeapEventCollectorId, 0, kU},
                          {"HypervisorEventCollectorId", tHypervisorEventCollectorId, 0, kU}},
                         {kOperation});

    // Collectors and their buffer elements
    t[tSystemCollector] = seq(system_buffer_elements(), collector_attributes(false));
    t[tEventCollector] =
        seq(system_buffer_elements(), plus(collector_attributes(true), {{"Private", V::boolean, false},
                                                                        {"ProcessPrivate", V::boolean, false},
                                                                        {"Secure", V::boolean, false}}));
    t[tHeapEventCollector] =
        seq(system_buffer_elements(), plus(collector_attributes(true), {{"Secure", V::boolean, false}}));
    t[tHypervisorEventCollector] = seq(hypervisor_buffer_elements(),
                                       plus(collector_attributes(true), {{"MergeAlone", V::boolean, false}}));
    t[tBufferSize] = leaf({kOperation, {"Value", V::unsigned_int, true}});
    t[tBuffers] = leaf({kOperation,
                        {"Value", V::decimal, true},
                        {"PercentageOfTotalMemory", V::boolean, false},
                        {"MinimumRundownSpace", V::positive_ushort, false},
                        {"MaximumBufferSpace", V::max_buffer_space, false}});
    t[tStackCaching] = leaf({{"BucketCount", V::unsigned_int, true}, {"CacheSize", V::unsigned_int, true}});
    t[tMaximumFileSize] =
        leaf({kOperation, {"Value", V::unsigned_int, true}, {"FileMode", V::file_mode, false}});
    t[tFileMax] = leaf({kOperation, {"Value", V::file_max, true}});
    t[tOpUnsignedInt] = leaf({kOperation, {"Value", V::unsigned_int, true}});  // FlushTimer/Threshold
    t[tBuffersPerCpu] = leaf({kOperation, {"Value", V::decimal, true}});

    // SystemProviderType
    t[tSystemProvider] =
        seq({{"Keywords", tSysKeywords, 0, kU},
             {"CaptureStateOnStart", tSysCaptureOnStart, 0, kU},
             {"CaptureStateOnSave", tSysCaptureOnSave, 0, kU},
             {"CaptureStateOnDemand", tSysCaptureOnDemand, 0, kU},
             {"Stacks", tStacks, 0, kU},
             {"PoolTags", tPoolTags, 0, kU}},
            {{"Id", V::id, true}, {"Base", V::string, false}, {"SuppressHighVolume", V::boolean, false}});
    t[tSysKeywords] = seq({{"Keyword", tSysKeyword, 1, kU}, {"CustomKeyword", tSysCustomKeyword, 0, kU}},
                          {kOperation}, "SystemProviderKeywordsKey");
    const std::vector<ChildDecl> capture_children = {{"Keyword", tCaptureSysKeyword, 1, kU},
                                                     {"CustomKeyword", tCaptureSysCustomKeyword, 0, kU}};
    t[tSysCaptureOnStart] =
        seq(capture_children, {kOperation}, "CaptureStateOnStartSystemProviderKeywordsKey");
    t[tSysCaptureOnSave] = seq(capture_children, {kOperation}, "CaptureStateOnSaveSystemProviderKeywordsKey");
    t[tSysCaptureOnDemand] =
        seq(capture_children, {kOperation}, "CaptureStateOnDemandSystemProviderKeywordsKey");
    t[tSysKeyword] = leaf({{"Value", V::system_keyword, true}, {"Strict", V::boolean, false}});
    t[tSysCustomKeyword] = leaf({{"Value", V::custom_keyword, true}, {"Strict", V::boolean, false}});
    t[tCaptureSysKeyword] = leaf({{"Value", V::system_keyword, true},
                                  {"Strict", V::boolean, false},
                                  {"RundownFlag", V::rundown_flag, true}});
    t[tCaptureSysCustomKeyword] = leaf({{"Value", V::custom_keyword, true},
                                        {"Strict", V::boolean, false},
                                        {"RundownFlag", V::rundown_flag, true}});
    t[tStacks] = seq({{"Stack", tSysStack, 0, kU}, {"CustomStack", tCustomStack, 0, kU}}, {kOperation},
                     "SystemProviderStacksKey");
    t[tStacks].choice = true;
    t[tStacks].choice_min = 1;
    t[tStacks].choice_max = kU;
    t[tSysStack] = leaf({{"Value", V::system_stack, true}, {"Strict", V::boolean, false}});
    t[tCustomStack] = leaf({{"Value", V::hex_or_dec, true}});
    t[tPoolTags] = seq({{"PoolTag", tPoolTag, 1, 4}}, {kOperation}, "SystemProviderPoolTagsKey");
    t[tPoolTag] = leaf({{"Value", V::pool_tag, true}});

    // EventProviderType
    t[tEventProvider] = seq({{"Keywords", tEpKeywords, 0, kU},
                             {"CaptureStateOnStart", tEpCaptureOnStart, 0, kU},
                             {"CaptureStateOnSave", tEpCaptureOnSave, 0, kU},
                             {"CaptureStateOnDemand", tEpCaptureOnDemand, 0, kU},
                             {"Stacks", tStacks, 0, kU},
                             {"EventFilters", tEventIdFilter, 0, 1},
                             {"StackFilters", tEventIdFilter, 0, 1},
                             {"EventNameFilters", tNamesFilter, 0, 1},
                             {"StackEventNameFilters", tNamesFilter, 0, 1},
                             {"StackKeywordLevelFilter", tKeywordLevelFilter, 0, 1},
                             {"CustomFilter", tCustomFilter, 0, 1}},
                            {{"Id", V::id, true},
                             {"Name", V::string, true},
                             {"Base", V::string, false},
                             {"NonPagedMemory", V::boolean, false},
                             {"Stack", V::boolean, false},
                             {"SID", V::boolean, false},
                             {"TSID", V::boolean, false},
                             {"Level", V::unsigned_byte, false},
                             {"CaptureStateOnly", V::boolean, false},
                             {"Strict", V::boolean, false},
                             {"ProcessExeFilter", V::string, false},
                             {"EventKey", V::boolean, false},
                             {"ExcludeInPrivate", V::boolean, false},
                             {"EnableSilos", V::boolean, false},
                             {"ContainerId", V::boolean, false}});
    t[tEpKeywords] = seq({{"Keyword", tEpKeyword, 1, kU}}, {kOperation}, "EventProviderKeywordsKey");
    const std::vector<AttributeDecl> capture_attributes = {kOperation,
                                                           {"Timeout", V::capture_state_timeout, false}};
    t[tEpCaptureOnStart] =
        seq({{"Keyword", tEpKeyword, 1, kU}}, capture_attributes, "EventProviderCaptureStateOnStartKey");
    t[tEpCaptureOnSave] =
        seq({{"Keyword", tEpKeyword, 1, kU}}, capture_attributes, "EventProviderCaptureStateOnSaveKey");
    t[tEpCaptureOnDemand] =
        seq({{"Keyword", tEpKeyword, 1, kU}}, capture_attributes, "EventProviderCaptureStateOnDemandKey");
    t[tEpKeyword] = leaf({{"Value", V::string, true}});
    t[tEventIdFilter] = seq({{"EventId", tEventId, 0, 64}}, {{"FilterIn", V::boolean, true}, kOperation});
    t[tEventId] = leaf({{"Value", V::hex_or_dec, true}});
    t[tNamesFilter] = seq({{"Keyword", tEpKeyword, 0, kU}, {"EventName", tEventName, 0, 64}},
                          {{"FilterIn", V::boolean, true},
                           {"Level", V::unsigned_byte, false},
                           {"Operation", V::name_filter_operation, false}});
    t[tEventName] = leaf({{"Value", V::string, true}});
    t[tKeywordLevelFilter] =
        seq({{"Keyword", tEpKeyword, 0, kU}}, {{"FilterIn", V::boolean, true},
                                               {"Level", V::unsigned_byte, false},
                                               {"Operation", V::name_filter_operation, false}});
    t[tCustomFilter] = leaf({{"Value", V::id, true}, {"Type", V::hex_or_dec, true}});

    // HeapEventProviderType
    t[tHeapEventProvider] =
        seq({{"HeapProcessIds", tHeapProcessIds, 0, 1}}, {{"Id", V::id, true}, {"Base", V::string, false}});
    t[tHeapProcessIds] = seq({{"HeapProcessId", tHeapProcessId, 1, 2}}, {kOperation});
    t[tHeapProcessId] = leaf({{"Value", V::unsigned_int, true}});

    // MicroArchitecturalConfigType, HardwareCounterType
    t[tMicroArchConfig] =
        seq({{"ProfileSources", tProfileSources, 0, kU}},
            {{"Id", V::id, true}, {"Base", V::string, false}, {"Strict", V::boolean, false}});
    t[tMicroArchConfigId] = seq({{"ProfileSources", tProfileSources, 0, kU}}, {{"Value", V::id, true}});
    t[tProfileSources] =
        seq({{"ProfileSource", tProfileSource, 1, kU}}, {{"Architecture", V::architecture, true},
                                                         {"Family", V::integer, false},
                                                         {"Model", V::integer, false},
                                                         {"Stepping", V::integer, false},
                                                         {"Description", V::string, false}});
    t[tProfileSource] = leaf({{"Name", V::string, true},
                              {"Event", V::hex_or_dec, true},
                              {"Unit", V::hex_or_dec, false},
                              {"Interval", V::hex_or_dec, false},
                              {"AllowsHalt", V::boolean, false},
                              {"Persist", V::boolean, false},
                              {"ExtendedBits", V::hex_or_dec, false}});
    const std::vector<ChildDecl> counter_children = {{"Counters", tCounters, 0, kU},
                                                     {"Events", tHcEvents, 0, kU},
                                                     {"SampledCounters", tSampledCounters, 0, kU},
                                                     {"LastBranch", tLastBranch, 0, 1},
                                                     {"ProcessorTrace", tProcessorTrace, 0, 1}};
    t[tHardwareCounter] =
        seq(concat({{"MicroArchitecturalConfigId", tMicroArchConfigId, 0, 1}}, counter_children),
            {{"Id", V::id, true}, {"Base", V::string, false}, {"Strict", V::boolean, false}});
    t[tHardwareCounterIdRef] = seq(counter_children, {{"Value", V::id, true}});
    t[tCounters] = seq({{"Counter", tCounter, 1, kU}}, {kOperation}, "HardwareCounterCountersKey");
    t[tCounter] = leaf({{"Value", V::string, true}});
    t[tHcEvents] = seq({{"Event", tSysStack, 1, 4}}, {kOperation}, "HardwareCounterEventsKey");
    t[tSampledCounters] =
        seq({{"SampledCounter", tSampledCounter, 1, kU}}, {kOperation}, "HardwareCounterSampledCountersKey");
    t[tSampledCounter] = leaf({{"Value", V::string, true}, {"Interval", V::counter_interval, false}});
    t[tLastBranch] =
        seq({{"Events", tLbEvents, 0, kU}, {"LastBranchFilters", tLastBranchFilters, 0, kU}}, {});
    t[tLbEvents] = seq({{"Event", tSysStack, 1, 4}}, {kOperation}, "LastBranchEventsKey");
    t[tLastBranchFilters] = seq({{"LastBranchFilterOut", tLastBranchFilterOut, 0, kU}}, {kOperation});
    t[tLastBranchFilterOut] = leaf({{"Value", V::last_branch_filter, true}});
    t[tProcessorTrace] = seq(
        {{"BufferSize", tPtBufferSize, 1, 1}, {"CodeMode", tPtCodeMode, 1, 1}, {"Events", tPtEvents, 0, kU}},
        {});
    t[tPtBufferSize] = leaf({{"Value", V::pt_buffer_size, true}});
    t[tPtCodeMode] = leaf({{"Value", V::pt_code_mode, true}});
    t[tPtEvents] = seq({{"Event", tSysStack, 1, 4}}, {kOperation}, "ProcessorTraceEventsKey");

    // References from a Profile's <Collectors>
    t[tSystemCollectorId] =
        seq(concat(system_buffer_elements(), {{"SystemProviderId", tSystemProviderId, 0, 1},
                                              {"SystemProvider", tSystemProvider, 0, 1},
                                              {"HardwareCounterId", tHardwareCounterIdRef, 0, 1},
                                              {"HardwareCounter", tHardwareCounter, 0, 1},
                                              {"EventProviders", tEventProviders, 0, kU}}),
            {{"Value", V::id, true}});
    t[tSystemProviderId] = seq({{"Keywords", tSysKeywords, 0, kU},
                                {"CaptureStateOnStart", tSysCaptureOnStart, 0, kU},
                                {"CaptureStateOnSave", tSysCaptureOnSave, 0, kU},
                                {"Stacks", tStacks, 0, kU},
                                {"PoolTags", tPoolTags, 0, kU}},
                               {{"Value", V::id, true}});
    t[tEventCollectorId] = seq(concat(system_buffer_elements(), {{"EventProviders", tEventProviders, 0, kU}}),
                               {{"Value", V::id, true}});
    t[tEventProviders] =
        seq({{"EventProviderId", tEventProviderId, 0, kU}, {"EventProvider", tEventProvider, 0, kU}},
            {kOperation});
    t[tEventProviderId] = seq({{"Keywords", tEpKeywords, 0, kU},
                               {"CaptureStateOnStart", tEpCaptureOnStart, 0, kU},
                               {"CaptureStateOnSave", tEpCaptureOnSave, 0, kU}},
                              {{"Value", V::id, true}});
    t[tHeapEventCollectorId] =
        seq(concat(system_buffer_elements(), {{"HeapEventProviders", tHeapEventProviders, 0, kU}}),
            {{"Value", V::id, true}});
    t[tHeapEventProviders] = seq({{"HeapEventProviderId", tHeapEventProviderId, 0, kU},
                                  {"HeapEventProvider", tHeapEventProvider, 0, kU}},
                                 {kOperation});
    t[tHeapEventProviderId] = seq({{"HeapProcessIds", tHeapProcessIds, 0, 1}}, {{"Value", V::id, true}});
    t[tHypervisorEventCollectorId] =
        seq(concat(hypervisor_buffer_elements(), {{"EventProviders", tEventProviders, 0, kU}}),
            {{"Value", V::id, true}});

    // TraceMergePropertiesType
    t[tTraceMergeProperties] = seq({{"TraceMergeProperty", tTraceMergeProperty, 1, kU}}, {});
    t[tTraceMergeProperty] =
        seq({{"DeletePreMergedTraceFiles", tOptionalBoolValue, 0, 1},
             {"FileCompression", tOptionalBoolValue, 0, 1},
             {"InjectOnly", tOptionalBoolValue, 0, 1},
             {"SkipMerge", tOptionalBoolValue, 0, 1},
             {"CustomEvents", tCustomEvents, 0, 1}},
            {{"Id", V::id, true}, {"Name", V::string, true}, {"Base", V::string, false}});
    t[tOptionalBoolValue] = leaf({{"Value", V::boolean, false}});
    t[tCustomEvents] =
        seq({{"CustomEvent", tCustomEvent, 1, kU}}, {kOperation}, "TraceMergePropertyCustomEventsKey");
    t[tCustomEvent] = leaf({{"Value", V::custom_event, false}});

    // OnOffTransitionConfigurationsType
    t[tOnOffConfigurations] = seq({{"OnOffTransitionConfiguration", tOnOffConfiguration, 1, 6}}, {});
    t[tOnOffConfiguration] =
        seq({{"PrepareSystem", tRequiredBoolValue, 1, 1},
             {"NumberOfRuns", tNumberOfRuns, 1, 1},
             {"PostBootDelay", tDelay, 1, 1},
             {"WakeupDelay", tDelay, 1, 1},
             {"TransitionTag", tTransitionTag, 1, 1}},
            {{"Id", V::id, true}, {"Name", V::string, true}, {"Type", V::onoff_type, true}});
    t[tRequiredBoolValue] = leaf({{"Value", V::boolean, true}});
    t[tNumberOfRuns] = leaf({{"Value", V::positive_ushort, true}});
    t[tDelay] = leaf({{"Value", V::delay_seconds, true}});
    t[tTransitionTag] = leaf({{"Value", V::transition_tag, true}});
    return t;
}

// ---- simple-type checks --------------------------------------------------------------------------

// XSD collapses whitespace for non-string types before checking the lexical form.
std::string_view trimmed(std::string_view s) {
    const auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
    return s;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool all_hex(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(),
                                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// Unsigned integer in [lo, hi]; accepts a leading '+' as XSD does.
bool unsigned_in_range(std::string_view value, std::uint64_t lo, std::uint64_t hi) {
    std::string_view s = trimmed(value);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (!all_digits(s)) return false;
    while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
    if (s.size() > 20) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    return v >= lo && v <= hi;
}

bool is_integer(std::string_view value) {
    std::string_view s = trimmed(value);
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
    return all_digits(s);
}

bool is_decimal(std::string_view value) {
    std::string_view s = trimmed(value);
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
    const auto dot = s.find('.');
    if (dot == std::string_view::npos) return all_digits(s);
    const std::string_view whole = s.substr(0, dot);
    const std::string_view frac = s.substr(dot + 1);
    return (whole.empty() || all_digits(whole)) && (frac.empty() || all_digits(frac)) &&
           !(whole.empty() && frac.empty());
}

bool is_float(std::string_view value) {
    std::string_view s = trimmed(value);
    if (s == "INF" || s == "-INF" || s == "NaN") return true;
    const auto e = s.find_first_of("eE");
    if (e == std::string_view::npos) return is_decimal(s);
    return is_decimal(s.substr(0, e)) && is_integer(s.substr(e + 1));
}

std::size_t utf8_length(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool in(std::span<const std::string_view> names, std::string_view value) {
    return std::find(names.begin(), names.end(), value) != names.end();
}

}  // namespace

std::uint16_t root_type() {
    return tRoot;
}

const TypeDecl& type_decl(std::uint16_t type) {
    static const std::vector<TypeDecl> table = build_table();
    return table.at(type);
}

std::span<const std::string_view> enumeration(ValueKind kind) {
    switch (kind) {
        case V::system_keyword:
            return kSystemKeywords;
        case V::system_stack:
            return kSystemStacks;
        case V::logging_mode:
            return kLoggingModes;
        case V::detail_level:
            return kDetailLevels;
        case V::operation:
            return kOperations;
        case V::name_filter_operation:
            return kNameFilterOperations;
        case V::rundown_flag:
            return kRundownFlags;
        case V::custom_event:
            return kCustomEvents;
        case V::last_branch_filter:
            return kLastBranchFilters;
        case V::pt_code_mode:
            return kPtCodeModes;
        case V::pt_buffer_size:
            return kPtBufferSizes;
        case V::architecture:
            return kArchitectures;
        case V::onoff_type:
            return kOnOffTypes;
        case V::file_mode:
            return kFileModes;
        default:
            return {};
    }
}

std::string_view describe_kind(ValueKind kind) {
    switch (kind) {
        case V::string:
            return "a string";
        case V::id:
            return "an Id (no ':' and no whitespace)";
        case V::boolean:
            return "a boolean (true, false, 1 or 0)";
        case V::unsigned_byte:
            return "an integer from 0 to 255";
        case V::unsigned_int:
            return "an integer from 0 to 4294967295";
        case V::unsigned_long:
            return "an integer from 0 to 18446744073709551615";
        case V::integer:
            return "an integer";
        case V::decimal:
            return "a decimal number";
        case V::float_number:
            return "a number";
        case V::system_keyword:
            return "a system keyword WPR knows";
        case V::system_stack:
            return "a system stack WPR knows";
        case V::logging_mode:
            return "a logging mode";
        case V::detail_level:
            return "a detail level";
        case V::operation:
            return "an operation";
        case V::name_filter_operation:
            return "a name filter operation";
        case V::rundown_flag:
            return "a rundown flag";
        case V::custom_event:
            return "a custom merge event";
        case V::last_branch_filter:
            return "a last branch filter";
        case V::pt_code_mode:
            return "a processor trace code mode";
        case V::pt_buffer_size:
            return "a processor trace buffer size";
        case V::architecture:
            return "an architecture";
        case V::onoff_type:
            return "an on/off transition type";
        case V::file_mode:
            return "a file mode";
        case V::custom_keyword:
            return "a hexadecimal keyword 0x followed by 1 to 8 hex digits";
        case V::hex_or_dec:
            return "a hexadecimal (0x...) or decimal number";
        case V::positive_ushort:
            return "an integer from 1 to 65535";
        case V::delay_seconds:
            return "an integer from 1 to 3600";
        case V::file_max:
            return "an integer from 0 to 16";
        case V::counter_interval:
            return "an integer from 1221 to 2147483647";
        case V::max_buffer_space:
            return "an integer from 1 to 4294967295";
        case V::capture_state_timeout:
            return "an integer from 0 to 4294967 or 'infinite'";
        case V::pool_tag:
            return "a pool tag of 1 to 4 characters";
        case V::transition_tag:
            return "a name without \\ / : * ? | > \"";
    }
    return "a value";
}

std::optional<std::string> check_value(ValueKind kind, std::string_view value) {
    bool ok = true;
    switch (kind) {
        case V::string:
            return std::nullopt;
        case V::id:
            if (value.empty()) return "is empty; an Id or name needs at least one character";
            if (value.find(':') != std::string_view::npos) return "contains ':'; WPR Ids and names cannot";
            if (value.find_first_of(" \t\r\n") != std::string_view::npos) {
                return "contains whitespace; WPR Ids and names cannot";
            }
            return std::nullopt;
        case V::boolean: {
            const std::string_view s = trimmed(value);
            ok = s == "true" || s == "false" || s == "1" || s == "0";
            break;
        }
        case V::unsigned_byte:
            ok = unsigned_in_range(value, 0, 0xFF);
            break;
        case V::unsigned_int:
            ok = unsigned_in_range(value, 0, 0xFFFFFFFFull);
            break;
        case V::unsigned_long:
            ok = unsigned_in_range(value, 0, UINT64_MAX);
            break;
        case V::integer:
            ok = is_integer(value);
            break;
        case V::decimal:
            ok = is_decimal(value);
            break;
        case V::float_number:
            ok = is_float(value);
            break;
        case V::pt_buffer_size:
            ok = unsigned_in_range(value, 4, 4) || unsigned_in_range(value, 8, 8) ||
                 unsigned_in_range(value, 16, 16) || unsigned_in_range(value, 32, 32);
            break;
        case V::custom_keyword:
            ok = value.size() >= 3 && value.size() <= 10 && value.starts_with("0x") &&
                 all_hex(value.substr(2));
            break;
        case V::hex_or_dec:
            ok = all_hex(value) || (value.size() > 2 && value[0] == '0' &&
                                    (value[1] == 'x' || value[1] == 'X') && all_hex(value.substr(2)));
            break;
        case V::positive_ushort:
            ok = unsigned_in_range(value, 1, 0xFFFF);
            break;
        case V::delay_seconds:
            ok = unsigned_in_range(value, 1, 3600);
            break;
        case V::file_max:
            ok = unsigned_in_range(value, 0, 16);
            break;
        case V::counter_interval:
            ok = unsigned_in_range(value, 1221, 2147483647);
            break;
        case V::max_buffer_space:
            ok = unsigned_in_range(value, 1, 0xFFFFFFFFull);
            break;
        case V::capture_state_timeout: {
            std::string_view s = trimmed(value);
            ok = value == "infinite" ||
                 (is_integer(s) && s.front() != '-' && unsigned_in_range(s, 0, 4294967)) || s == "-0";
            break;
        }
        case V::pool_tag: {
            const std::size_t n = utf8_length(value);
            if (n >= 1 && n <= 4) return std::nullopt;
            if (n == 0) return std::string("is empty; a pool tag has 1 to 4 characters");
            return "has " + std::to_string(n) + " characters; a pool tag has 1 to 4";
        }
        case V::transition_tag:
            ok = !value.empty() && value.find_first_of("\\/:*?|>\"") == std::string_view::npos;
            break;
        default: {
            const auto names = enumeration(kind);
            if (in(names, value)) return std::nullopt;
            return "is not " + std::string(describe_kind(kind));
        }
    }
    if (ok) return std::nullopt;
    return "is not " + std::string(describe_kind(kind));
}

}  // namespace bp::profiles::detail
