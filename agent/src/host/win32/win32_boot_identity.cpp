// BootIdentity: boot time = now - GetTickCount64(); the id is kept in a marker file so that every
// reading within one boot (they differ by the tick resolution, 10-16 ms) gives the same id.
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "bootprint/host/windows_host.hpp"
#include "host/win32/win32_util.hpp"

namespace bp::host::win32 {
namespace {

constexpr std::int64_t kSameBootToleranceUs = 5'000'000;

struct Marker {
    std::string id;
    std::int64_t boot_time_us = 0;
    std::uint64_t number = 0;
};

Result<std::optional<Marker>> read_marker(const std::string& path) {
    BP_TRY(auto text, detail::read_file(path));
    if (!text) return std::optional<Marker>();
    try {
        const auto j = nlohmann::json::parse(*text);
        Marker m;
        m.id = j.value("id", std::string());
        m.boot_time_us = j.at("boot_time_us").get<std::int64_t>();
        m.number = j.value("number", std::uint64_t{0});
        return std::optional<Marker>(m);
    } catch (const std::exception& e) {
        return make_error(Errc::corrupt, std::string("boot marker: ") + e.what()).with_path(path);
    }
}

}  // namespace

Result<BootInfo> Win32BootIdentity::current() {
    const std::int64_t now = clock_.now_us();
    const std::int64_t boot_time = now - static_cast<std::int64_t>(::GetTickCount64()) * 1000;
    BP_TRY(auto marker, read_marker(marker_file_));
    BootInfo info;
    if (marker && std::llabs(marker->boot_time_us - boot_time) <= kSameBootToleranceUs) {
        info = BootInfo{marker->id, marker->boot_time_us};
    } else {
        info = BootInfo{"boot-" + std::to_string(boot_time / 1000), boot_time};
        BP_TRY_STATUS(files_.write_file(
            marker_file_, nlohmann::json{{"id", info.id}, {"boot_time_us", info.boot_time_us}}.dump()));
    }
    if (!simulated_boot_file_.empty()) {
        BP_TRY(auto simulated, read_marker(simulated_boot_file_));
        if (simulated) {
            info.id += "-sim" + std::to_string(simulated->number);
            info.boot_time_us = simulated->boot_time_us;
        }
    }
    return info;
}

}  // namespace bp::host::win32
