// A thin RAII layer over the SQLite C API for the store: a connection, prepared statements with typed
// binds and columns, and a transaction that rolls back unless committed. Errors come back as
// bp::Error{Errc::database} naming the database path and SQLite's message; nothing throws.
//
//   BP_TRY(auto db, sqlite::Database::open("fp.db", true));
//   BP_TRY(auto tx, sqlite::Transaction::begin(db));
//   BP_TRY(auto insert, db.prepare("INSERT INTO modules (name) VALUES (?1)"));
//   insert.bind(1, "ACPI.sys");
//   BP_TRY_STATUS(insert.run());
//   BP_TRY_STATUS(tx.commit());
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bootprint/common/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace bp::store::sqlite {

class Statement;

class Database {
  public:
    // `path` "" opens a private temporary database that SQLite deletes when it is closed.
    // Without `create`, a missing file is an error (Errc::not_found) instead of a new database.
    static Result<Database> open(const std::string& path, bool create);

    Database(Database&& other) noexcept;
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    // Runs one or more statements that return no rows (DDL, PRAGMA, BEGIN/COMMIT).
    Status exec(const std::string& sql);
    Result<Statement> prepare(std::string_view sql);
    // The single integer a query such as "PRAGMA user_version" returns.
    Result<std::int64_t> query_int(std::string_view sql);

    std::int64_t changes() const;
    std::int64_t last_insert_rowid() const;
    bool in_transaction() const;
    const std::string& path() const { return path_; }
    sqlite3* handle() const { return db_; }

    // An Errc::database error: "<what>: <SQLite's message>", with the database path.
    Error error(const std::string& what) const;

  private:
    Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
    sqlite3* db_ = nullptr;
    std::string path_;
};

// A prepared statement. Binds never fail by themselves: the first bind error is kept and returned by
// the next step()/run(), so hot insert loops stay free of per-column checks.
class Statement {
  public:
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    // Parameters are 1-based, as in SQL's ?1, ?2, ...
    void bind(int index, std::int64_t value);
    void bind(int index, std::uint64_t value);  // stored as its two's-complement int64 bit pattern
    void bind(int index, std::uint32_t value) { bind(index, static_cast<std::int64_t>(value)); }
    void bind(int index, int value) { bind(index, static_cast<std::int64_t>(value)); }
    void bind(int index, bool value) { bind(index, static_cast<std::int64_t>(value ? 1 : 0)); }
    void bind(int index, double value);
    void bind(int index, std::string_view text);  // copied by SQLite
    void bind(int index, const char* text) { bind(index, std::string_view(text)); }
    void bind(int index, const std::string& text) { bind(index, std::string_view(text)); }
    void bind_blob(int index, std::span<const std::byte> bytes);  // copied by SQLite
    void bind_null(int index);
    template <class T>
    void bind(int index, const std::optional<T>& value) {
        if (value) {
            bind(index, *value);
        } else {
            bind_null(index);
        }
    }

    // Advances: true when a row is available, false when the statement is done.
    Result<bool> step();
    // Steps a statement that returns no rows to completion, then resets it for the next use.
    Status run();
    // Makes the statement ready to run again; the bindings stay.
    void reset();

    bool is_null(int column) const;
    std::int64_t column_int(int column) const;
    std::uint64_t column_uint(int column) const { return static_cast<std::uint64_t>(column_int(column)); }
    std::optional<std::int64_t> column_optional_int(int column) const;
    double column_double(int column) const;
    std::string column_text(int column) const;
    std::span<const std::byte> column_blob(int column) const;  // valid until the next step/reset

  private:
    friend class Database;
    Statement(const Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    void note_bind(int rc, int index);

    const Database* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
    int bind_rc_ = 0;     // first failing bind's result code (0: none)
    int bind_index_ = 0;  // and its parameter
};

// BEGIN IMMEDIATE (the write lock is taken up front, so a busy database fails here and not halfway
// through an ingest). Destroying an uncommitted transaction rolls it back.
class Transaction {
  public:
    static Result<Transaction> begin(Database& db);
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    Status commit();
    void rollback();
    bool active() const { return db_ != nullptr; }

  private:
    explicit Transaction(Database* db) : db_(db) {}
    Database* db_ = nullptr;
};

}  // namespace bp::store::sqlite
