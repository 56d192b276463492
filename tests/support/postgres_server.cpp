#include "support/postgres_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace bp::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// /usr/lib/postgresql/<newest>/bin, or $BOOTPRINT_POSTGRES_BIN.
std::string bin_dir() {
    if (const char* env = std::getenv("BOOTPRINT_POSTGRES_BIN")) return env;
    std::string best;
    int best_version = -1;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        const std::string v = e.path().filename().string();
        if (!fs::exists(e.path() / "bin" / "initdb")) continue;
        const int n = std::atoi(v.c_str());
        if (n > best_version) {
            best_version = n;
            best = (e.path() / "bin").string();
        }
    }
    return best;
}

int free_port() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    int port = 0;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
        port = ntohs(a.sin_port);
    }
    ::close(s);
    return port;
}

// The user the server runs as: ourselves, or `postgres` (else `nobody`) when we are root.
struct RunAs {
    bool switch_user = false;
    uid_t uid = 0;
    gid_t gid = 0;
};

RunAs run_as() {
    RunAs r;
    if (::geteuid() != 0) return r;
    for (const char* name : {"postgres", "nobody"}) {
        if (const passwd* pw = ::getpwnam(name)) {
            r.switch_user = true;
            r.uid = pw->pw_uid;
            r.gid = pw->pw_gid;
            return r;
        }
    }
    return r;
}

// fork + exec with stdout/stderr appended to `log`; as `who`; with `die_with_parent` the child gets
// SIGQUIT (immediate shutdown) when this process dies. Returns the pid or -1.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log, const RunAs& who, bool die_with_parent) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0) return -1;
    if (who.switch_user) (void)!::fchown(out, who.uid, who.gid);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int in = ::open("/dev/null", O_RDONLY);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(out, 2);
        if (!die_with_parent) ::setsid();  // the ctest fixture: not in the test's process group
        if (who.switch_user) {
            if (::setgroups(0, nullptr) != 0 || ::setgid(who.gid) != 0 || ::setuid(who.uid) != 0) _exit(126);
        }
        if (die_with_parent) {
            ::prctl(PR_SET_PDEATHSIG, SIGQUIT);  // after setuid, which clears it
            if (::getppid() != parent) _exit(1);
        }
        // Close every other descriptor: a pipe ctest reads must not stay open in the server.
        for (int fd = 3; fd < 1024; ++fd) ::close(fd);
        ::execv(args[0], args.data());
        _exit(127);
    }
    ::close(out);
    return pid;
}

int wait_child(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return status;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string tail(const std::string& text, std::size_t n = 2000) {
    return text.size() <= n ? text : text.substr(text.size() - n);
}

bool process_alive(pid_t pid) {
    if (::kill(pid, 0) != 0) return false;
    // A zombie (reaped by nobody yet in a container without an init) counts as gone.
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = all.rfind(')');
    return close == std::string::npos || close + 2 >= all.size() || all[close + 2] != 'Z';
}

}  // namespace

std::unique_ptr<PostgresServer> PostgresServer::start(const Options& options, std::string& error) {
    const std::string bin = bin_dir();
    if (bin.empty()) {
        error = "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (scripts/setup.sh installs postgresql-15)";
        return nullptr;
    }
    const RunAs who = run_as();
    // Under /tmp (not the build tree): the unprivileged server user must be able to reach it, and a
    // unix socket path must stay short.
    // As root, /tmp itself: a $TMPDIR under /root would be out of the postgres user's reach.
    const fs::path base = who.switch_user ? fs::path("/tmp") : fs::temp_directory_path();
    std::string templ = (base / "bootprint-pg-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
        error = "cannot create a temporary directory under " + base.string();
        return nullptr;
    }
    std::unique_ptr<PostgresServer> server(new PostgresServer());
    server->dir_ = templ;
    if (who.switch_user && ::chown(templ.c_str(), who.uid, who.gid) != 0) {
        error = "cannot hand " + templ + " to the postgres user";
        return nullptr;
    }
    const std::string data = templ + "/data";
    const std::string log = templ + "/postgres.log";
    const pid_t init = spawn({bin + "/initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                              "--locale=C", "--no-sync", "--no-instructions"},
                             log, who, true);
    const int init_status = init > 0 ? wait_child(init) : -1;
    if (init_status != 0) {
        error = "initdb failed (status " + std::to_string(init_status) + "): " + tail(slurp(log));
        return nullptr;
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
        const int port = free_port();
        std::vector<std::string> argv = {bin + "/postgres", "-D", data, "-h", "127.0.0.1", "-p", std::to_string(port),
                                         "-k", templ, "-c", "shared_buffers=" + options.shared_buffers, "-c",
                                         "max_connections=" + std::to_string(options.max_connections), "-c",
                                         "log_min_messages=warning", "-c", "listen_addresses=127.0.0.1"};
        if (!options.durable) {
            for (const char* s : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
                argv.push_back("-c");
                argv.push_back(s);
            }
        }
        server->pid_ = spawn(argv, log, who, !options.outlive_process);
        if (server->pid_ <= 0) break;
        server->port_ = port;
        const std::string ping = "host=127.0.0.1 port=" + std::to_string(port) + " user=postgres dbname=postgres connect_timeout=2";
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        bool exited = false;
        while (std::chrono::steady_clock::now() < deadline) {
            if (PQping(ping.c_str()) == PQPING_OK) return server;
            int status = 0;
            if (::waitpid(server->pid_, &status, WNOHANG) == server->pid_) {
                exited = true;  // e.g. the port was taken meanwhile: try another
                break;
            }
            std::this_thread::sleep_for(50ms);
        }
        if (!exited) {
            error = "the PostgreSQL server did not accept connections within 60 s: " + tail(slurp(log));
            return nullptr;  // the destructor stops it
        }
        server->pid_ = -1;
    }
    error = "the PostgreSQL server did not start: " + tail(slurp(log));
    return nullptr;
}

PostgresServer::~PostgresServer() {
    if (detached_) return;
    if (pid_ > 0) {
        ::kill(pid_, SIGINT);  // fast shutdown: abort transactions, close connections, stop
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                wait_child(pid_);
                break;
            }
            std::this_thread::sleep_for(20ms);
        }
    }
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string PostgresServer::url(const std::string& dbname) const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + dbname;
}

