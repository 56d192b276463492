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
    return store::detail::migrate(db, embedded_migrations(), "bootprint-service");
}

}  // namespace detail
}  // namespace bp::controller
