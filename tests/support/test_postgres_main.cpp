// bootprint-test-postgres: the ctest fixture around the PostgreSQL test runs (tests/CMakeLists.txt).
//   bootprint-test-postgres start STATE_DIR   starts a throw-away server, writes STATE_DIR/url and
//                                             STATE_DIR/server (the server's own temporary directory)
//   bootprint-test-postgres stop STATE_DIR    stops it and removes both directories
// Exit codes: 0 ok, 1 failure, 2 usage.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/postgres_server.hpp"

int main(int argc, char** argv) {
    if (argc != 3 || (std::string(argv[1]) != "start" && std::string(argv[1]) != "stop")) {
        std::fprintf(stderr, "usage: bootprint-test-postgres start|stop STATE_DIR\n");
        return 2;
    }
    const std::filesystem::path state = argv[2];
    std::error_code ec;
    if (std::string(argv[1]) == "start") {
        std::filesystem::create_directories(state, ec);
        std::string error;
        bp::test::PostgresServer::Options options;
        options.outlive_process = true;
        auto server = bp::test::PostgresServer::start(options, error);
        if (!server) {
            std::fprintf(stderr, "bootprint-test-postgres: %s\n", error.c_str());
            return 1;
        }
        std::ofstream(state / "server") << server->directory() << "\n";
        std::ofstream(state / "url") << server->url() << "\n";
        server->detach();
        std::printf("PostgreSQL test server: %s (directory %s)\n", server->url().c_str(), server->directory().c_str());
        return 0;
    }
    std::ifstream in(state / "server");
    std::string directory;
    in >> directory;
    std::string error;
    const bool stopped = !directory.empty() && bp::test::PostgresServer::stop_detached(directory, error);
    std::filesystem::remove_all(state, ec);
    if (!stopped) {
        std::fprintf(stderr, "bootprint-test-postgres: %s\n", directory.empty() ? "no server recorded" : error.c_str());
        return 1;
    }
    std::printf("PostgreSQL test server in %s stopped and removed\n", directory.c_str());
    return 0;
}
