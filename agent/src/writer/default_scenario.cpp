// The embedded default scenario: a desktop boot of about 40 s with the drivers and pool tags a lab
// typically watches. Names and sizes are plausible, not measured: the scenario drives the simulated
// lab and the demos, not conclusions about real drivers.
#include "bootprint/writer/boot_trace.hpp"

namespace bp::writer {

const std::string& default_scenario_json() {
    static const std::string text = R"json({
  "name": "desktop-boot",
  "seed": 2026,
  "pointer_size": 8,
  "processors": 4,
  "duration_s": 40,
  "build": 22631,
  "kernel": {"name": "ntoskrnl.exe", "size": "0x1046000", "code_pages": 2200},
  "drivers": [
    {"name": "ACPI.sys",     "size": "0xD6000",  "code_pages": 150, "standby_pages": 40, "pages_jitter": 0.02},
    {"name": "pci.sys",      "size": "0x3D000",  "code_pages": 48,  "standby_pages": 8,  "pages_jitter": 0.02},
    {"name": "Wdf01000.sys", "size": "0xE1000",  "code_pages": 170, "standby_pages": 30, "pages_jitter": 0.02},
    {"name": "storport.sys", "size": "0x10A000", "code_pages": 120, "standby_pages": 20, "pages_jitter": 0.02},
    {"name": "stornvme.sys", "size": "0x31000",  "code_pages": 36,  "pages_jitter": 0.02},
    {"name": "Ntfs.sys",     "size": "0x2F8000", "code_pages": 520, "standby_pages": 90, "data_pages": 12, "pages_jitter": 0.03},
    {"name": "fltmgr.sys",   "size": "0x7A000",  "code_pages": 90,  "pages_jitter": 0.02},
    {"name": "volmgr.sys",   "size": "0x1B000",  "code_pages": 20},
    {"name": "ndis.sys",     "size": "0x16E000", "code_pages": 260, "standby_pages": 30, "load_at_s": 1.2, "pages_jitter": 0.03},
    {"name": "tcpip.sys",    "size": "0x323000", "code_pages": 540, "standby_pages": 80, "load_at_s": 1.5, "pages_jitter": 0.03},
    {"name": "dxgkrnl.sys",  "size": "0x4C5000", "code_pages": 610, "standby_pages": 120, "load_at_s": 2.0, "pages_jitter": 0.04},
    {"name": "contoso_filter.sys", "size": "0x48000", "code_pages": 60, "load_at_s": 3.0, "pages_jitter": 0.02}
  ],
  "pool": [
    {"tag": "Irp ", "driver": "ntoskrnl.exe", "size": 560, "count": 4000, "count_jitter": 0.05, "free_fraction": 0.98, "mean_lifetime_s": 0.02},
    {"tag": "MmSt", "driver": "ntoskrnl.exe", "paged": true, "size": 1024, "size_jitter": 256, "count": 1500, "count_jitter": 0.03, "free_fraction": 0.3, "mean_lifetime_s": 5},
    {"tag": "Thre", "driver": "ntoskrnl.exe", "size": 1984, "count": 900, "count_jitter": 0.04, "free_fraction": 0.4, "mean_lifetime_s": 8},
    {"tag": "AcpM", "driver": "ACPI.sys", "size": 96, "count": 2500, "count_jitter": 0.02, "free_fraction": 0.2, "mean_lifetime_s": 3},
    {"tag": "AcpB", "driver": "ACPI.sys", "paged": true, "size": 12288, "count": 12, "free_fraction": 0},
    {"tag": "PciB", "driver": "pci.sys", "size": 256, "count": 300, "free_fraction": 0.1},
    {"tag": "Wdf ", "driver": "Wdf01000.sys", "size": 320, "size_jitter": 64, "count": 1800, "count_jitter": 0.05, "free_fraction": 0.6, "mean_lifetime_s": 2},
    {"tag": "RaDA", "driver": "storport.sys", "size": 4096, "count": 64, "free_fraction": 0.1},
    {"tag": "StNv", "driver": "stornvme.sys", "size": 65536, "count": 8, "free_fraction": 0},
    {"tag": "NtfF", "driver": "Ntfs.sys", "paged": true, "size": 352, "count": 3000, "count_jitter": 0.06, "free_fraction": 0.7, "mean_lifetime_s": 4, "preexisting": 40},
    {"tag": "Ntfx", "driver": "Ntfs.sys", "size": 168, "count": 5000, "count_jitter": 0.05, "free_fraction": 0.9, "mean_lifetime_s": 0.5},
    {"tag": "FMfc", "driver": "fltmgr.sys", "paged": true, "size": 448, "count": 1200, "free_fraction": 0.5, "mean_lifetime_s": 6},
    {"tag": "NDnd", "driver": "ndis.sys", "size": 2048, "count": 200, "count_jitter": 0.05, "free_fraction": 0.2},
    {"tag": "TcpE", "driver": "tcpip.sys", "size": 512, "count": 800, "count_jitter": 0.05, "free_fraction": 0.5, "mean_lifetime_s": 3},
    {"tag": "DxgK", "driver": "dxgkrnl.sys", "paged": true, "size": 8192, "count": 150, "count_jitter": 0.05, "free_fraction": 0.3},
    {"tag": "Gh15", "driver": "dxgkrnl.sys", "session": 1, "paged": true, "size": 640, "count": 400, "free_fraction": 0.5},
    {"tag": "Cnto", "driver": "contoso_filter.sys", "size": 1024, "count": 600, "count_jitter": 0.03, "free_fraction": 0.1, "mean_lifetime_s": 10}
  ],
  "pages": [
    {"use": "PagedPool", "list": "Active", "count": 2400},
    {"use": "NonPagedPool", "list": "Active", "count": 1800},
    {"use": "KernelStack", "list": "Active", "count": 600},
    {"use": "SystemPTE", "list": "Active", "count": 300},
    {"use": "File", "list": "Standby", "file": "\\Device\\HarddiskVolume3\\Windows\\System32\\config\\SYSTEM", "count": 900},
    {"use": "File", "list": "Active", "file": "\\Device\\HarddiskVolume3\\Windows\\System32\\ntdll.dll", "image": true, "count": 420},
    {"use": "ProcessPrivate", "list": "Active", "pid": 340, "count": 250}
  ],
  "processes": [
    {"pid": 4, "parent": 0, "name": "System"},
    {"pid": 88, "parent": 4, "name": "Registry"},
    {"pid": 340, "parent": 4, "name": "smss.exe"},
    {"pid": 520, "parent": 340, "name": "csrss.exe", "start_at_s": 4.0},
    {"pid": 600, "parent": 340, "name": "wininit.exe", "start_at_s": 4.5},
    {"pid": 720, "parent": 600, "name": "services.exe", "start_at_s": 5.0},
    {"pid": 1020, "parent": 340, "name": "winlogon.exe", "start_at_s": 6.0},
    {"pid": 3120, "parent": 1020, "name": "explorer.exe", "start_at_s": 18.0}
  ]
})json";
    return text;
}

}  // namespace bp::writer
