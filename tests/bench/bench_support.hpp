// Small helpers for benchmarks: run a measurement in a forked child so that its peak RSS is its own,
// and print one aligned line of figures.
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

namespace bp::bench {

struct Figures {
    double seconds = 0;
    double items = 0;       // events, rows, lookups ...
    double bytes = 0;
    long peak_rss_kb = 0;   // of the child that ran the measurement
    double cpu_seconds = 0; // user + system time of the child (all its threads)
    bool ok = false;
};

// Runs `work` (returns {items, bytes} or items < 0 on failure) in a child process and reports.
inline Figures measure(const std::function<std::pair<double, double>()>& work) {
    std::fflush(stdout);  // else the child inherits, and prints again, what is still buffered
    int fds[2];
    if (pipe(fds) != 0) return {};
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        const auto t0 = std::chrono::steady_clock::now();
        const auto [items, bytes] = work();
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
        Figures f{secs, items, bytes, ru.ru_maxrss, cpu, items >= 0};
        (void)!write(fds[1], &f, sizeof f);
        _exit(0);
    }
    close(fds[1]);
    Figures f;
    if (read(fds[0], &f, sizeof f) != static_cast<ssize_t>(sizeof f)) f.ok = false;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return f;
}

inline void print(const std::string& what, const Figures& f, const char* item_name) {
    if (!f.ok) {
        std::printf("%-58s FAILED\n", what.c_str());
        return;
    }
    // Wall-clock throughput, and CPU time: on a busy machine the second is the steadier figure.
    std::printf("%-50s %8.1f MB %8.3f s %8.0f MB/s %8.2f M%s/s  cpu %7.3f s  peak RSS %7.1f MB\n", what.c_str(),
                f.bytes / 1e6, f.seconds, f.bytes / 1e6 / f.seconds, f.items / 1e6 / f.seconds, item_name, f.cpu_seconds,
                f.peak_rss_kb / 1024.0);
    std::fflush(stdout);
}

}  // namespace bp::bench
