// The SCM plumbing (one status helper, a handler that only signals) and the agent's loop.
#include "service.hpp"

#include <windows.h>

#include <cstdio>
#include <optional>
#include <thread>
#include <vector>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "bootprint/campaign/engine.hpp"
#include "bootprint/campaign/result_sink.hpp"
#include "bootprint/host/windows_host.hpp"
#include "commands.hpp"

namespace bp::agent::win32 {
namespace hw = bp::host::win32;
namespace cp = bp::campaign;

namespace {

Error scm_error(const std::string& what, DWORD error = ::GetLastError()) {
    wchar_t text[512] = {};
    ::FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, error, 0, text, 511,
                     nullptr);
    auto narrowed = hw::narrow(text);
    std::string message = narrowed ? *narrowed : std::string();
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r' || message.back() == '.'))
        message.pop_back();
    const Errc code = error == ERROR_SERVICE_DOES_NOT_EXIST ? Errc::not_found
                      : error == ERROR_SERVICE_EXISTS       ? Errc::conflict
                                                            : Errc::io;
    return make_error(code, what + ": " + message + " (error " + std::to_string(error) + ")");
}

struct ScHandle {
    SC_HANDLE h = nullptr;
    ~ScHandle() {
        if (h) ::CloseServiceHandle(h);
    }
};

// --- the agent's loop ----------------------------------------------------------------------------

}  // namespace

StopSignal::StopSignal() : event_(::CreateEventW(nullptr, TRUE, FALSE, nullptr)) {}
StopSignal::~StopSignal() {
    ::CloseHandle(static_cast<HANDLE>(event_));
}
void StopSignal::request() {
    ::SetEvent(static_cast<HANDLE>(event_));
}
bool StopSignal::requested() const {
    return ::WaitForSingleObject(static_cast<HANDLE>(event_), 0) == WAIT_OBJECT_0;
}
bool StopSignal::wait_for(std::chrono::milliseconds duration) const {
    const auto ms = std::max<std::int64_t>(0, std::min<std::int64_t>(duration.count(), 0x7FFFFFFF));
    return ::WaitForSingleObject(static_cast<HANDLE>(event_), static_cast<DWORD>(ms)) == WAIT_OBJECT_0;
}

Result<std::shared_ptr<spdlog::logger>> open_log(const std::string& data_dir, bool console) {
    hw::Win32FileSystem files;
    BP_TRY_STATUS(files.create_directories(data_dir + "\\logs"));
    BP_TRY(std::wstring file, hw::widen(data_dir + "\\logs\\agent.log"));
    std::vector<spdlog::sink_ptr> sinks;
    try {
        sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(file, 5u << 20, 5));
    } catch (const spdlog::spdlog_ex& e) {
        return make_error(Errc::io, std::string("cannot open the log: ") + e.what())
            .with_path(data_dir + "\\logs");
    }
    if (console) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    auto log = std::make_shared<spdlog::logger>("agent", sinks.begin(), sinks.end());
    log->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    log->flush_on(spdlog::level::info);
    return log;
}

