// The controller's HTTP/1.1 server (Boost.Beast, asynchronous): a listener and one session per
// connection on a strand, with a deadline on every read and write, a request body limit (413 before
// the body is read), keep-alive, HTTPS when given a certificate and key, and a graceful stop. Requests
// go to a Handler — in production route() bound to the store — on a pool of handler threads (the
// handler may block on the store; the I/O threads do not wait for it).
//
//   ServerOptions o;  o.port = 0;                       // any free port
//   BP_TRY(auto server, HttpServer::start(o, [&](const HttpRequest& r) { return route(r, store, clock, cfg); }));
//   std::printf("listening on %u\n", server->port());
//   ... server->stop();                                  // stop accepting, finish requests, join
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bootprint/common/result.hpp"
#include "bootprint/controller/http_types.hpp"
#include "bootprint/controller/router.hpp"

namespace bp::controller {

struct ServerOptions {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8420;                          // 0: any free port (see HttpServer::port)
    std::size_t body_limit = kDefaultBodyLimit;
    std::chrono::milliseconds io_timeout{30000};        // per read of a request and per write of a response
    int threads = 2;                                    // I/O threads
    int handler_threads = 16;                           // threads running the Handler (it may block on the store)
    std::string tls_certificate;                        // PEM chain; with tls_private_key → HTTPS
    std::string tls_private_key;                        // PEM
    std::chrono::milliseconds shutdown_grace{10000};    // how long stop() waits for requests in flight
};

using Handler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
public:
    // Binds and starts the threads. Errc::io when the address cannot be bound or the TLS files not
    // loaded (the message names them).
    static Result<std::unique_ptr<HttpServer>> start(const ServerOptions& options, Handler handler);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    std::uint16_t port() const;
    bool tls() const;
    // Stops accepting, closes idle keep-alive connections, lets requests in flight finish (up to the
    // grace period), then joins the threads. Idempotent; callable from any thread but the server's.
    void stop();

    struct Impl;

private:
    explicit HttpServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace bp::controller
