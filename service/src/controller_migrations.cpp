#include "controller_migrations.hpp"

#include <string>

#include "bootprint/controller/sqlite_controller_store.hpp"

namespace bp::controller {

int controller_schema_version() {
    const auto all = detail::embedded_migrations();
    return all.empty() ? 0 : all.back().version;
}

namespace detail {

Result<int> migrate(store::sqlite::Database& db) {
    BP_TRY(std::int64_t current, db.query_int("PRAGMA user_version"));
    const int newest = controller_schema_version();
    if (current > newest) {
        return make_error(Errc::unsupported, "controller schema version " + std::to_string(current) +
                                                 " is newer than this bootprint-service understands (" +
                                                 std::to_string(newest) + ")")
            .with_path(db.path());
    }
    if (current == 0) {
        BP_TRY(std::int64_t objects, db.query_int("SELECT count(*) FROM sqlite_schema"));
        if (objects != 0) {
            return make_error(Errc::conflict, "not a controller database (it has tables but no schema version)")
                .with_path(db.path());
        }
    }
    for (const Migration& m : embedded_migrations()) {
        if (m.version <= current) continue;
        BP_TRY(auto tx, store::sqlite::Transaction::begin(db));
        // Another instance may have migrated while we waited for the write lock.
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
        BP_TRY_STATUS(db.exec("PRAGMA user_version = " + std::to_string(m.version)));
        BP_TRY_STATUS(tx.commit());
        current = m.version;
    }
    return static_cast<int>(current);
}

}  // namespace detail
}  // namespace bp::controller
