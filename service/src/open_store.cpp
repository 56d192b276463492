#include "bootprint/controller/open_store.hpp"

#include "bootprint/controller/postgres_controller_store.hpp"
#include "bootprint/controller/sqlite_controller_store.hpp"

namespace bp::controller {

Result<StoreLocation> parse_store_location(const std::string& db) {
    if (db.rfind("sqlite:", 0) == 0) {
        StoreLocation l{StoreKind::sqlite, db.substr(7)};
        if (!l.target.empty()) return l;
    } else if (db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0) {
        return StoreLocation{StoreKind::postgresql, db};
    }
    return make_error(Errc::invalid_argument,
                      "database '" + redacted_location(db) + "': expected sqlite:PATH or postgresql://USER@HOST/DBNAME");
}

Result<std::unique_ptr<ControllerStore>> open_store(const std::string& db, const StoreOptions& options) {
    BP_TRY(StoreLocation where, parse_store_location(db));
    if (where.kind == StoreKind::sqlite) {
        SqliteControllerStore::Options o;
        o.synchronous = options.synchronous;
        BP_TRY(auto store, SqliteControllerStore::open(where.target, o));
        return std::unique_ptr<ControllerStore>(std::move(store));
    }
    PostgresControllerStore::Options o;
    o.synchronous = options.synchronous;
    BP_TRY(auto store, PostgresControllerStore::open(where.target, o));
    return std::unique_ptr<ControllerStore>(std::move(store));
}

std::string redacted_location(const std::string& db) {
    const auto scheme = db.find("://");
    const auto at = db.find('@');
    if (scheme == std::string::npos || at == std::string::npos || at < scheme) return db;
    const auto colon = db.find(':', scheme + 3);
    if (colon == std::string::npos || colon > at) return db;
    return db.substr(0, colon + 1) + "***" + db.substr(at);
}

}  // namespace bp::controller