int agent_loop(const ServiceConfig& config, const StopSignal& stop, spdlog::logger& log, bool once) {
    hw::WindowsHost machine({config.data_dir, config.wpr, config.test_power});
    auto host = machine.host();
    if (!host) {
        log.error("the Windows host is not usable: {}", host.error().describe());
        return kExitError;
    }
    auto played = machine.play_recorded_reboot();
    if (!played) {
        log.error("cannot play the recorded reboot: {}", played.error().describe());
        return kExitError;
    }
    if (*played) log.info("test power: the recorded reboot happened (simulated boot)");
    const std::string db_path = config.data_dir + "\\agent.db";
    auto store = store::AgentStore::open(db_path);
    if (!store) {
        log.error("cannot open the store: {}", store.error().describe());
        return kExitError;
    }
    auto db = cp::CampaignDb::open(db_path);
    if (!db) {
        log.error("cannot open the campaign tables: {}", db.error().describe());
        return kExitError;
    }
    auto boot = host->boot.current();
    log.info("agent running: data {}, wpr {}, machine {}, boot {}{}", config.data_dir, host->wpr,
             host->machine, boot ? boot->id : boot.error().describe(),
             config.test_power ? " (test power: no real reboot)" : "");
    cp::EngineOptions options;
    options.retry_backoff = config.retry_backoff;
    options.max_step_attempts = config.max_step_attempts;
    cp::DbResultSink sink(*db, host->clock);
    cp::Engine engine(*host, *db, *store, sink, options);
    std::optional<cp::StepOutcome> last;
    while (!stop.requested()) {
        auto outcome = engine.step();
        if (!outcome) {
            // Only the database itself fails a step this way: try again later, do not spin.
            log.error("campaign step: {}", outcome.error().describe());
            if (once) return kExitError;
            stop.wait_for(config.retry_backoff);
            continue;
        }
        if (*outcome != cp::StepOutcome::advanced && *outcome != last)
            log.info("campaign: {}", cp::to_string(*outcome));
        last = *outcome;
        switch (*outcome) {
            case cp::StepOutcome::advanced:
                continue;
            case cp::StepOutcome::retry:
                stop.wait_for(config.retry_backoff);
                continue;
            case cp::StepOutcome::rebooting:
                if (once) return kExitRebooting;
                // The restart is on its way: start nothing new in this boot.
                log.info("waiting for the restart");
                while (!stop.wait_for(std::chrono::hours(1))) {
                }
                break;
            default:
                if (once) return *outcome == cp::StepOutcome::failed ? kExitFailure : kExitOk;
                stop.wait_for(config.poll);
                break;
        }
    }
    log.info("agent stopping");
    return kExitOk;
}

// --- the service ---------------------------------------------------------------------------------

