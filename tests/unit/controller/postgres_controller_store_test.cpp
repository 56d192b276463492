#include "bootprint/controller/postgres_controller_store.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "bootprint/controller/sqlite_controller_store.hpp"
#include "support/postgres_server.hpp"

// What only the PostgreSQL store does: its own migrations and version table. These need a server:
// they run in the PostgreSQL pass of ctest (BOOTPRINT_TEST_POSTGRES), and say so in the SQLite pass.

using namespace bp::controller;

TEST_CASE("the PostgreSQL and SQLite schemas are versioned together") {
    CHECK(postgresql_schema_version() == controller_schema_version());
    CHECK(postgresql_schema_version() >= 1);
}

TEST_CASE("postgresql: an unreachable server is a database error naming it, without its password") {
    auto s = PostgresControllerStore::open("postgresql://bp:s3cret@127.0.0.1:1/nothing?connect_timeout=2");
    REQUIRE_FALSE(s);
    CHECK(s.error().code == bp::Errc::database);
    CHECK(s.error().message.find("cannot connect") != std::string::npos);
    CHECK(s.error().path == "postgresql://bp:***@127.0.0.1:1/nothing?connect_timeout=2");
    CHECK(s.error().describe().find("s3cret") == std::string::npos);
}

TEST_CASE("postgresql: the schema is migrated once, a newer or foreign database is refused untouched", "[postgresql]") {
    if (!bp::test::test_store_is_postgresql()) {
        WARN("skipped: runs in the PostgreSQL pass (BOOTPRINT_TEST_POSTGRES)");
        return;
    }
    bp::test::TestPostgresDatabase db;
    {
        auto s = PostgresControllerStore::open(db.url());
        REQUIRE(s);
    }
    auto again = PostgresControllerStore::open(db.url());  // nothing left to apply
    REQUIRE(again);
    CHECK((*again)->row_counts()->at("agents") == 0);
    REQUIRE(bp::test::postgres_exec(db.url(), "UPDATE bootprint_schema SET version = 99").empty());
    auto newer = PostgresControllerStore::open(db.url());
    REQUIRE_FALSE(newer);
    CHECK(newer.error().code == bp::Errc::unsupported);
    CHECK(newer.error().message.find("99 is newer") != std::string::npos);

    bp::test::TestPostgresDatabase foreign;
    REQUIRE(bp::test::postgres_exec(foreign.url(), "CREATE TABLE payroll (x INTEGER)").empty());
    auto refused = PostgresControllerStore::open(foreign.url());
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == bp::Errc::conflict);
    CHECK(bp::test::postgres_exec(foreign.url(), "SELECT 1 FROM agents").find("does not exist") != std::string::npos);
}

TEST_CASE("postgresql: instances opening a fresh database at once migrate it once", "[postgresql]") {
    if (!bp::test::test_store_is_postgresql()) {
        WARN("skipped: runs in the PostgreSQL pass (BOOTPRINT_TEST_POSTGRES)");
        return;
    }
    bp::test::TestPostgresDatabase db;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&] {
            if (!PostgresControllerStore::open(db.url())) ++failures;
        });
    }
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    CHECK(bp::test::postgres_exec(db.url(), "DO $$ BEGIN IF (SELECT count(*) FROM bootprint_schema) <> 1 THEN"
                                            " RAISE EXCEPTION 'version rows'; END IF; END $$")
              .empty());
}