bool PostgresServer::stop_detached(const std::string& directory, std::string& error) {
    std::ifstream pidfile(directory + "/data/postmaster.pid");
    pid_t pid = 0;
    if (!(pidfile >> pid) || pid <= 0) {
        error = "no running server in " + directory;
        std::error_code ec;
        fs::remove_all(directory, ec);
        return false;
    }
    ::kill(pid, SIGINT);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (process_alive(pid) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
    if (process_alive(pid)) ::kill(pid, SIGKILL);
    std::error_code ec;
    fs::remove_all(directory, ec);
    return true;
}

std::string postgres_exec(const std::string& url, const std::string& sql) {
    PGconn* c = PQconnectdb(url.c_str());
    std::string error;
    if (PQstatus(c) != CONNECTION_OK) {
        error = PQerrorMessage(c);
    } else {
        PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
        PGresult* r = PQexec(c, sql.c_str());
        const auto s = PQresultStatus(r);
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) error = PQresultErrorMessage(r);
        PQclear(r);
    }
    PQfinish(c);
    return error;
}

// ---- the tests' server -----------------------------------------------------------------------------

std::string test_postgres_server_url() {
    static std::once_flag once;
    static std::string url;
    static std::unique_ptr<PostgresServer> own;  // stopped and removed at exit
    std::call_once(once, [] {
        const char* env = std::getenv("BOOTPRINT_TEST_POSTGRES");
        if (env == nullptr || *env == '\0') return;
        const std::string v = env;
        if (v == "start") {
            std::string error;
            own = PostgresServer::start({}, error);
            if (!own) {
                std::fprintf(stderr, "BOOTPRINT_TEST_POSTGRES=start: %s\n", error.c_str());
                std::abort();
            }
            url = own->url();
        } else if (v.rfind("postgresql://", 0) == 0 || v.rfind("postgres://", 0) == 0) {
            url = v;
        } else {
            std::ifstream in(v);
            if (!(in >> url)) {
                std::fprintf(stderr, "BOOTPRINT_TEST_POSTGRES=%s: no server URL in that file (is the ctest fixture"
                                     " 'postgresql: start server' running?)\n", v.c_str());
                std::abort();
            }
        }
    });
    return url;
}

TestPostgresDatabase::TestPostgresDatabase() : server_(test_postgres_server_url()) {
    static std::atomic<int> counter{0};
    name_ = "bp_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    const std::string error = postgres_exec(server_, "CREATE DATABASE " + name_);
    if (!error.empty()) {
        std::fprintf(stderr, "cannot create test database %s: %s\n", name_.c_str(), error.c_str());
        std::abort();
    }
    const auto slash = server_.rfind('/');
    url_ = server_.substr(0, slash + 1) + name_;
}

TestPostgresDatabase::~TestPostgresDatabase() {
    (void)postgres_exec(server_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
}

TestStore::TestStore(const std::string& dir, const std::string& file) {
    if (test_store_is_postgresql()) {
        database_ = std::make_unique<TestPostgresDatabase>();
        location_ = database_->url();
    } else {
        location_ = "sqlite:" + (fs::path(dir) / file).string();
    }
}

}  // namespace bp::test
