// The only translation unit of the controller that includes Boost.Beast. The shape follows Beast's
// asynchronous server example (listener, session with do_read/on_read/on_write/do_close on a strand,
// expires_after deadlines, end_of_stream as normal control flow), written for our handler type.
#include "bootprint/controller/http_server.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

namespace bp::controller {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kDrainLimit = 64u << 20;  // after a 413, read and discard at most this much

// What every session shares with the server.
struct Shared {
    Handler handler;
    std::unique_ptr<net::thread_pool> handlers;  // runs Handler calls: they block on the store
    ServerOptions options;
    std::atomic<bool> stopping{false};
    std::atomic<int> sessions{0};
    std::mutex registry_mutex;  // guards registry
    std::vector<std::weak_ptr<class SessionBase>> registry;
};

class SessionBase {
public:
    virtual ~SessionBase() = default;
    // Closes the connection if it waits for a new request (called when the server stops).
    virtual void close_if_idle() = 0;
};

// A parse error of the request itself (as opposed to the connection failing).
bool is_http_error(const beast::error_code& ec) {
    return ec && ec.category() == http::make_error_code(http::error::bad_target).category();
}

HttpRequest to_request(const http::request<http::string_body>& req, const std::string& remote) {
    HttpRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& field : req) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        r.headers[name] = std::string(field.value());
    }
    r.body = req.body();
    r.remote = remote;
    return r;
}

http::response<http::string_body> to_response(const HttpResponse& r, unsigned version, bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "bootprint-service");
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : r.headers) res.set(name, value);
    res.keep_alive(keep_alive);
    res.body() = r.body;
    res.prepare_payload();
    return res;
}

HttpResponse error_reply(int status, const std::string& message) {
    HttpResponse r;
    r.status = status;
    std::string escaped;
    for (char c : message) {
        if (c == '"' || c == '\\') escaped.push_back('\\');
        if (static_cast<unsigned char>(c) >= 0x20) escaped.push_back(c);
    }
    r.body = "{\"error\":\"" + escaped + "\"}";
    return r;
}

// One connection. Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
public:
    Session(Stream stream, std::shared_ptr<Shared> shared, std::string remote)
        : stream_(std::move(stream)), shared_(std::move(shared)), remote_(std::move(remote)) {
        ++shared_->sessions;
    }
    ~Session() override { --shared_->sessions; }

    void run() {
        net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->start(); });
    }

    void close_if_idle() override {
        net::post(stream_.get_executor(), [self = this->shared_from_this()] {
            if (self->idle_) {
                beast::error_code ec;
                beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
                beast::get_lowest_layer(self->stream_).cancel();
            }
        });
    }

