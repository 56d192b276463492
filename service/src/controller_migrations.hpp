// The controller store's migrations (schema/controller/NNN_*.sql, compiled in by
// service/cmake/embed_migrations.cmake) and the runner that applies them.
#pragma once

#include <span>
#include <string_view>

#include "bootprint/common/result.hpp"
#include "store/sqlite.hpp"

namespace bp::controller::detail {

struct Migration {
    int version;
    std::string_view file;
    std::string_view sql;
};

// In version order, without gaps. Defined in the generated source.
std::span<const Migration> embedded_migrations();

// Brings the database to the newest version, one transaction per file (which also sets user_version).
// A newer database is refused (Errc::unsupported); a foreign one (tables, user_version 0) too.
Result<int> migrate(store::sqlite::Database& db);

}  // namespace bp::controller::detail
