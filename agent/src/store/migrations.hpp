// The store's schema migrations: schema/agent/NNN_*.sql, compiled in by embed_migrations.cmake, and
// the runner that brings a database up to the newest one (PRAGMA user_version = NNN of the last file
// applied). A database newer than the binary is refused, never touched.
#pragma once

#include <span>
#include <string_view>

#include "bootprint/common/result.hpp"
#include "store/sqlite.hpp"

namespace bp::store::detail {

struct Migration {
    int version;            // NNN of the file name: 1, 2, 3, ...
    std::string_view file;  // "001_initial.sql"
    std::string_view sql;
};

// In version order, without gaps (the generator checks). Defined in the generated source.
std::span<const Migration> embedded_migrations();

// Applies every migration of `migrations` (in version order, no gaps) newer than the database's
// user_version, each in its own transaction that also sets user_version; another process may migrate
// concurrently (the version is read again under the write lock). A newer database is refused
// (Errc::unsupported), a foreign one too (tables but user_version 0). `program` names the reader in
// messages ("bootprint", "bootprint-service"). Returns the version the database has afterwards.
Result<int> migrate(sqlite::Database& db, std::span<const Migration> migrations, std::string_view program);
// The agent store's: migrate(db, embedded_migrations(), "bootprint").
Result<int> migrate(sqlite::Database& db);

}  // namespace bp::store::detail
