// Result<T>: the return type of every library function that can fail on untrusted input or on the
// environment. See docs/error-handling.md for the policy: libraries return errors, applications
// decide what to print and which exit status to use; exceptions never cross a library boundary.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace bp {

// What went wrong, as a category a caller can branch on. The message says the details.
enum class Errc : std::uint8_t {
    io,                 // open/read/write failed (the path is in Error::path)
    truncated,          // the input ends before a structure it announces
    corrupt,            // a field has a value that cannot be right (bad marker, size out of range, ...)
    unsupported,        // well-formed but not handled (e.g. LZNT1 compression)
    invalid_argument,   // a caller or a user gave a value outside the documented range
    not_found,          // a named thing does not exist
    conflict,           // the operation contradicts existing state
    database,           // SQLite or another store refused
    internal,           // a bug: an invariant of ours does not hold
};

const char* to_string(Errc code);

// An error with its context. `offset` is an absolute byte offset in `path` when the error is about a
// position in a file; `has_offset` tells whether it is set.
struct Error {
    Errc code = Errc::internal;
    std::string message;
    std::string path;
    std::uint64_t offset = 0;
    bool has_offset = false;

    // "FILE: at offset 0x1A3F8: record claims 0x2000 bytes but the buffer has 0x118 left"
    std::string describe() const;

    Error&& with_path(std::string p) && {
        if (path.empty()) path = std::move(p);
        return std::move(*this);
    }
};

Error make_error(Errc code, std::string message);
Error make_error_at(Errc code, std::uint64_t offset, std::string message);

// A minimal expected<T, Error>: C++23's std::expected is not usable with every compiler we build with
// (clang 14 for the fuzzers, MinGW for the Windows agent), so the project carries this small one.
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

    bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : e_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

    bool has_value() const { return !e_.has_value(); }
    explicit operator bool() const { return has_value(); }
    const Error& error() const& { return *e_; }
    Error&& error() && { return std::move(*e_); }

private:
    std::optional<Error> e_;
};

using Status = Result<void>;

}  // namespace bp

// Propagate an error: `BP_TRY(auto x, f());` or `BP_TRY_STATUS(g());`
#define BP_CONCAT_INNER(a, b) a##b
#define BP_CONCAT(a, b) BP_CONCAT_INNER(a, b)
#define BP_TRY_IMPL(tmp, decl, expr)              \
    auto tmp = (expr);                            \
    if (!tmp) return std::move(tmp).error();      \
    decl = std::move(tmp).value()
#define BP_TRY(decl, expr) BP_TRY_IMPL(BP_CONCAT(bp_try_, __LINE__), decl, expr)
#define BP_TRY_STATUS(expr)                                           \
    do {                                                              \
        auto bp_status_ = (expr);                                     \
        if (!bp_status_) return std::move(bp_status_).error();        \
    } while (0)