namespace {

struct ServiceState {
    const ServiceConfig* config = nullptr;
    SERVICE_STATUS_HANDLE handle = nullptr;
    SERVICE_STATUS status{};
    CRITICAL_SECTION lock;
    StopSignal stop;
    ServiceState() { ::InitializeCriticalSection(&lock); }
    ~ServiceState() { ::DeleteCriticalSection(&lock); }
};
ServiceState* g_service = nullptr;

// Every status change goes through here: pending states get a fresh checkpoint and a wait hint,
// RUNNING accepts stop and shutdown, STOPPED carries the exit code.
void report_status(DWORD state, DWORD wait_hint_ms = 0, DWORD exit_code = NO_ERROR) {
    ServiceState& s = *g_service;
    ::EnterCriticalSection(&s.lock);
    s.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    s.status.dwCurrentState = state;
    s.status.dwWaitHint = wait_hint_ms;
    s.status.dwControlsAccepted =
        state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
    s.status.dwCheckPoint =
        (state == SERVICE_RUNNING || state == SERVICE_STOPPED) ? 0 : s.status.dwCheckPoint + 1;
    if (exit_code == NO_ERROR) {
        s.status.dwWin32ExitCode = NO_ERROR;
        s.status.dwServiceSpecificExitCode = 0;
    } else {
        s.status.dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR;
        s.status.dwServiceSpecificExitCode = exit_code;
    }
    ::SetServiceStatus(s.handle, &s.status);
    ::LeaveCriticalSection(&s.lock);
}

// The handler only signals: the worker notices and ServiceMain reports the way down.
DWORD WINAPI control_handler(DWORD control, DWORD, void*, void*) {
    switch (control) {
        case SERVICE_CONTROL_STOP:
        case SERVICE_CONTROL_SHUTDOWN:
            report_status(SERVICE_STOP_PENDING, 30000);
            g_service->stop.request();
            return NO_ERROR;
        case SERVICE_CONTROL_INTERROGATE:
            return NO_ERROR;
        default:
            return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

void WINAPI service_main(DWORD, wchar_t**) {
    ServiceState& s = *g_service;
    s.handle = ::RegisterServiceCtrlHandlerExW(kServiceName, control_handler, nullptr);
    if (!s.handle) return;
    report_status(SERVICE_START_PENDING, 10000);
    auto log = open_log(s.config->data_dir, false);
    if (!log) {
        report_status(SERVICE_STOPPED, 0, kExitError);
        return;
    }
    (*log)->info("service starting (pid {})", ::GetCurrentProcessId());
    // What a LocalSystem service executes and reads must not be writable by users (also when the folder
    // was made by `sc create` instead of `service install`).
    if (auto acl = hw::restrict_to_system_and_admins(s.config->data_dir); !acl)
        (*log)->warn("data folder ACL: {}", acl.error().describe());
    report_status(SERVICE_RUNNING);
    int exit_code = kExitOk;
    StopSignal done;
    std::thread worker([&] {
        exit_code = agent_loop(*s.config, s.stop, **log, false);
        done.request();
    });
    // A step may take a while (waiting for idle): keep the SCM informed while it ends.
    while (!done.wait_for(std::chrono::seconds(2))) {
        if (s.stop.requested()) report_status(SERVICE_STOP_PENDING, 30000);
    }
    worker.join();
    (*log)->info("service stopped (exit code {})", exit_code);
    (*log)->flush();
    // A non-zero exit code is a failure: the recovery actions restart the service.
    report_status(SERVICE_STOPPED, 0, exit_code == kExitOk ? NO_ERROR : static_cast<DWORD>(exit_code));
}

BOOL WINAPI console_handler(DWORD) {
    if (g_service) g_service->stop.request();
    return TRUE;
}

std::wstring quote(const std::wstring& s) {
    return L"\"" + s + L"\"";
}

}  // namespace

int run(const ServiceConfig& config, bool once) {
    static ServiceState state;
    state.config = &config;
    g_service = &state;
    SERVICE_TABLE_ENTRYW table[] = {{const_cast<wchar_t*>(kServiceName), service_main}, {nullptr, nullptr}};
    if (::StartServiceCtrlDispatcherW(table)) return kExitOk;  // returns when the service stopped
    const DWORD e = ::GetLastError();
    if (e != ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
        std::fprintf(stderr, "bootprint-agent: %s\n",
                     scm_error("StartServiceCtrlDispatcherW failed", e).describe().c_str());
        return kExitError;
    }
    // Not started by the SCM: the same loop in this console, until Ctrl+C.
    auto log = open_log(config.data_dir, true);
    if (!log) return report_error(log.error());
    ::SetConsoleCtrlHandler(console_handler, TRUE);
    return agent_loop(config, state.stop, **log, once);
}

Status install_service(const ServiceConfig& config, const std::string& executable) {
    hw::Win32FileSystem files;
    BP_TRY_STATUS(files.create_directories(config.data_dir));
    BP_TRY_STATUS(hw::restrict_to_system_and_admins(config.data_dir));
    BP_TRY(std::wstring exe, hw::widen(executable));
    BP_TRY(std::wstring data, hw::widen(config.data_dir));
    std::wstring binpath = quote(exe) + L" --data-dir " + quote(data);
    if (!config.wpr.empty()) {
        BP_TRY(std::wstring wpr, hw::widen(config.wpr));
        binpath += L" --wpr " + quote(wpr);
    }
    binpath += L" run";
    if (config.test_power) binpath += L" --test-power";
    ScHandle scm{::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CREATE_SERVICE)};
    if (!scm.h) return scm_error("cannot open the service control manager");
    // LocalSystem (no account name), own process, automatic start.
    ScHandle svc{::CreateServiceW(scm.h, kServiceName, L"Bootprint agent", SERVICE_ALL_ACCESS,
                                  SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START, SERVICE_ERROR_NORMAL,
                                  binpath.c_str(), nullptr, nullptr, nullptr, nullptr, nullptr)};
    if (!svc.h) return scm_error("cannot create the service");
    auto undo = [&](Error e) -> Status {
        ::DeleteService(svc.h);
        return e;
    };
    // Wine's SCM lacks some configuration levels (ERROR_INVALID_LEVEL): said, and skipped there only.
    auto config2 = [&](DWORD level, void* info, const char* what) -> Status {
        if (::ChangeServiceConfig2W(svc.h, level, info)) return {};
        const DWORD e = ::GetLastError();
        if (e == ERROR_INVALID_LEVEL && hw::running_under_wine()) {
            std::fprintf(stderr, "bootprint-agent: Wine cannot %s (skipped; Windows does)\n", what);
            return {};
        }
        return undo(scm_error(std::string("cannot ") + what, e));
    };
    SERVICE_DESCRIPTIONW description{const_cast<wchar_t*>(
        L"Records boot traces of kernel pool and resident-set footprint for Bootprint campaigns.")};
    BP_TRY_STATUS(config2(SERVICE_CONFIG_DESCRIPTION, &description, "set the service description"));
    // Delayed: the agent starts after the boot's other services and does not disturb the traced boot.
    SERVICE_DELAYED_AUTO_START_INFO delayed{TRUE};
    BP_TRY_STATUS(config2(SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &delayed, "make the start delayed"));
    // Restart after 1 min, 1 min, 5 min; the count resets after a day without failure.
    SC_ACTION actions[3] = {
        {SC_ACTION_RESTART, 60000}, {SC_ACTION_RESTART, 60000}, {SC_ACTION_RESTART, 300000}};
    SERVICE_FAILURE_ACTIONSW failure{};
    failure.dwResetPeriod = 86400;
    failure.cActions = 3;
    failure.lpsaActions = actions;
    BP_TRY_STATUS(config2(SERVICE_CONFIG_FAILURE_ACTIONS, &failure, "set the recovery actions"));
    // Also when the service stops with an error code, not only when it crashes.
    SERVICE_FAILURE_ACTIONS_FLAG flag{TRUE};
    BP_TRY_STATUS(config2(SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &flag, "set the recovery flag"));
    return {};
}

namespace {

Status wait_for_state(SC_HANDLE svc, DWORD wanted, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        SERVICE_STATUS_PROCESS status{};
        DWORD needed = 0;
        if (!::QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&status),
                                    sizeof status, &needed))
            return scm_error("cannot query the service");
        if (status.dwCurrentState == wanted) return {};
        if (wanted == SERVICE_RUNNING && status.dwCurrentState == SERVICE_STOPPED)
            return make_error(Errc::io, "the service stopped while starting (exit code " +
                                            std::to_string(status.dwServiceSpecificExitCode) +
                                            "): see logs\\agent.log in the data folder");
        if (std::chrono::steady_clock::now() > deadline)
            return make_error(Errc::io, "the service did not reach the wanted state in " +
                                            std::to_string(limit.count()) + " s (state " +
                                            std::to_string(status.dwCurrentState) + ")");
        ::Sleep(200);
    }
}

