// Bearer tokens: 256 random bits from the kernel, handed to an agent once, stored only as SHA-256.
#pragma once

#include <string>
#include <string_view>

#include "bootprint/common/result.hpp"

namespace bp::controller {

// 43 characters of base64url (32 bytes from getrandom()). Errc::io when the kernel refuses.
Result<std::string> generate_token();
// Lower-case hex SHA-256 of the token: the only form in which tokens are stored.
std::string token_hash(std::string_view token);
// Compares without an early exit, so the time taken says nothing about where two secrets differ.
bool constant_time_equal(std::string_view a, std::string_view b);
// The token of an "Authorization: Bearer <token>" header value; "" when absent or malformed.
std::string_view bearer_token(std::string_view authorization);

}  // namespace bp::controller