private:
    static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

    void start() {
        if constexpr (kTls) {
            beast::get_lowest_layer(stream_).expires_after(shared_->options.io_timeout);
            stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
                if (ec) {
                    spdlog::debug("tls handshake failed remote={} error=\"{}\"", self->remote_, ec.message());
                    return;
                }
                self->do_read();
            });
        } else {
            do_read();
        }
    }

    void do_read() {
        if (shared_->stopping) return do_close();
        parser_.emplace();
        parser_->body_limit(shared_->options.body_limit);
        parser_->header_limit(kHeaderLimit);
        idle_ = buffer_.size() == 0;
        beast::get_lowest_layer(stream_).expires_after(shared_->options.io_timeout);
        http::async_read_header(stream_, buffer_, *parser_,
                                beast::bind_front_handler(&Session::on_header, this->shared_from_this()));
    }

    void on_header(beast::error_code ec, std::size_t) {
        idle_ = false;
        if (ec == http::error::end_of_stream) return do_close();
        if (ec == http::error::body_limit) return reject(413, "request body is larger than the limit");
        if (ec && is_http_error(ec)) {
            return reject(400, "malformed HTTP request: " + ec.message());
        }
        if (ec) return;  // timeout, reset, cancelled: nothing to answer
        started_ = std::chrono::steady_clock::now();
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec == http::error::body_limit) return reject(413, "request body is larger than the limit");
        if (ec == http::error::end_of_stream) return do_close();
        if (ec && is_http_error(ec)) {
            return reject(400, "malformed HTTP request: " + ec.message());
        }
        if (ec) return;
        const auto& req = parser_->get();
        // The handler runs on the handler pool, not on this I/O thread: it blocks on the store (a
        // commit waits for the disk), and uploads waiting together are what lets the store commit
        // them together. The answer comes back to this session's strand.
        net::post(*shared_->handlers, [self = this->shared_from_this(), request = to_request(req, remote_),
                                       keep_alive = req.keep_alive(), version = req.version()]() mutable {
            HttpResponse response;
            try {
                response = self->shared_->handler(request);
            } catch (const std::exception& e) {
                spdlog::error("handler exception method={} target=\"{}\" error=\"{}\"", request.method,
                              request.target.substr(0, 200), e.what());
                response = error_reply(500, "internal error");
            }
            const double ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - self->started_).count();
            spdlog::info("http method={} path=\"{}\" status={} req_bytes={} res_bytes={} ms={:.2f} remote={}",
                         request.method, request.target.substr(0, request.target.find('?')).substr(0, 200),
                         response.status, request.body.size(), response.body.size(), ms, self->remote_);
            net::post(self->stream_.get_executor(), [self, response = std::move(response), keep_alive, version] {
                const bool keep = keep_alive && !self->shared_->stopping;
                self->send(to_response(response, version, keep), !keep, false);
            });
        });
    }

    // Answers a request we will not read to the end, then closes (after draining what the client
    // is still sending, so that it gets to read our answer instead of a connection reset).
    void reject(int status, const std::string& message) {
        spdlog::info("http status={} remote={} reason=\"{}\"", status, remote_, message);
        send(to_response(error_reply(status, message), 11, false), true, true);
    }

    void send(http::response<http::string_body> res, bool close, bool drain) {
        res_ = std::move(res);
        beast::get_lowest_layer(stream_).expires_after(shared_->options.io_timeout);
        http::async_write(stream_, res_,
                          [self = this->shared_from_this(), close, drain](beast::error_code ec, std::size_t) {
                              if (ec) return;
                              if (drain) return self->do_drain();
                              if (close) return self->do_close();
                              self->do_read();
                          });
    }

    void do_drain() {
        if constexpr (kTls) {
            do_close();
        } else {
            beast::error_code ec;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
            drain_buffer_.resize(64 * 1024);
            drain_more();
        }
    }

    void drain_more() {
        if constexpr (!kTls) {
            stream_.expires_after(std::chrono::seconds(5));
            stream_.async_read_some(net::buffer(drain_buffer_),
                                    [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                                        self->drained_ += n;
                                        if (ec || self->drained_ > kDrainLimit) return self->do_close();
                                        self->drain_more();
                                    });
        }
    }

    void do_close() {
        beast::error_code ec;
        if constexpr (kTls) {
            beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
            stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
        } else {
            stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        }
    }

    Stream stream_;
    std::shared_ptr<Shared> shared_;
    std::string remote_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> res_;
    std::vector<char> drain_buffer_;
    std::size_t drained_ = 0;
    bool idle_ = false;  // waiting for the first byte of a request (only touched on the strand)
    std::chrono::steady_clock::time_point started_;
};

}  // namespace

struct HttpServer::Impl {
    net::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::optional<ssl::context> tls;
    std::shared_ptr<Shared> shared = std::make_shared<Shared>();
    std::vector<std::thread> threads;
    std::uint16_t port = 0;
    std::mutex stop_mutex;  // guards stopped
    bool stopped = false;

    explicit Impl(int n) : ioc(std::max(1, n)) {}

