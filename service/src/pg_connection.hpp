// A thin RAII layer over libpq for the PostgreSQL controller store: one connection, statements with
// text parameters ($1, $2, ...; never spliced into SQL), results as text. Private to the controller.
//
//   BP_TRY(auto c, pg::Connection::open("postgresql://bp@db/bootprint"));
//   BP_TRY(auto rows, c.query("SELECT id FROM agents WHERE machine = $1", {machine}));
//   if (rows.size() == 1) id = rows.int64(0, 0);
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bootprint/common/result.hpp"

struct pg_conn;
struct pg_result;

namespace bp::controller::pg {

// One statement parameter in PostgreSQL's text format; nullopt is SQL NULL.
struct Param {
    Param(std::string v) : text(std::move(v)) {}
    Param(const char* v) : text(std::string(v)) {}
    Param(std::string_view v) : text(std::string(v)) {}
    Param(std::int64_t v) : text(std::to_string(v)) {}
    Param(int v) : text(std::to_string(v)) {}
    Param(bool v) : text(v ? "true" : "false") {}
    Param(double v);  // shortest text that reads back exactly
    Param(std::optional<double> v) {
        if (v) text = Param(*v).text;
    }
    Param(std::optional<std::int64_t> v) {
        if (v) text = std::to_string(*v);
    }
    std::optional<std::string> text;
};

// A statement's rows (text format). Moves only.
class Rows {
public:
    explicit Rows(pg_result* r) : r_(r) {}
    Rows(Rows&& other) noexcept : r_(other.r_) { other.r_ = nullptr; }
    Rows& operator=(Rows&&) = delete;
    Rows(const Rows&) = delete;
    Rows& operator=(const Rows&) = delete;
    ~Rows();

    int size() const;
    bool null(int row, int column) const;
    std::string text(int row, int column) const;
    std::int64_t int64(int row, int column) const;  // 0 for NULL or non-numeric text
    double real(int row, int column) const;         // 0 for NULL
    bool boolean(int row, int column) const;        // 't'
    // Rows changed by INSERT/UPDATE/DELETE.
    std::int64_t affected() const;

private:
    pg_result* r_;
};

class Connection {
public:
    // `conninfo`: a postgresql:// URL or key=value string. The session gets synchronous_commit off
    // when `synchronous_commit` is false.
    static Result<std::unique_ptr<Connection>> open(const std::string& conninfo, bool synchronous_commit);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // One or more statements without parameters (BEGIN, COMMIT, migrations).
    Status exec(const std::string& sql);
    Result<Rows> query(const char* sql, std::initializer_list<Param> params = {});
    Result<Rows> query(const std::string& sql, const std::vector<Param>& params);

    bool healthy() const;          // the connection is up
    bool in_transaction() const;   // inside BEGIN (or a failed transaction)
    // SQLSTATE of the last failed statement ("40001" serialization failure, "40P01" deadlock).
    const std::string& last_sqlstate() const { return last_sqlstate_; }
    bool last_error_retryable() const { return last_sqlstate_ == "40001" || last_sqlstate_ == "40P01"; }

private:
    explicit Connection(pg_conn* c) : c_(c) {}
    Result<Rows> run(const char* sql, const Param* params, std::size_t count);
    pg_conn* c_;
    std::string last_sqlstate_;
};

// PostgreSQL's text form of arrays for `unnest($1::text[])`: {"a","b\"c"}; {1,2,3}.
std::string text_array(const std::vector<std::string>& values);
std::string int_array(const std::vector<std::int64_t>& values);

}  // namespace bp::controller::pg
