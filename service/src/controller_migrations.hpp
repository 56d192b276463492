// The controller stores' migrations (schema/controller/NNN_*.sql and schema/controller/postgresql/, compiled in by
// service/cmake/embed_migrations.cmake) and the runner that applies them.
#pragma once

#include <span>
#include <string_view>

#include "bootprint/common/result.hpp"
#include "store/migrations.hpp"
#include "store/sqlite.hpp"

namespace bp::controller::detail {

// In version order, without gaps. Defined in the generated source (cmake/embed_migrations.cmake).
std::span<const store::detail::Migration> embedded_migrations();
// schema/controller/postgresql/NNN_*.sql: the same versions for the PostgreSQL store.
std::span<const store::detail::Migration> embedded_postgresql_migrations();

// Brings the database to the newest version through the one runner (store::detail::migrate).
Result<int> migrate(store::sqlite::Database& db);

}  // namespace bp::controller::detail
