// The ProcessRunner port on CreateProcessW. stdout and stderr go to two anonymous pipes drained by
// two threads while the child runs (a child filling a pipe can never deadlock us); stdin is NUL. The
// child runs in a job object that kills everything in it when closed, so a timeout (or a child that
// left a grandchild holding the pipes) ends cleanly.
#include <thread>

#include "bootprint/host/windows_host.hpp"
#include "host/win32/win32_util.hpp"

namespace bp::host::win32 {
namespace {

struct Handle {
    HANDLE h = nullptr;
    Handle() = default;
    explicit Handle(HANDLE v) : h(v) {}
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { reset(); }
    void reset() {
        if (h && h != INVALID_HANDLE_VALUE) ::CloseHandle(h);
        h = nullptr;
    }
};

// Reads the pipe to its end (all writers closed).
void drain(HANDLE pipe, std::string& out) {
    char buffer[16384];
    for (;;) {
        DWORD got = 0;
        if (!::ReadFile(pipe, buffer, sizeof buffer, &got, nullptr) || got == 0) return;
        out.append(buffer, got);
    }
}

// An inheritable write end, a private read end.
Status make_pipe(Handle& read, Handle& write) {
    SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
    if (!::CreatePipe(&read.h, &write.h, &sa, 0)) return detail::last_error(Errc::io, "cannot create a pipe");
    if (!::SetHandleInformation(read.h, HANDLE_FLAG_INHERIT, 0))
        return detail::last_error(Errc::io, "cannot make the pipe private");
    return {};
}

}  // namespace

// MSVC runtime argv rules: an argument without space, tab, newline or quote goes as is; otherwise it
// is quoted, backslashes before a quote (or before the closing quote) are doubled, quotes escaped.
std::string command_line(const std::vector<std::string>& argv) {
    std::string out;
    for (std::size_t i = 0; i < argv.size(); ++i) {
        if (i) out += ' ';
        const std::string& a = argv[i];
        if (!a.empty() && a.find_first_of(" \t\n\v\"") == std::string::npos) {
            out += a;
            continue;
        }
        out += '"';
        std::size_t backslashes = 0;
        for (char c : a) {
            if (c == '\\') {
                ++backslashes;
                continue;
            }
            if (c == '"') {
                out.append(backslashes * 2 + 1, '\\');
            } else {
                out.append(backslashes, '\\');
            }
            backslashes = 0;
            out += c;
        }
        out.append(backslashes * 2, '\\');
        out += '"';
    }
    return out;
}

Result<ProcessOutput> Win32ProcessRunner::run(const std::vector<std::string>& argv,
                                              const RunOptions& options) {
    if (argv.empty()) return make_error(Errc::invalid_argument, "no program to run");
    BP_TRY(std::wstring program, widen(argv[0]));
    const DWORD attributes = ::GetFileAttributesW(program.c_str());
    if (attributes == INVALID_FILE_ATTRIBUTES || (attributes & FILE_ATTRIBUTE_DIRECTORY))
        return make_error(Errc::not_found, "the program does not exist").with_path(argv[0]);
    BP_TRY(std::wstring line, widen(command_line(argv)));

    Handle out_read, out_write, err_read, err_write;
    BP_TRY_STATUS(make_pipe(out_read, out_write));
    BP_TRY_STATUS(make_pipe(err_read, err_write));
    SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
    Handle null_in(::CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING,
                                 0, nullptr));
    if (null_in.h == INVALID_HANDLE_VALUE) return detail::last_error(Errc::io, "cannot open NUL");

    Handle job(::CreateJobObjectW(nullptr, nullptr));
    if (!job.h) return detail::last_error(Errc::io, "cannot create a job object");
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    ::SetInformationJobObject(job.h, JobObjectExtendedLimitInformation, &limits, sizeof limits);

    STARTUPINFOW si{};
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = null_in.h;
    si.hStdOutput = out_write.h;
    si.hStdError = err_write.h;
    PROCESS_INFORMATION pi{};
    if (!::CreateProcessW(program.c_str(), line.data(), nullptr, nullptr, TRUE,
                          CREATE_NO_WINDOW | CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT, nullptr, nullptr,
                          &si, &pi)) {
        const DWORD e = ::GetLastError();
        return detail::win32_error(e == ERROR_FILE_NOT_FOUND ? Errc::not_found : Errc::io,
                                   "cannot start the program", e)
            .with_path(argv[0]);
    }
    Handle process(pi.hProcess);
    Handle thread(pi.hThread);
    const bool in_job = ::AssignProcessToJobObject(job.h, process.h) != 0;
    ::ResumeThread(thread.h);
    // Only the child holds the write ends now: the readers see the end when it (and its children) exit.
    out_write.reset();
    err_write.reset();
    null_in.reset();

    ProcessOutput result;
    std::thread out_reader(drain, out_read.h, std::ref(result.out));
    std::thread err_reader(drain, err_read.h, std::ref(result.err));
    const auto ms = options.timeout.count();
    const DWORD wait_ms = ms <= 0 ? 0 : ms >= 0xFFFFFFFE ? 0xFFFFFFFE : static_cast<DWORD>(ms);
    const DWORD waited = ::WaitForSingleObject(process.h, wait_ms);
    if (waited == WAIT_TIMEOUT) {
        result.timed_out = true;
        if (!in_job || !::TerminateJobObject(job.h, 1)) ::TerminateProcess(process.h, 1);
        ::WaitForSingleObject(process.h, INFINITE);
    } else if (waited != WAIT_OBJECT_0) {
        Error err = detail::last_error(Errc::io, "waiting for the program failed");
        ::TerminateProcess(process.h, 1);
        ::WaitForSingleObject(process.h, INFINITE);
        job.reset();
        out_reader.join();
        err_reader.join();
        return std::move(err).with_path(argv[0]);
    }
    DWORD code = 0;
    ::GetExitCodeProcess(process.h, &code);
    result.exit_code = static_cast<std::uint32_t>(code);
    // Closing the job kills what the child left behind, so the pipes reach their end.
    if (in_job) job.reset();
    out_reader.join();
    err_reader.join();
    return result;
}

}  // namespace bp::host::win32
