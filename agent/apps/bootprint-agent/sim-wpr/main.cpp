// bootprint-sim-wpr: the simulated lab's wpr.exe (agent/src/host/sim/sim_wpr.cpp).
#include <string>
#include <vector>

#include "bootprint/host/sim_machine.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return bp::host::sim::sim_wpr_main(args);
}
