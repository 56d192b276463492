// Running a real program from a test: argv in, exit status and captured output back.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace bp::test {

struct ProcessResult {
    int exit_code = -1;   // -1 when the program could not be started or was killed by a signal
    int signal = 0;       // the terminating signal, if any
    std::string out;
    std::string err;
};

// Runs argv[0] (searched in PATH when it has no slash) with the arguments (no shell), standard input
// from /dev/null.
ProcessResult run_process(const std::vector<std::string>& argv);

// The shared reference folder (../shared), or "" when absent.
std::string shared_dir();

// A fresh, empty temporary directory that is removed when the object is destroyed.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

}  // namespace bp::test
