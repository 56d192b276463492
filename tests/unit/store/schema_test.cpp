#include "bootprint/store/schema.hpp"

#include <sqlite3.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "bootprint/store/agent_store.hpp"
#include "support/process.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

// The embedded migrations are exactly the files of schema/agent/, numbered 1..N.
TEST_CASE("schema: the newest version is the number of migration files") {
    int files = 0;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(BOOTPRINT_SOURCE_DIR) + "/schema/agent")) {
        if (entry.path().extension() == ".sql") ++files;
    }
    CHECK(files >= 1);
    CHECK(bp::store::latest_schema_version() == files);
}

namespace {

// Runs SQL on a database through SQLite itself; returns the rows as text ("-" for NULL).
std::vector<std::string> sql(const std::string& path, const std::string& text) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    std::vector<std::string> rows;
    char* message = nullptr;
    const int rc = sqlite3_exec(
        db, text.c_str(),
        [](void* out, int n, char** values, char**) {
            std::string line;
            for (int i = 0; i < n; ++i) line += std::string(i ? "," : "") + (values[i] ? values[i] : "-");
            static_cast<std::vector<std::string>*>(out)->push_back(line);
            return 0;
        },
        &rows, &message);
    const std::string error = message ? message : "";
    sqlite3_free(message);
    sqlite3_close(db);
    INFO(error);
    REQUIRE(rc == SQLITE_OK);
    return rows;
}

std::string schema_file(const std::string& name) {
    std::ifstream in(std::string(BOOTPRINT_SOURCE_DIR) + "/schema/agent/" + name);
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

// Migration 005 turns pool_allocations into a view over the rows as written and their late frees: the
// rows of a store made before it read back unchanged.
TEST_CASE("schema 005: the pool rows of an older store read back unchanged through the view") {
    bp::test::TempDir dir;
    const std::string path = dir.file("v4.db");
    // A store as version 4 left it, made from the migration files themselves.
    for (const char* file : {"001_initial.sql", "002_campaign.sql", "003_outbox.sql", "004_symbols.sql"}) {
        sql(path, schema_file(file));
    }
    sql(path, "PRAGMA user_version = 4;"
              "INSERT INTO traces (sha256, file, bytes) VALUES ('" + std::string(64, 'a') + "', 'x.etl', 1);"
              "INSERT INTO modules (id, name) VALUES (7, 'a.sys');"
              "INSERT INTO pool_allocations VALUES (1, 1, 1, 1, 100, -1, NULL, 10, 20, 0, 4, 8, 3, 5, 7, 0);"
              "INSERT INTO pool_allocations VALUES (1, 2, 2, 513, 64, -2, 1, NULL, NULL, 1, NULL, NULL, NULL, NULL, 7, 3);");
    {
        auto store = bp::store::AgentStore::open(path);
        INFO((store ? "" : store.error().describe()));
        REQUIRE(store);
        CHECK(store->schema_version() == bp::store::latest_schema_version());
    }
    CHECK(sql(path, "SELECT type FROM sqlite_schema WHERE name = 'pool_allocations'") == std::vector<std::string>{"view"});
    CHECK(sql(path, "SELECT * FROM pool_allocations ORDER BY id") ==
          std::vector<std::string>{"1,1,1,1,100,-1,-,10,20,0,4,8,3,5,7,0", "1,2,2,513,64,-2,1,-,-,1,-,-,-,-,7,3"});
    CHECK(sql(path, "SELECT count(*) FROM pool_late_frees") == std::vector<std::string>{"0"});
    // A late free completes a row written open, as the ingest does.
    sql(path, "INSERT INTO pool_late_frees VALUES (1, 2, 99, 1, 6)");
    CHECK(sql(path, "SELECT free_time, implicitly_freed, free_stack_id FROM pool_allocations WHERE id = 2") ==
          std::vector<std::string>{"99,1,6"});
}
