// Symbol paths, the store key and layout, and the address table's rules, on values built by hand.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "bootprint/symbols/symbols.hpp"
#include "support/process.hpp"

using namespace bp::symbols;

TEST_CASE("symbol path: local directories of the _NT_SYMBOL_PATH forms", "[symbols]") {
    auto dirs = parse_symbol_path("srv*/srv/a*https://msdl.microsoft.com/download/symbols; /flat ;;cache*/c;srv*/d");
    REQUIRE(dirs.has_value());
    CHECK(*dirs == std::vector<std::string>{"/srv/a", "/flat", "/c", "/d"});
    CHECK(parse_symbol_path("")->empty());
    CHECK(parse_symbol_path("srv*")->empty());  // the default downstream store: nothing local named
    auto url = parse_symbol_path("https://msdl.microsoft.com/download/symbols");
    REQUIRE_FALSE(url.has_value());
    CHECK(url.error().code == bp::Errc::invalid_argument);
    CHECK_FALSE(parse_symbol_path("srv*https://server").has_value());
}

TEST_CASE("symbol path from the environment: BOOTPRINT_SYMBOL_PATH before _NT_SYMBOL_PATH", "[symbols]") {
    ::setenv("_NT_SYMBOL_PATH", "srv*/nt", 1);
    ::unsetenv("BOOTPRINT_SYMBOL_PATH");
    CHECK(symbol_path_from_environment() == "srv*/nt");
    ::setenv("BOOTPRINT_SYMBOL_PATH", "/mine", 1);
    CHECK(symbol_path_from_environment() == "/mine");
    ::unsetenv("BOOTPRINT_SYMBOL_PATH");
    ::unsetenv("_NT_SYMBOL_PATH");
    CHECK(symbol_path_from_environment().empty());
}

TEST_CASE("store key: GUID fields in Windows order, age in hex without leading zeros", "[symbols]") {
    // symbols-on-linux.md §4: raw F7 07 58 81 D2 EC D9 C2 4C 4C 44 20 50 44 42 2E, age 1.
    auto g = bp::Guid::parse("{815807F7-ECD2-C2D9-4C4C-44205044422E}");
    REQUIRE(g);
    CHECK(std::to_integer<int>(g->bytes[0]) == 0xF7);
    CHECK(store_key(*g, 1) == "815807F7ECD2C2D94C4C44205044422E1");
    CHECK(store_key(*g, 0x1A) == "815807F7ECD2C2D94C4C44205044422E1A");
    CHECK(pdb_base_name("C:\\build\\obj\\amd64\\PdbTest.pdb") == "PdbTest.pdb");
    CHECK(pdb_base_name("/x/y.pdb") == "y.pdb");
    CHECK(pdb_base_name("plain.pdb") == "plain.pdb");
}

TEST_CASE("store candidates: exact layout, then a case-insensitive match, then a flat folder", "[symbols]") {
    bp::test::TempDir dir;
    auto g = *bp::Guid::parse("{815807F7-ECD2-C2D9-4C4C-44205044422E}");
    const auto lower_dir = dir.path() / "pdbtest.pdb" / "815807f7ecd2c2d94c4c44205044422e1";
    std::filesystem::create_directories(lower_dir);
    std::ofstream(lower_dir / "pdbtest.pdb") << "x";
    auto c = store_candidates(dir.path().string(), {g, 1, "PdbTest.pdb"});
    REQUIRE(c.size() >= 2);
    CHECK(c[0] == (dir.path() / "PdbTest.pdb" / "815807F7ECD2C2D94C4C44205044422E1" / "PdbTest.pdb").string());
    CHECK(c[1] == (lower_dir / "pdbtest.pdb").string());
    CHECK(store_candidates(dir.path().string(), {g, 1, ""}).empty());
}

TEST_CASE("address table: nearest preceding symbol of the same section, functions win ties", "[symbols]") {
    AddressTable t;
    t.add_section(0x1000, 0x800);  // .text
    t.add_section(0x3000, 0x100);  // a second code section
    t.add(0x1000, 0x20, SymbolKind::function, "First");
    t.add(0x1000, 0, SymbolKind::public_symbol, "First_public");  // shadowed by the function
    t.add(0x1040, 0x10, SymbolKind::function, "Second");
    t.add(0x1080, 0, SymbolKind::public_symbol, "Thunk");
    t.add(0x3010, 0x10, SymbolKind::function, "Other");
    t.add(0x5000, 0x10, SymbolKind::function, "Nowhere");  // in no section: dropped
    t.seal();
    CHECK(t.size() == 4);
    CHECK(t.stats().functions == 3);
    CHECK(t.stats().publics == 1);

    auto h = t.lookup(0x1000);
    REQUIRE(h);
    CHECK(h->name == "First");
    CHECK(h->start == 0x1000);
    CHECK_FALSE(h->past_end);
    h = t.lookup(0x101F);
    REQUIRE(h);
    CHECK(h->name == "First");
    CHECK_FALSE(h->past_end);
    h = t.lookup(0x1030);  // padding after First: still First, marked past its end
    REQUIRE(h);
    CHECK(h->name == "First");
    CHECK(h->past_end);
    h = t.lookup(0x1085);
    REQUIRE(h);
    CHECK(h->name == "Thunk");
    CHECK(h->kind == SymbolKind::public_symbol);
    h = t.lookup(0x17FF);  // the last byte of .text
    REQUIRE(h);
    CHECK(h->name == "Thunk");
    CHECK_FALSE(t.lookup(0x1800));  // past the section
    CHECK_FALSE(t.lookup(0x0FFF));  // before it
    CHECK_FALSE(t.lookup(0x3005));  // in the second section, before its first symbol: not "Thunk"
    h = t.lookup(0x3015);
    REQUIRE(h);
    CHECK(h->name == "Other");
    CHECK_FALSE(t.lookup(0x5000));
}

TEST_CASE("undecorate: MSVC names demangled, plain names unchanged", "[symbols]") {
    CHECK(undecorate("DriverEntry") == "DriverEntry");
    CHECK(undecorate("?Spin@Widget@pdbtest@@QEBAHH@Z") == "pdbtest::Widget::Spin(int) const");
    CHECK(undecorate("?broken@@") == "?broken@@");
}