    void do_accept() {
        acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
            if (ec) {
                if (ec != net::error::operation_aborted) spdlog::warn("accept failed error=\"{}\"", ec.message());
                if (!acceptor.is_open()) return;
            } else {
                start_session(std::move(socket));
            }
            if (!shared->stopping) do_accept();
        });
    }

    void start_session(tcp::socket socket) {
        beast::error_code ec;
        const auto peer = socket.remote_endpoint(ec);
        const std::string remote = ec ? "?" : peer.address().to_string() + ":" + std::to_string(peer.port());
        std::shared_ptr<SessionBase> base;
        if (tls) {
            auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
                beast::ssl_stream<beast::tcp_stream>(std::move(socket), *tls), shared, remote);
            s->run();
            base = s;
        } else {
            auto s = std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), shared, remote);
            s->run();
            base = s;
        }
        std::lock_guard lock(shared->registry_mutex);
        std::erase_if(shared->registry, [](const std::weak_ptr<SessionBase>& w) { return w.expired(); });
        shared->registry.push_back(base);
    }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

std::uint16_t HttpServer::port() const { return impl_->port; }

bool HttpServer::tls() const { return impl_->tls.has_value(); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(const ServerOptions& options, Handler handler) {
    auto impl = std::make_unique<Impl>(options.threads);
    impl->shared->handler = std::move(handler);
    impl->shared->handlers = std::make_unique<net::thread_pool>(static_cast<std::size_t>(std::max(1, options.handler_threads)));
    impl->shared->options = options;
    beast::error_code ec;

    if (!options.tls_certificate.empty() || !options.tls_private_key.empty()) {
        if (options.tls_certificate.empty() || options.tls_private_key.empty()) {
            return make_error(Errc::invalid_argument, "HTTPS needs both a certificate and a private key");
        }
        impl->tls.emplace(ssl::context::tls_server);
        impl->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                               ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        impl->tls->use_certificate_chain_file(options.tls_certificate, ec);
        if (ec) return make_error(Errc::io, "cannot load TLS certificate: " + ec.message()).with_path(options.tls_certificate);
        impl->tls->use_private_key_file(options.tls_private_key, ssl::context::pem, ec);
        if (ec) return make_error(Errc::io, "cannot load TLS private key: " + ec.message()).with_path(options.tls_private_key);
    }

    const auto address = net::ip::make_address(options.address, ec);
    if (ec) return make_error(Errc::invalid_argument, "bad listen address '" + options.address + "': " + ec.message());
    const tcp::endpoint endpoint{address, options.port};
    auto& acc = impl->acceptor;
    const std::string where = options.address + ":" + std::to_string(options.port);
    if (acc.open(endpoint.protocol(), ec); ec) return make_error(Errc::io, "open " + where + ": " + ec.message());
    // A restarted controller must be able to bind at once, even with connections in TIME_WAIT.
    if (acc.set_option(net::socket_base::reuse_address(true), ec); ec) {
        return make_error(Errc::io, "reuse_address " + where + ": " + ec.message());
    }
    if (acc.bind(endpoint, ec); ec) return make_error(Errc::io, "bind " + where + ": " + ec.message());
    if (acc.listen(net::socket_base::max_listen_connections, ec); ec) {
        return make_error(Errc::io, "listen " + where + ": " + ec.message());
    }
    impl->port = acc.local_endpoint().port();
    impl->do_accept();
    Impl* raw = impl.get();
    for (int i = 0; i < std::max(1, options.threads); ++i) {
        impl->threads.emplace_back([raw] {
            try {
                raw->ioc.run();
            } catch (const std::exception& e) {
                spdlog::critical("server thread stopped: {}", e.what());
            }
        });
    }
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::stop() {
    {
        std::lock_guard lock(impl_->stop_mutex);
        if (impl_->stopped) return;
        impl_->stopped = true;
    }
    auto& shared = *impl_->shared;
    shared.stopping = true;
    net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
        beast::error_code ec;
        impl->acceptor.close(ec);
    });
    {
        std::lock_guard lock(shared.registry_mutex);
        for (auto& w : shared.registry) {
            if (auto s = w.lock()) s->close_if_idle();
        }
    }
    // Requests in flight finish (their sessions then close instead of reading again); after the grace
    // period whatever is left is cut off.
    const auto deadline = std::chrono::steady_clock::now() + shared.options.shutdown_grace;
    while (shared.sessions.load() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    impl_->ioc.stop();
    for (auto& t : impl_->threads) {
        if (t.joinable()) t.join();
    }
    shared.handlers->join();  // a handler cut off by the grace period finishes; its answer is dropped
}

}  // namespace bp::controller
