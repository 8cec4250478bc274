// StreamServer: the HTTP endpoint behind Exec, Attach and PortForward URLs.
//
// A CRI call validates its request and asks NewUrl for a single-use URL
// (http(s)://host:port/{exec,attach,portforward}/<token>). The client comes
// back with an HTTP/1.1 upgrade request to it: SPDY/3.1 (the kubelet, crictl)
// or WebSocket. An unknown, expired or used token gets 404 and nothing runs;
// a client that offers no protocol version we speak gets 403 naming ours.
//
// Threads: Asio runs accepts and every socket operation on a small pool; each
// connection gets a thread of its own for its frame loop, and the protocol
// layer a thread per handler, so a blocked client only ever blocks itself.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/streaming/channels.h"
#include "pkg/streaming/tls.h"
#include "pkg/streaming/token_store.h"

namespace berth::streaming {

class Connection;

struct ServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;               // 0 = any free port
  std::string tls_cert_file;  // both set: TLS (Linux-only: tls.h)
  std::string tls_key_file;
  std::chrono::milliseconds idle_timeout{std::chrono::hours(4)};  // 0 = none
  // How long a client may take from connecting to a complete upgrade request.
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(30)};
  // Connections beyond this are refused (closed at once).
  size_t max_connections = 4096;
  TokenStore::Options tokens;
};

class StreamServer {
 public:
  StreamServer(ServerOptions options, Handlers handlers);
  ~StreamServer();
  StreamServer(const StreamServer&) = delete;
  StreamServer& operator=(const StreamServer&) = delete;

  // Binds and starts serving. Errors name the address.
  Status Start();
  // Closes the listener and every session (their handlers see a hang-up),
  // and returns once every connection thread has ended. Idempotent.
  void Stop();

  // A single-use URL for `request`; ResourceExhausted when too many are
  // outstanding.
  Result<std::string> NewUrl(StreamRequest request);

  uint16_t port() const { return port_; }
  // Connections being served right now (tests watch it drain).
  size_t ActiveConnections();

 private:
  void AcceptNext();
  void Serve(std::shared_ptr<Connection> conn);
  void ServeUpgraded(std::shared_ptr<Connection> conn);
  void JanitorLoop();

  const ServerOptions options_;
  const Handlers handlers_;
  TokenStore tokens_;
  boost::asio::io_context io_;
  std::shared_ptr<TlsContext> tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::thread> io_threads_;
  std::thread janitor_;
  std::string url_base_;
  uint16_t port_ = 0;

  std::mutex mu_;
  std::condition_variable changed_;
  std::set<std::shared_ptr<Connection>> connections_;  // guarded by mu_
  bool stopping_ = false;                              // guarded by mu_
  bool started_ = false;                               // guarded by mu_
};

}  // namespace berth::streaming
