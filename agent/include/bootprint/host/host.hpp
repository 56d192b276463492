// The world as the campaign engine sees it: one reference per port, plus where the agent keeps its
// files and how to call wpr. The engine never learns whether this is Windows or the simulated lab.
//
//   bp::host::sim::SimHost sim(machine);          // or the Windows host (agent/src/host/win32)
//   bp::campaign::Engine engine(sim.host(), db, store, sink, options);
#pragma once

#include <string>

#include "bootprint/host/clock.hpp"
#include "bootprint/host/file_system.hpp"
#include "bootprint/host/idle.hpp"
#include "bootprint/host/power.hpp"
#include "bootprint/host/process_runner.hpp"
#include "bootprint/host/registry.hpp"

namespace bp::host {

struct Host {
    Registry& registry;
    ProcessRunner& processes;
    Power& power;
    Clock& clock;
    BootIdentity& boot;
    IdleSampler& idle;
    FileSystem& files;
    std::string wpr;       // the wpr program: "C:\Windows\System32\wpr.exe", or the simulated one
    std::string data_dir;  // profiles, temp folders and traces go below (C:\ProgramData\Bootprint)
    std::string machine;   // the machine's name, for labels and reports
};

}  // namespace bp::host
