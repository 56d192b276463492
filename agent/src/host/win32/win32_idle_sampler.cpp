// IdleSampler: CPU busy time from GetSystemTimes, disk busy time from PDH's
// "\PhysicalDisk(_Total)\% Disk Time", both over the same window (wpr-boot.md §2.8, §4.6).
#include <algorithm>

#include <pdh.h>

#include "bootprint/host/windows_host.hpp"
#include "host/win32/win32_util.hpp"

namespace bp::host::win32 {
namespace {

std::uint64_t ticks(const FILETIME& ft) {
    return (static_cast<std::uint64_t>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime;
}

}  // namespace

struct Win32IdleSampler::Pdh {
    PDH_HQUERY query = nullptr;
    PDH_HCOUNTER disk = nullptr;
    ~Pdh() {
        if (query) ::PdhCloseQuery(query);
    }
};

Win32IdleSampler::Win32IdleSampler() : pdh_(std::make_unique<Pdh>()) {
    if (::PdhOpenQueryW(nullptr, 0, &pdh_->query) != ERROR_SUCCESS) {
        pdh_->query = nullptr;
        return;
    }
    // The English name works on every display language of Windows.
    if (::PdhAddEnglishCounterW(pdh_->query, L"\\PhysicalDisk(_Total)\\% Disk Time", 0, &pdh_->disk) !=
        ERROR_SUCCESS) {
        pdh_->disk = nullptr;
    }
}

Win32IdleSampler::~Win32IdleSampler() = default;

bool Win32IdleSampler::disk_counter() const {
    return pdh_->disk != nullptr;
}

Result<IdleSample> Win32IdleSampler::sample(std::chrono::milliseconds window) {
    FILETIME idle0, kernel0, user0, idle1, kernel1, user1;
    if (!::GetSystemTimes(&idle0, &kernel0, &user0))
        return detail::last_error(Errc::io, "GetSystemTimes failed");
    const bool disk = pdh_->disk && ::PdhCollectQueryData(pdh_->query) == ERROR_SUCCESS;
    ::Sleep(static_cast<DWORD>(std::max<std::int64_t>(window.count(), 1)));
    if (!::GetSystemTimes(&idle1, &kernel1, &user1))
        return detail::last_error(Errc::io, "GetSystemTimes failed");
    IdleSample out;
    // Kernel time includes idle time.
    const double total =
        static_cast<double>((ticks(kernel1) - ticks(kernel0)) + (ticks(user1) - ticks(user0)));
    const double idle = static_cast<double>(ticks(idle1) - ticks(idle0));
    out.cpu_percent = total > 0 ? std::clamp(100.0 * (total - idle) / total, 0.0, 100.0) : 0.0;
    if (disk && ::PdhCollectQueryData(pdh_->query) == ERROR_SUCCESS) {
        PDH_FMT_COUNTERVALUE value{};
        if (::PdhGetFormattedCounterValue(pdh_->disk, PDH_FMT_DOUBLE | PDH_FMT_NOCAP100, nullptr, &value) ==
                ERROR_SUCCESS &&
            value.CStatus == ERROR_SUCCESS) {
            out.disk_percent = std::clamp(value.doubleValue, 0.0, 100.0);
        }
    }
    return out;
}

}  // namespace bp::host::win32
