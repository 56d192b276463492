#include "store/sqlite.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <system_error>
#include <utility>

namespace bp::store::sqlite {

namespace {

// "'INSERT INTO traces (sha256, ...'": the head of a statement for messages. Built by appending:
// GCC 12's -Wrestrict misfires on "'" + std::string&& (GCC bug 105329).
std::string quote_sql(std::string_view sql) {
    std::string out(1, '\'');
    out.append(sql.substr(0, std::min<std::size_t>(sql.find('\n'), 60)));
    out += '\'';
    return out;
}

}  // namespace

// ---- Database --------------------------------------------------------------------------------------

Result<Database> Database::open(const std::string& path, bool create) {
    if (!create && !path.empty()) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) {
            return make_error(Errc::not_found, "no such database file").with_path(path);
        }
    }
    sqlite3* raw = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (create) flags |= SQLITE_OPEN_CREATE;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    Database db(raw, path.empty() ? std::string("(temporary database)") : path);
    if (rc != SQLITE_OK) {
        // sqlite3_open_v2 hands back a handle even on failure (it holds the message); ~Database closes it.
        return make_error(Errc::database, std::string("cannot open database: ") +
                                              (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)))
            .with_path(db.path_);
    }
    sqlite3_extended_result_codes(raw, 1);
    // Another process (an ingest, the controller's reader) may hold the lock briefly.
    sqlite3_busy_timeout(raw, 5000);
    return db;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        if (db_) sqlite3_close_v2(db_);
        db_ = std::exchange(other.db_, nullptr);
        path_ = std::move(other.path_);
    }
    return *this;
}

Database::~Database() {
    // close_v2: the connection goes away once the last statement is finalized, whatever the order.
    if (db_) sqlite3_close_v2(db_);
}

Error Database::error(const std::string& what) const {
    std::string message = what;
    if (db_) {
        message += ": ";
        message += sqlite3_errmsg(db_);
    }
    return make_error(Errc::database, std::move(message)).with_path(path_);
}

Status Database::exec(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string text = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        return make_error(Errc::database, quote_sql(sql) + ": " + text).with_path(path_);
    }
    return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        return error(std::string("cannot prepare ") + quote_sql(sql));
    }
    return Statement(this, stmt);
}

Result<std::int64_t> Database::query_int(std::string_view sql) {
    BP_TRY(Statement stmt, prepare(sql));
    BP_TRY(bool row, stmt.step());
    if (!row) return make_error(Errc::database, quote_sql(sql) + " returned no row").with_path(path_);
    return stmt.column_int(0);
}

std::int64_t Database::changes() const {
    return sqlite3_changes64(db_);
}

std::int64_t Database::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}

bool Database::in_transaction() const {
    return sqlite3_get_autocommit(db_) == 0;
}

// ---- Statement -------------------------------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      bind_rc_(other.bind_rc_),
      bind_index_(other.bind_index_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        if (stmt_) sqlite3_finalize(stmt_);
        db_ = other.db_;
        stmt_ = std::exchange(other.stmt_, nullptr);
        bind_rc_ = other.bind_rc_;
        bind_index_ = other.bind_index_;
    }
    return *this;
}

Statement::~Statement() {
    if (stmt_) sqlite3_finalize(stmt_);
}

void Statement::note_bind(int rc, int index) {
    if (rc != SQLITE_OK && bind_rc_ == 0) {
        bind_rc_ = rc;
        bind_index_ = index;
    }
}

void Statement::bind(int index, std::int64_t value) {
    note_bind(sqlite3_bind_int64(stmt_, index, value), index);
}

void Statement::bind(int index, std::uint64_t value) {
    note_bind(sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value)), index);
}

void Statement::bind(int index, double value) {
    note_bind(sqlite3_bind_double(stmt_, index, value), index);
}

void Statement::bind(int index, std::string_view text) {
    note_bind(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
              index);
}

void Statement::bind_blob(int index, std::span<const std::byte> bytes) {
    // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
    static const std::byte kEmpty{};
    note_bind(sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &kEmpty : bytes.data(), bytes.size(),
                                  SQLITE_TRANSIENT),
              index);
}

void Statement::bind_null(int index) {
    note_bind(sqlite3_bind_null(stmt_, index), index);
}

Result<bool> Statement::step() {
    if (bind_rc_ != 0) {
        const int rc = std::exchange(bind_rc_, 0);
        return make_error(Errc::database, "cannot bind parameter " + std::to_string(bind_index_) + " of " +
                                              quote_sql(sqlite3_sql(stmt_)) + ": " + sqlite3_errstr(rc))
            .with_path(db_->path());
    }
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    Error e = db_->error(quote_sql(sqlite3_sql(stmt_)));
    sqlite3_reset(stmt_);
    return e;
}

Status Statement::run() {
    BP_TRY(bool row, step());
    sqlite3_reset(stmt_);
    if (row) {
        return make_error(Errc::internal, "statement returned rows where none were expected: " +
                                              quote_sql(sqlite3_sql(stmt_)));
    }
    return {};
}

void Statement::reset() {
    sqlite3_reset(stmt_);
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

std::optional<std::int64_t> Statement::column_optional_int(int column) const {
    if (is_null(column)) return std::nullopt;
    return column_int(column);
}

double Statement::column_double(int column) const {
    return sqlite3_column_double(stmt_, column);
}

std::string Statement::column_text(int column) const {
    const unsigned char* text = sqlite3_column_text(stmt_, column);
    const int n = sqlite3_column_bytes(stmt_, column);
    if (!text) return {};
    std::string out(static_cast<std::size_t>(n), '\0');
    for (int i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>(text[i]);
    return out;
}

std::span<const std::byte> Statement::column_blob(int column) const {
    const void* data = sqlite3_column_blob(stmt_, column);
    const int n = sqlite3_column_bytes(stmt_, column);
    if (!data || n <= 0) return {};
    return {static_cast<const std::byte*>(data), static_cast<std::size_t>(n)};
}

// ---- Transaction -----------------------------------------------------------------------------------

Result<Transaction> Transaction::begin(Database& db) {
    BP_TRY_STATUS(db.exec("BEGIN IMMEDIATE"));
    return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
    rollback();
}

Status Transaction::commit() {
    if (!db_) return make_error(Errc::internal, "commit of a transaction that is not active");
    Status s = db_->exec("COMMIT");
    if (!s) {
        rollback();
        return s;
    }
    db_ = nullptr;
    return {};
}

void Transaction::rollback() {
    if (!db_) return;
    // A failed statement may already have ended the transaction (SQLite rolls back on some errors).
    if (db_->in_transaction()) (void)db_->exec("ROLLBACK");
    db_ = nullptr;
}

}  // namespace bp::store::sqlite
