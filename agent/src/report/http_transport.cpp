#include "report/http_transport.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <vector>

namespace bp::report::detail {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

Error io_error(const Endpoint& ep, std::string_view step, const beast::error_code& ec) {
    return make_error(Errc::io, std::string(step) + " " + (ep.tls ? "https://" : "http://") + ep.host + ":" +
                                    std::to_string(ep.port) + ": " + ec.message());
}

// Runs the io_context until the operation started before it completes (each step of the exchange
// is one asynchronous operation so that the stream's deadline applies to it).
void run(net::io_context& ioc) {
    ioc.run();
    ioc.restart();
}

http::request<http::string_body> make_request(const Endpoint& ep, const Exchange& x) {
    http::request<http::string_body> req;
    req.method_string(beast::string_view(x.method.data(), x.method.size()));
    req.target(beast::string_view(x.target.data(), x.target.size()));
    req.version(11);
    req.set(http::field::host, ep.host + ":" + std::to_string(ep.port));
    req.set(http::field::user_agent, "bootprint-agent/0.1");
    req.set(http::field::accept, "application/json");
    if (!x.bearer.empty()) req.set(http::field::authorization, "Bearer " + std::string(x.bearer));
    if (x.headers) {
        for (const auto& [name, value] : *x.headers) req.set(name, value);
    }
    if (!x.body.empty() || x.method == "POST" || x.method == "PUT") {
        req.set(http::field::content_type, beast::string_view(x.content_type.data(), x.content_type.size()));
        req.body() = std::string(x.body);
    }
    req.keep_alive(false);
    req.prepare_payload();
    return req;
}

template <class Stream>
Result<HttpReply> write_and_read(net::io_context& ioc, Stream& stream, const Endpoint& ep,
                                 const TransportOptions& o, const Exchange& x) {
    beast::error_code ec;
    auto req = make_request(ep, x);
    http::async_write(stream, req, [&](beast::error_code e, std::size_t) { ec = e; });
    run(ioc);
    if (ec) return io_error(ep, "write to", ec);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(o.reply_limit);
    http::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    run(ioc);
    if (ec) return io_error(ep, "read from", ec);
    auto& res = parser.get();
    HttpReply reply;
    reply.status = static_cast<int>(res.result_int());
    reply.content_type = std::string(res[http::field::content_type]);
    reply.body = std::move(res.body());
    return reply;
}

}  // namespace

Result<HttpReply> http_exchange(const Endpoint& ep, const TransportOptions& o, const Exchange& x) {
    net::io_context ioc;
    beast::error_code ec;
    // A literal address needs no resolver (getaddrinfo costs more than the whole loopback exchange).
    std::vector<tcp::endpoint> endpoints;
    const auto literal = net::ip::make_address(ep.host, ec);
    if (!ec) {
        endpoints.emplace_back(literal, ep.port);
    } else {
        tcp::resolver resolver(ioc);
        const auto resolved = resolver.resolve(ep.host, std::to_string(ep.port), ec);
        if (ec) return io_error(ep, "resolve", ec);
        for (const auto& r : resolved) endpoints.push_back(r.endpoint());
    }

    if (!ep.tls) {
        beast::tcp_stream stream(ioc);
        stream.expires_after(o.timeout);
        stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
        run(ioc);
        if (ec) return io_error(ep, "connect to", ec);
        auto reply = write_and_read(ioc, stream, ep, o, x);
        stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        return reply;
    }

    ssl::context ctx(ssl::context::tls_client);
    ctx.set_default_verify_paths(ec);
    if (!o.ca_file.empty()) {
        ctx.load_verify_file(o.ca_file, ec);
        if (ec) return make_error(Errc::io, "cannot load CA file: " + ec.message()).with_path(o.ca_file);
    }
    ctx.set_verify_mode(o.verify_tls ? ssl::verify_peer : ssl::verify_none);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    if (o.verify_tls) stream.set_verify_callback(ssl::host_name_verification(ep.host));
    // SNI: servers hosting several names pick the certificate by it.
    if (!SSL_set_tlsext_host_name(stream.native_handle(), ep.host.c_str())) {
        return make_error(Errc::io, "cannot set TLS server name " + ep.host);
    }
    beast::get_lowest_layer(stream).expires_after(o.timeout);
    beast::get_lowest_layer(stream).async_connect(endpoints,
                                                  [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    run(ioc);
    if (ec) return io_error(ep, "connect to", ec);
    stream.async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
    run(ioc);
    if (ec) return io_error(ep, "TLS handshake with", ec);
    auto reply = write_and_read(ioc, stream, ep, o, x);
    // A TLS close_notify is a courtesy here: the reply is complete (Content-Length) whatever happens.
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
    stream.async_shutdown([&](beast::error_code) {});
    run(ioc);
    return reply;
}

}  // namespace bp::report::detail
