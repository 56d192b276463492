#include "bootprint/store/schema.hpp"

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