Result<SC_HANDLE> open_service(DWORD access) {
    ScHandle scm{::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT)};
    if (!scm.h) return scm_error("cannot open the service control manager");
    SC_HANDLE svc = ::OpenServiceW(scm.h, kServiceName, access);
    if (!svc) return scm_error("cannot open the service");
    return svc;
}

}  // namespace

Status start_service() {
    BP_TRY(SC_HANDLE raw, open_service(SERVICE_START | SERVICE_QUERY_STATUS));
    ScHandle svc{raw};
    if (!::StartServiceW(svc.h, 0, nullptr) && ::GetLastError() != ERROR_SERVICE_ALREADY_RUNNING)
        return scm_error("cannot start the service");
    return wait_for_state(svc.h, SERVICE_RUNNING, std::chrono::seconds(60));
}

Status stop_service() {
    BP_TRY(SC_HANDLE raw, open_service(SERVICE_STOP | SERVICE_QUERY_STATUS));
    ScHandle svc{raw};
    SERVICE_STATUS status{};
    if (!::ControlService(svc.h, SERVICE_CONTROL_STOP, &status) &&
        ::GetLastError() != ERROR_SERVICE_NOT_ACTIVE)
        return scm_error("cannot stop the service");
    return wait_for_state(svc.h, SERVICE_STOPPED, std::chrono::seconds(120));
}

Status uninstall_service() {
    BP_TRY(SC_HANDLE raw, open_service(SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE));
    ScHandle svc{raw};
    SERVICE_STATUS status{};
    if (::ControlService(svc.h, SERVICE_CONTROL_STOP, &status))
        BP_TRY_STATUS(wait_for_state(svc.h, SERVICE_STOPPED, std::chrono::seconds(120)));
    if (!::DeleteService(svc.h)) return scm_error("cannot delete the service");
    return {};
}

}  // namespace bp::agent::win32
