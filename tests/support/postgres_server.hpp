// A throw-away PostgreSQL server for tests and benchmarks, from Debian's packages
// (/usr/lib/postgresql/<version>/bin: initdb, postgres): a new cluster in a temporary directory,
// listening on 127.0.0.1 on a free port with its unix socket in that directory, removed when stopped.
// No system service, no configuration outside the directory. As root (CI), the server runs as the
// unprivileged `postgres` user that the package creates (PostgreSQL refuses to run as root).
//
// Which store the controller tests use: BOOTPRINT_TEST_POSTGRES unset → SQLite; "start" → PostgreSQL
// on a server this process starts; a postgresql:// URL → that server; a file path → the URL in it
// (the ctest fixture `bootprint-test-postgres start DIR` writes DIR/url).
//
//   bp::test::TestStore store(dir);              // sqlite:<dir>/controller.db or a fresh database
//   run({BOOTPRINT_SERVICE, "--db", store.location(), ...});
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

namespace bp::test {

class PostgresServer {
public:
    struct Options {
        bool durable = false;              // false: fsync off (tests); true: the defaults (benchmarks)
        std::string shared_buffers = "128MB";
        int max_connections = 200;
        // false: the server gets SIGQUIT when this process dies. true: it outlives it (the ctest
        // fixture; call detach() and later stop_detached()).
        bool outlive_process = false;
    };
    // Starts a server; nullptr and `error` set when it cannot (the message names the log file).
    static std::unique_ptr<PostgresServer> start(const Options& options, std::string& error);
    // Stops the server (fast shutdown) and removes its directory, unless detached.
    ~PostgresServer();
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    // postgresql://postgres@127.0.0.1:PORT/DBNAME
    std::string url(const std::string& dbname = "postgres") const;
    int port() const { return port_; }
    const std::string& directory() const { return dir_; }
    // Leaves the server running when this object goes (the ctest fixture); stop_detached() ends it.
    void detach() { detached_ = true; }
    // Stops a detached server by its directory and removes the directory. False when it was not running.
    static bool stop_detached(const std::string& directory, std::string& error);

private:
    PostgresServer() = default;
    std::string dir_;
    int port_ = 0;
    pid_t pid_ = -1;
    bool detached_ = false;
};

// Where the PostgreSQL tests find their server (see the header comment); "" when the tests run on SQLite.
std::string test_postgres_server_url();
inline bool test_store_is_postgresql() { return !test_postgres_server_url().empty(); }

// A database created for one test on the test server, dropped (even with connections left) at the end.
class TestPostgresDatabase {
public:
    TestPostgresDatabase();
    ~TestPostgresDatabase();
    TestPostgresDatabase(const TestPostgresDatabase&) = delete;
    TestPostgresDatabase& operator=(const TestPostgresDatabase&) = delete;
    const std::string& url() const { return url_; }
    const std::string& name() const { return name_; }

private:
    std::string server_;
    std::string name_;
    std::string url_;
};

// The store of one test: sqlite:<dir>/<file> or a fresh PostgreSQL database, per BOOTPRINT_TEST_POSTGRES.
class TestStore {
public:
    explicit TestStore(const std::string& dir, const std::string& file = "controller.db");
    // The --db argument of bootprint-service / open_store().
    const std::string& location() const { return location_; }
    bool postgresql() const { return database_ != nullptr; }

private:
    std::unique_ptr<TestPostgresDatabase> database_;
    std::string location_;
};

// Runs SQL on a server (test setup only); "" on success, else the error.
std::string postgres_exec(const std::string& url, const std::string& sql);

}  // namespace bp::test
