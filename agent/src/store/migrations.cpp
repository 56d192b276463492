#include "store/migrations.hpp"

#include <string>

#include "bootprint/store/schema.hpp"

namespace bp::store {

int latest_schema_version() {
    const auto all = detail::embedded_migrations();
    return all.empty() ? 0 : all.back().version;
}

namespace detail {

Result<int> migrate(sqlite::Database& db, std::span<const Migration> migrations, std::string_view program) {
    BP_TRY(std::int64_t current, db.query_int("PRAGMA user_version"));
    const int newest = migrations.empty() ? 0 : migrations.back().version;
    if (current > newest) {
        return make_error(Errc::unsupported, "schema version " + std::to_string(current) + " is newer than this " +
                                                 std::string(program) + " understands (" + std::to_string(newest) +
                                                 "); upgrade " + std::string(program))
            .with_path(db.path());
    }
    if (current < 0) {
        return make_error(Errc::corrupt, "schema version " + std::to_string(current) + " is not a " +
                                             std::string(program) + " schema")
            .with_path(db.path());
    }
    if (current == 0) {
        // user_version 0 is also what any other SQLite file says: refuse to add our tables beside foreign
        // ones instead of mixing two applications' data.
        BP_TRY(std::int64_t objects, db.query_int("SELECT count(*) FROM sqlite_schema"));
        if (objects != 0) {
            return make_error(Errc::conflict, "not a " + std::string(program) +
                                                  " database (it has tables but no schema version)")
                .with_path(db.path());
        }
    }
    for (const Migration& m : migrations) {
        if (m.version <= current) continue;
        BP_TRY(auto tx, sqlite::Transaction::begin(db));
        // Another process may have migrated while this one waited for the write lock.
        BP_TRY(std::int64_t now_at, db.query_int("PRAGMA user_version"));
        if (now_at >= m.version) {
            current = now_at;
            continue;
        }
        Status applied = db.exec(std::string(m.sql));
        if (!applied) {
            Error e = std::move(applied).error();
            e.message = "migration " + std::string(m.file) + ": " + e.message;
            return e;
        }
        // user_version lives in the database header and is written inside this transaction.
        BP_TRY_STATUS(db.exec("PRAGMA user_version = " + std::to_string(m.version)));
        BP_TRY_STATUS(tx.commit());
        current = m.version;
    }
    return static_cast<int>(current);
}

Result<int> migrate(sqlite::Database& db) { return migrate(db, embedded_migrations(), "bootprint"); }

}  // namespace detail
}  // namespace bp::store
