// Symbol paths, the store layout, the sorted address table and the resolver over symbol stores.
// No LLVM here: the PDB reader is pdb_reader.cpp.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "bootprint/symbols/symbols.hpp"

namespace bp::symbols {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool is_url(std::string_view s) {
    const std::string l = lower(s.substr(0, 8));
    return l.starts_with("http://") || l.starts_with("https://");
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    std::size_t from = 0;
    for (;;) {
        const std::size_t at = s.find(sep, from);
        parts.push_back(s.substr(from, at == std::string_view::npos ? std::string_view::npos : at - from));
        if (at == std::string_view::npos) break;
        from = at + 1;
    }
    return parts;
}

// `dir/name` when it exists, else the entry of `dir` whose name matches `name` ignoring case.
std::optional<fs::path> child_ci(const fs::path& dir, const std::string& name) {
    std::error_code ec;
    fs::path exact = dir / name;
    if (fs::exists(exact, ec)) return exact;
    const std::string want = lower(name);
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (lower(it->path().filename().string()) == want) return it->path();
    }
    return std::nullopt;
}

}  // namespace

// ---- symbol path -------------------------------------------------------------------------------------
Result<std::vector<std::string>> parse_symbol_path(std::string_view text) {
    std::vector<std::string> dirs;
    for (std::string_view element : split(text, ';')) {
        while (!element.empty() && std::isspace(static_cast<unsigned char>(element.front()))) element.remove_prefix(1);
        while (!element.empty() && std::isspace(static_cast<unsigned char>(element.back()))) element.remove_suffix(1);
        if (element.empty()) continue;
        const std::vector<std::string_view> parts = split(element, '*');
        const std::string head = lower(parts.front());
        std::vector<std::string_view> local;
        if (parts.size() > 1 && (head == "srv" || head == "symsrv" || head == "cache")) {
            // srv*DIR*URL, srv*DIR, cache*DIR, symsrv*symsrv.dll*DIR*URL: every non-URL, non-DLL part.
            for (std::size_t i = 1; i < parts.size(); ++i) {
                if (parts[i].empty() || is_url(parts[i]) || lower(parts[i]).ends_with(".dll")) continue;
                local.push_back(parts[i]);
            }
            if (local.empty()) {
                if (head == "srv" && parts.size() == 2 && parts[1].empty()) continue;  // "srv*": default cache
                return Error{Errc::invalid_argument,
                             "symbol path element '" + std::string(element) + "' names no local directory (downloads are not supported)",
                             ""};
            }
        } else if (is_url(element)) {
            return Error{Errc::invalid_argument,
                         "symbol path element '" + std::string(element) + "' is a server URL; give a local store directory", ""};
        } else {
            local.push_back(element);
        }
        for (auto d : local) dirs.emplace_back(d);
    }
    return dirs;
}

std::string symbol_path_from_environment() {
    for (const char* var : {"BOOTPRINT_SYMBOL_PATH", "_NT_SYMBOL_PATH"}) {
        const char* v = std::getenv(var);
        if (v && *v) return v;
    }
    return {};
}

// ---- identity and layout -----------------------------------------------------------------------------
std::string store_key(const Guid& guid, std::uint32_t age) {
    auto b = [&](int i) { return static_cast<unsigned>(std::to_integer<std::uint8_t>(guid.bytes[static_cast<std::size_t>(i)])); };
    const unsigned d1 = b(0) | (b(1) << 8) | (b(2) << 16) | (b(3) << 24);
    const unsigned d2 = b(4) | (b(5) << 8);
    const unsigned d3 = b(6) | (b(7) << 8);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X%X", d1, d2, d3, b(8), b(9), b(10), b(11),
                  b(12), b(13), b(14), b(15), age);
    return buf;
}

std::string pdb_base_name(std::string_view logged_path) {
    const auto slash = logged_path.find_last_of("\\/");
    return std::string(slash == std::string_view::npos ? logged_path : logged_path.substr(slash + 1));
}

