// One HTTP/1.1 exchange over TCP or TLS with a deadline: the only place in the report library that
// includes Boost.Beast (it compiles slowly; everything else sees this small interface).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bootprint/common/result.hpp"
#include "bootprint/report/controller_client.hpp"

namespace bp::report::detail {

struct Exchange {
    std::string_view method;
    std::string_view target;
    std::string_view body;
    std::string_view content_type;
    const std::vector<std::pair<std::string, std::string>>* headers = nullptr;
    std::string_view bearer;  // "" sends no Authorization header
};

struct TransportOptions {
    std::chrono::milliseconds timeout{15000};
    std::string ca_file;
    bool verify_tls = true;
    std::size_t reply_limit = 256u << 20;
};

// Errors are Errc::io naming the endpoint and the step (resolve, connect, handshake, write, read).
Result<HttpReply> http_exchange(const Endpoint& endpoint, const TransportOptions& options, const Exchange& exchange);

}  // namespace bp::report::detail
