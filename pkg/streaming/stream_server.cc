#include "pkg/streaming/stream_server.h"

#include <spdlog/spdlog.h>

#include <boost/algorithm/string/predicate.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http.hpp>
#include <future>

#include "pkg/streaming/connection.h"
#include "pkg/streaming/protocol.h"
#include "pkg/streaming/upgrade_protocols.h"
#include "pkg/streaming/websocket_upgrade.h"

namespace berth::streaming {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr size_t kMaxRequestHeader = 16 * 1024;

// Reads one HTTP/1.1 request head; bytes past it go back to the connection
// (a client may start talking the new protocol right behind it).
Result<UpgradeRequest> ReadRequest(Connection& conn) {
  http::request_parser<http::empty_body> parser;
  parser.header_limit(kMaxRequestHeader);
  parser.eager(true);
  std::string buf;
  char chunk[4096];
  while (!parser.is_done()) {
    BERTH_ASSIGN_OR_RETURN(size_t n, conn.ReadSome(chunk, sizeof chunk));
    if (n == 0) return Unavailable("client closed the connection before a complete request");
    buf.append(chunk, n);
    error_code ec;
    size_t used = parser.put(asio::buffer(buf), ec);
    if (ec == http::error::need_more) {
      buf.erase(0, used);
      continue;
    }
    if (ec) return InvalidArgument("bad HTTP request: " + ec.message());
    buf.erase(0, used);
  }
  if (!buf.empty()) conn.Unread(std::move(buf));
  return parser.release();
}

Status WriteResponse(Connection& conn, int code, const char* reason,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::string& body) {
  std::string out = "HTTP/1.1 " + std::to_string(code) + " " + reason + "\r\n";
  for (const auto& [k, v] : headers) out += k + ": " + v + "\r\n";
  if (code != 101) {
    out += "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n";
  }
  out += "\r\n" + body;
  return conn.WriteAll(out.data(), out.size());
}

std::vector<std::string_view> HeaderValues(const UpgradeRequest& req, std::string_view name) {
  std::vector<std::string_view> out;
  auto [first, last] = req.equal_range(boost::beast::string_view(name.data(), name.size()));
  for (auto it = first; it != last; ++it) out.emplace_back(it->value().data(), it->value().size());
  return out;
}

bool HeaderHasToken(const UpgradeRequest& req, std::string_view name, std::string_view token) {
  for (const std::string& v : SplitProtocolList(HeaderValues(req, name))) {
    if (boost::iequals(v, token)) return true;
  }
  return false;
}

std::string JoinComma(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The host part of URLs: a wildcard listen address is reached on loopback.
std::string UrlHost(const asio::ip::address& a) {
  if (a.is_unspecified()) return a.is_v6() ? "[::1]" : "127.0.0.1";
  if (a.is_v6()) return "[" + a.to_string() + "]";
  return a.to_string();
}

}  // namespace

StreamServer::StreamServer(ServerOptions options, Handlers handlers)
    : options_(std::move(options)),
      handlers_(std::move(handlers)),
      tokens_(options_.tokens),
      acceptor_(io_) {}

StreamServer::~StreamServer() {
  Stop();
}

Status StreamServer::Start() {
  std::string what =
      "streaming server on " + options_.address + ":" + std::to_string(options_.port);
  error_code ec;
  asio::ip::address addr = asio::ip::make_address(options_.address, ec);
  if (ec) return InvalidArgument(what + ": not an IP address");
  if (!options_.tls_cert_file.empty()) {
    BERTH_ASSIGN_OR_RETURN(tls_,
                           LoadTlsContext(what, options_.tls_cert_file, options_.tls_key_file));
  }
  tcp::endpoint ep(addr, static_cast<uint16_t>(options_.port));
  if (acceptor_.open(ep.protocol(), ec) ||
      acceptor_.set_option(tcp::acceptor::reuse_address(true), ec) || acceptor_.bind(ep, ec) ||
      acceptor_.listen(asio::socket_base::max_listen_connections, ec)) {
    return Unavailable(what + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  url_base_ = std::string(tls_ ? "https" : "http") + "://" + UrlHost(addr) + ":" +
              std::to_string(port_) + "/";
  {
    std::lock_guard lock(mu_);
    started_ = true;
  }
  AcceptNext();
  for (int i = 0; i < 2; ++i) {
    io_threads_.emplace_back([this] {
      // Unguarded, run() returns as soon as no operation is pending, as when
      // Stop has closed the acceptor while a connection is between two
      // reads: what connections post after that would never run, and Stop
      // would wait for them forever. Stop ends the loop with io_.stop().
      auto work = asio::make_work_guard(io_);
      io_.run();
    });
  }
  janitor_ = std::thread([this] { JanitorLoop(); });
  spdlog::info("streaming server listening on {}", url_base_);
  return OkStatus();
}

void StreamServer::Stop() {
  {
    std::unique_lock lock(mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
    changed_.notify_all();
  }
  std::promise<void> closed;
  asio::post(io_, [&] {
    error_code ignored;
    acceptor_.close(ignored);
    closed.set_value();
  });
  closed.get_future().wait();
  {
    std::unique_lock lock(mu_);
    for (const auto& c : connections_) c->Close();
    // Each connection thread removes itself once its handlers have ended.
    changed_.wait(lock, [&] { return connections_.empty(); });
  }
  janitor_.join();
  io_.stop();
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
}

size_t StreamServer::ActiveConnections() {
  std::lock_guard lock(mu_);
  return connections_.size();
}

Result<std::string> StreamServer::NewUrl(StreamRequest request) {
  const char* path = KindPath(request.kind);
  BERTH_ASSIGN_OR_RETURN(std::string token, tokens_.Issue(std::move(request)));
  return url_base_ + path + "/" + token;
}

void StreamServer::AcceptNext() {
  acceptor_.async_accept(asio::make_strand(io_), [this](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      // Each frame goes out in one write, so Nagle's algorithm gains nothing
      // and holds back the second of two small frames (two SYN_REPLYs of a
      // port-forward pair, say) for the client's delayed ACK, up to 40 ms.
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto conn = std::make_shared<Connection>(io_, std::move(socket), tls_.get());
      conn->SetDeadline(Connection::Clock::now() + options_.handshake_timeout);
      std::unique_lock lock(mu_);
      if (stopping_ || connections_.size() >= options_.max_connections) {
        spdlog::warn("streaming: refusing connection from {}: {}", conn->peer(),
                     stopping_ ? "shutting down" : "too many connections");
        conn->Close();
      } else {
        connections_.insert(conn);
        std::thread([this, conn] { Serve(conn); }).detach();
      }
    } else {
      spdlog::warn("streaming: accept failed: {}", ec.message());
    }
    AcceptNext();
  });
}

void StreamServer::JanitorLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // Deadlines are coarse (handshake 30 s, idle hours): a 1 s tick is plenty.
    changed_.wait_for(lock, std::chrono::seconds(1));
    auto now = Connection::Clock::now();
    for (const auto& c : connections_) {
      if (!c->closed() && c->Expired(now)) {
        spdlog::info("streaming: closing {}: deadline passed", c->peer());
        c->Close();
      }
    }
  }
}

void StreamServer::Serve(std::shared_ptr<Connection> conn) {
  ServeUpgraded(conn);
  conn->Close();
  std::unique_lock lock(mu_);
  connections_.erase(conn);
  conn.reset();
  // Stop() may destroy the server once the set is empty: the notification
  // goes out only when this thread has finished touching it.
  std::notify_all_at_thread_exit(changed_, std::move(lock));
}

void StreamServer::ServeUpgraded(std::shared_ptr<Connection> conn) {
  if (Status s = conn->Handshake(); !s.ok()) {
    spdlog::info("streaming: {}", s.message());
    return;
  }
  Result<UpgradeRequest> req = ReadRequest(*conn);
  if (!req.ok()) {
    if (req.status().code() == Code::kInvalidArgument) {
      (void)WriteResponse(*conn, 400, "Bad Request", {}, req.status().message() + "\n");
    }
    return;
  }
  // /<kind>/<token>
  std::string target(req->target());
  if (size_t q = target.find('?'); q != std::string::npos) target.resize(q);
  std::optional<StreamRequest> request;
  size_t slash = target.find('/', 1);
  if (target.size() > 1 && target[0] == '/' && slash != std::string::npos) {
    std::string kind = target.substr(1, slash - 1);
    request = tokens_.Take(target.substr(slash + 1));
    if (request && kind != KindPath(request->kind)) request.reset();
  }
  if (!request) {
    spdlog::info("streaming: {} asked for {}: unknown, expired or used token", conn->peer(),
                 target.substr(0, target.find('/', 1)));
    (void)WriteResponse(*conn, 404, "Not Found", {}, "unknown, expired or used stream token\n");
    return;
  }

  const bool port_forward = request->kind == StreamKind::kPortForward;
  if (HeaderHasToken(*req, "Upgrade", "SPDY/3.1")) {
    const auto& supported =
        port_forward ? SpdyPortForwardProtocols() : SpdyRemoteCommandProtocols();
    std::vector<std::string> offered =
        SplitProtocolList(HeaderValues(*req, "X-Stream-Protocol-Version"));
    std::optional<std::string> chosen = Negotiate(offered, supported);
    if (!chosen) {
      std::vector<std::pair<std::string, std::string>> accepted;
      for (const std::string& p : supported)
        accepted.emplace_back("X-Accepted-Stream-Protocol-Versions", p);
      (void)WriteResponse(*conn, 403, "Forbidden", accepted,
                          "unable to upgrade: no common stream protocol: client offers [" +
                              JoinComma(offered) + "], server accepts [" + JoinComma(supported) +
                              "]\n");
      return;
    }
    if (!WriteResponse(*conn, 101, "Switching Protocols",
                       {{"Connection", "Upgrade"},
                        {"Upgrade", "SPDY/3.1"},
                        {"X-Stream-Protocol-Version", *chosen}},
                       "")
             .ok()) {
      return;
    }
    conn->SetIdleTimeout(options_.idle_timeout);
    spdlog::debug("streaming: {} {} for {} over SPDY ({})", conn->peer(), KindPath(request->kind),
                  port_forward ? request->sandbox_id : request->container_id, *chosen);
    if (port_forward) {
      ServeSpdyPortForward(conn, *request, handlers_);
    } else {
      ServeSpdyRemoteCommand(conn, *request, RemoteCommandVersion(*chosen), handlers_);
    }
    return;
  }
  if (HeaderHasToken(*req, "Upgrade", "websocket")) {
    const auto& supported =
        port_forward ? WebSocketPortForwardProtocols() : WebSocketRemoteCommandProtocols();
    std::vector<std::string> offered =
        SplitProtocolList(HeaderValues(*req, "Sec-WebSocket-Protocol"));
    std::optional<std::string> chosen = Negotiate(offered, supported);
    // No sub-protocol at all is the original binary channel protocol.
    if (!chosen && offered.empty()) chosen = "";
    if (!chosen) {
      (void)WriteResponse(*conn, 403, "Forbidden", {},
                          "unable to upgrade: no common WebSocket protocol: client offers [" +
                              JoinComma(offered) + "], server accepts [" + JoinComma(supported) +
                              "]\n");
      return;
    }
    conn->SetIdleTimeout(options_.idle_timeout);
    spdlog::debug("streaming: {} {} for {} over WebSocket ({})", conn->peer(),
                  KindPath(request->kind),
                  port_forward ? request->sandbox_id : request->container_id,
                  chosen->empty() ? "channel.k8s.io" : *chosen);
    ServeWebSocket(conn, *req, *request, *chosen, handlers_);
    return;
  }
  (void)WriteResponse(*conn, 400, "Bad Request", {},
                      "this endpoint needs an upgrade to SPDY/3.1 or WebSocket\n");
}

}  // namespace berth::streaming