std::vector<std::string> store_candidates(const std::string& dir, const PdbIdentity& id) {
    std::vector<std::string> out;
    if (id.name.empty()) return out;
    const std::string key = store_key(id.guid, id.age);
    const fs::path root(dir);
    // Exact names first, then a case-insensitive match of each component (stores are often lower case).
    out.push_back((root / id.name / key / id.name).string());
    if (auto n = child_ci(root, id.name)) {
        if (auto k = child_ci(*n, key)) {
            if (auto f = child_ci(*k, id.name)) out.push_back(f->string());
        }
    }
    out.push_back((root / id.name).string());
    std::error_code ec;
    if (auto f = child_ci(root, id.name); f && fs::is_regular_file(*f, ec)) out.push_back(f->string());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// ---- the address table -----------------------------------------------------------------------------
void AddressTable::add_section(std::uint32_t rva, std::uint32_t size) { sections_.emplace_back(rva, size); }

void AddressTable::add(std::uint32_t rva, std::uint32_t size, SymbolKind kind, std::string_view name) {
    if (names_.size() + name.size() > 0xFFFFFFFFu) return;  // 4 GiB of names: not a real PDB
    Entry e;
    e.rva = rva;
    e.size = size;
    e.kind = kind;
    e.name_offset = static_cast<std::uint32_t>(names_.size());
    e.name_length = static_cast<std::uint32_t>(name.size());
    names_.append(name);
    entries_.push_back(e);
}

std::uint32_t AddressTable::section_of(std::uint32_t rva) const {
    // sections_ sorted by rva; the last one starting at or before rva, if rva lies inside it.
    auto it = std::upper_bound(sections_.begin(), sections_.end(), rva,
                               [](std::uint32_t v, const auto& s) { return v < s.first; });
    if (it == sections_.begin()) return 0;
    --it;
    if (std::uint64_t{rva} >= std::uint64_t{it->first} + it->second) return 0;
    return static_cast<std::uint32_t>(it - sections_.begin()) + 1;
}

void AddressTable::seal() {
    std::sort(sections_.begin(), sections_.end());
    std::sort(entries_.begin(), entries_.end(), [this](const Entry& a, const Entry& b) {
        if (a.rva != b.rva) return a.rva < b.rva;
        if (a.kind != b.kind) return a.kind == SymbolKind::function;  // a function wins over a public
        return std::string_view(names_).substr(a.name_offset, a.name_length) <
               std::string_view(names_).substr(b.name_offset, b.name_length);
    });
    // One entry per RVA; entries outside every code section are dropped.
    std::vector<Entry> kept;
    kept.reserve(entries_.size());
    stats_.functions = stats_.publics = 0;
    for (const Entry& e : entries_) {
        if (!kept.empty() && kept.back().rva == e.rva) continue;
        Entry k = e;
        k.section = section_of(e.rva);
        if (k.section == 0) continue;
        (k.kind == SymbolKind::function ? stats_.functions : stats_.publics) += 1;
        kept.push_back(k);
    }
    entries_ = std::move(kept);
    entries_.shrink_to_fit();
    stats_.name_bytes = names_.size();
}

std::optional<AddressTable::Hit> AddressTable::lookup(std::uint32_t rva) const {
    const std::uint32_t section = section_of(rva);
    if (section == 0) return std::nullopt;
    auto it = std::upper_bound(entries_.begin(), entries_.end(), rva, [](std::uint32_t v, const Entry& e) { return v < e.rva; });
    if (it == entries_.begin()) return std::nullopt;
    --it;
    if (it->section != section) return std::nullopt;
    Hit h;
    h.name = std::string_view(names_).substr(it->name_offset, it->name_length);
    h.start = it->rva;
    h.kind = it->kind;
    h.past_end = it->kind == SymbolKind::function && std::uint64_t{rva} >= std::uint64_t{it->rva} + it->size;
    return h;
}

// ---- the resolver ------------------------------------------------------------------------------------
StoreSymbolizer::StoreSymbolizer(std::vector<std::string> store_dirs) : dirs_(std::move(store_dirs)) {}

const StoreSymbolizer::Loaded& StoreSymbolizer::load_identity(const PdbIdentity& id) {
    const std::string cache_key = lower(id.name) + "/" + store_key(id.guid, id.age);
    if (auto it = tables_.find(cache_key); it != tables_.end()) return it->second;
    Loaded out;
    out.status = {"not-found", "", ""};
    if (dirs_.empty()) out.status = {"none", "", "no symbol path given"};
    const std::string key = store_key(id.guid, id.age);
    bool done = false;
    for (const std::string& dir : dirs_) {
        for (const std::string& candidate : store_candidates(dir, id)) {
            std::error_code ec;
            if (!fs::is_regular_file(candidate, ec)) continue;
            PdbInfo info;
            auto table = read_pdb(candidate, &info);
            if (!table) {
                out.status = {"corrupt", candidate, table.error().describe()};
                continue;  // another store may hold a good copy
            }
            if (info.guid != id.guid || info.age != id.age) {
                out.status = {"mismatch", candidate,
                              "the PDB is " + store_key(info.guid, info.age) + ", the trace wants " + key};
                continue;
            }
            const bool pub = table->public_only();
            out.table = std::make_shared<const AddressTable>(std::move(*table));
            out.status = {pub ? "public-only" : "full", candidate, ""};
            done = true;
            break;
        }
        if (done) break;
    }
    if (!done && out.status.status == "not-found") {
        out.status.detail = id.name + "/" + key + " is in none of the " + std::to_string(dirs_.size()) + " symbol stores";
    }
    return tables_.emplace(cache_key, std::move(out)).first->second;
}

footprint::ImageSymbolStatus StoreSymbolizer::load(const footprint::Image& image) {
    if (!image.pdb_guid || image.pdb_name.empty()) return {"no-identity", "", "the trace has no DbgID_RSDS event for this image"};
    return load_identity({*image.pdb_guid, image.pdb_age, pdb_base_name(image.pdb_name)}).status;
}

const StoreSymbolizer::Loaded& StoreSymbolizer::loaded_for(const footprint::Image& image) {
    if (last_ && last_guid_ == *image.pdb_guid && last_age_ == image.pdb_age && last_name_ == image.pdb_name) return *last_;
    last_ = &load_identity({*image.pdb_guid, image.pdb_age, pdb_base_name(image.pdb_name)});  // map nodes are stable
    last_guid_ = *image.pdb_guid;
    last_age_ = image.pdb_age;
    last_name_ = image.pdb_name;
    return *last_;
}

std::optional<footprint::ResolvedSymbol> StoreSymbolizer::resolve(const footprint::Image& image, std::uint32_t rva) {
    if (!image.pdb_guid || image.pdb_name.empty()) return std::nullopt;
    const Loaded& l = loaded_for(image);
    if (!l.table) return std::nullopt;
    auto hit = l.table->lookup(rva);
    if (!hit) return std::nullopt;
    footprint::ResolvedSymbol r;
    r.function = std::string(hit->name);
    r.start = hit->start;
    r.approximate = hit->kind == SymbolKind::public_symbol;
    r.past_end = hit->past_end;
    return r;
}

}  // namespace bp::symbols
