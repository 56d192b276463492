// The HTTP request and response the router sees: plain values with no Beast type in them, so that the
// router is a function tests call directly and only http_server.cpp compiles Beast.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bp::controller {

struct HttpRequest {
    std::string method;                        // "GET", "POST", ...
    std::string target;                        // "/v1/history/series?kind=tag&key=Ntfx"
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
    std::string remote;                        // peer address, for logs

    std::string_view header(const std::string& lower_name) const {
        const auto it = headers.find(lower_name);
        return it == headers.end() ? std::string_view() : std::string_view(it->second);
    }
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace bp::controller
