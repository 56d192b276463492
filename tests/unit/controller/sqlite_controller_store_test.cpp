#include "bootprint/controller/sqlite_controller_store.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include "bootprint/controller/auth.hpp"
#include "support/process.hpp"

using namespace bp::controller;

TEST_CASE("the schema is migrated once and a newer or foreign database is refused") {
    bp::test::TempDir dir;
    {
        auto s = SqliteControllerStore::open(dir.file("c.db"));
        REQUIRE(s);
    }
    auto again = SqliteControllerStore::open(dir.file("c.db"));
    REQUIRE(again);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(dir.file("c.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto newer = SqliteControllerStore::open(dir.file("c.db"));
    REQUIRE_FALSE(newer);
    CHECK(newer.error().code == bp::Errc::unsupported);
    REQUIRE(sqlite3_open(dir.file("f.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE x (y)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto foreign = SqliteControllerStore::open(dir.file("f.db"));
    REQUIRE_FALSE(foreign);
    CHECK(foreign.error().code == bp::Errc::conflict);
}

TEST_CASE("tokens are stored hashed, revocation refuses them") {
    bp::test::TempDir dir;
    auto store = SqliteControllerStore::open(dir.file("c.db"));
    REQUIRE(store);
    auto token = generate_token();
    REQUIRE(token);
    auto id = (*store)->enrol({"lab-01", "lab", "0.1", "26100"}, token_hash(*token), 100);
    REQUIRE(id);
    auto who = (*store)->authenticate(token_hash(*token));
    REQUIRE(who);
    REQUIRE(*who);
    CHECK((*who)->info.machine == "lab-01");
    CHECK_FALSE(*(*store)->authenticate(*token));  // the raw token is not what is stored
    REQUIRE((*store)->revoke(*id, false, 200));
    CHECK_FALSE(*(*store)->authenticate(token_hash(*token)));
}

TEST_CASE("tokens: random, base64url, and compared in constant time") {
    auto a = generate_token();
    auto b = generate_token();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a != *b);
    CHECK(a->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
    CHECK(token_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(constant_time_equal("abc", "abc"));
    CHECK_FALSE(constant_time_equal("abc", "abd"));
    CHECK_FALSE(constant_time_equal("abc", "abcd"));
    CHECK(bearer_token("Bearer xyz") == "xyz");
    CHECK(bearer_token("bearer  xyz ") == "xyz");
    CHECK(bearer_token("Basic xyz").empty());
    CHECK(bearer_token("Bearer ").empty());
}
