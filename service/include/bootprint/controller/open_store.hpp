// Opens the controller store a connection string names (bootprint-service --db):
//   sqlite:PATH                          the embedded SQLite store (the default: sqlite:bootprint-controller.db)
//   postgresql://USER@HOST:PORT/DBNAME   the PostgreSQL store (also postgres://; any libpq URL parameters)
//
//   BP_TRY(auto store, open_store("postgresql://bp@db.lab/bootprint", {}));
#pragma once

#include <memory>
#include <string>

#include "bootprint/common/result.hpp"
#include "bootprint/controller/controller_store.hpp"

namespace bp::controller {

struct StoreOptions {
    std::string synchronous = "FULL";  // FULL or NORMAL; see the two stores' Options
};

enum class StoreKind { sqlite, postgresql };

struct StoreLocation {
    StoreKind kind = StoreKind::sqlite;
    std::string target;  // the SQLite path, or the PostgreSQL connection string as given
};

// Errc::invalid_argument for anything else, naming the two accepted forms.
Result<StoreLocation> parse_store_location(const std::string& db);

Result<std::unique_ptr<ControllerStore>> open_store(const std::string& db, const StoreOptions& options);

// The location without a password, for logs: postgresql://bp:***@host/db.
std::string redacted_location(const std::string& db);

}  // namespace bp::controller
