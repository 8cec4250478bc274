// A kubelet-like test client for StreamServer: it connects over TCP or TLS,
// sends the HTTP/1.1 upgrade request, reads the response head, and runs a
// client SPDY session over the same connection to open channel streams the
// way client-go does. The daemon's side is faked with lambdas (FakeBackend),
// so nothing here needs root or a container.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "pkg/fs/atomic_file.h"
#include "pkg/streaming/spdy_asio_transport.h"
#include "pkg/streaming/spdy_session.h"
#include "pkg/streaming/stream_server.h"

namespace berth::streaming::testing {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

// Polls `pred` for a state that no event announces (the server's count of
// live connections), failing after `timeout` instead of hanging.
inline bool Eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// A "Vm...:" figure of this process (the server's, too) from
// /proc/self/status, in bytes: "VmRSS" resident, "VmSize" mapped.
inline size_t ProcStatusBytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stoull(line.substr(field.size() + 1)) * 1024;  // "... kB"
    }
  }
  ADD_FAILURE() << "no " << field << " in /proc/self/status";
  return 0;
}

// ---------------------------------------------------------------------------
// Transports for the client side.

// Blocking sockets need an io_context for their reactor but never run it;
// one for every client in the process.
inline asio::io_context& ClientIo() {
  static asio::io_context io;
  return io;
}

using TcpTransport = spdy::AsioTransport<tcp::socket>;

// Plays back bytes that came in behind the HTTP response head, then reads
// from the connection.
class PrefixedTransport final : public spdy::Transport {
 public:
  PrefixedTransport(std::unique_ptr<spdy::Transport> inner, std::string prefix)
      : inner_(std::move(inner)), prefix_(std::move(prefix)) {}
  Result<size_t> ReadSome(void* buf, size_t len) override {
    if (prefix_.empty()) return inner_->ReadSome(buf, len);
    size_t n = prefix_.copy(static_cast<char*>(buf), len);
    prefix_.erase(0, n);
    return n;
  }
  Status WriteAll(const void* data, size_t len) override { return inner_->WriteAll(data, len); }
  Status WriteParts(std::span<const std::string_view> parts) override {
    return inner_->WriteParts(parts);
  }
  void Close() override { inner_->Close(); }

 private:
  std::unique_ptr<spdy::Transport> inner_;
  std::string prefix_;  // only the reading thread touches it
};

// The client end of a TLS connection, certificate unchecked. An SSL object
// allows one operation at a time while the session reads and writes at
// once, so every operation runs as an Asio async operation on one strand
// (Asio allows one read and one write outstanding on an ssl::stream there)
// and the calling thread waits for its completion.
class TlsClientTransport final : public spdy::Transport {
 public:
  static Result<std::unique_ptr<TlsClientTransport>> Connect(uint16_t port) {
    std::unique_ptr<TlsClientTransport> t(new TlsClientTransport());
    boost::system::error_code ec;
    t->stream_.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    if (ec) return Unavailable("connect: " + ec.message());
    t->stream_.lowest_layer().set_option(tcp::no_delay(true), ec);  // as Go does
    ec = t->Run<boost::system::error_code>(
        [&](auto done) { t->stream_.async_handshake(asio::ssl::stream_base::client, done); });
    if (ec) return Unavailable("TLS handshake: " + ec.message());
    return t;
  }

  ~TlsClientTransport() override {
    Close();
    work_.reset();
    thread_.join();
  }

  Result<size_t> ReadSome(void* buf, size_t len) override {
    if (closed_) return Cancelled("closed");
    auto [ec, n] = Run<std::pair<boost::system::error_code, size_t>>([&](auto done) {
      stream_.async_read_some(asio::buffer(buf, len), [done](auto ec, size_t n) { done({ec, n}); });
    });
    // A server that just closes the socket ends the stream for us too.
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return size_t{0};
    if (ec) return Unavailable("TLS read: " + ec.message());
    return n;
  }

  Status WriteAll(const void* data, size_t len) override {
    if (closed_) return Cancelled("closed");
    auto ec = Run<boost::system::error_code>([&](auto done) {
      asio::async_write(stream_, asio::buffer(data, len), [done](auto ec, size_t) { done(ec); });
    });
    if (ec) return Unavailable("TLS write: " + ec.message());
    return OkStatus();
  }

  void Close() override {
    if (closed_.exchange(true)) return;
    // On the strand, so it never races an operation; pending ones complete
    // with operation_aborted and wake their callers.
    asio::post(strand_, [this] {
      boost::system::error_code ignored;
      stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.lowest_layer().close(ignored);
    });
  }

 private:
  TlsClientTransport()
      : work_(asio::make_work_guard(io_)), strand_(asio::make_strand(io_)), stream_(strand_, ssl_) {
    ssl_.set_verify_mode(asio::ssl::verify_none);
    thread_ = std::thread([this] { io_.run(); });
  }

  // Starts `start(done)` on the strand and waits for `done(value)`.
  template <typename T, typename Start>
  T Run(Start start) {
    std::promise<T> result;
    asio::post(strand_, [&] { start([&result](T v) { result.set_value(std::move(v)); }); });
    return result.get_future().get();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::ssl::context ssl_{asio::ssl::context::tls_client};
  asio::ssl::stream<tcp::socket> stream_;
  std::atomic<bool> closed_{false};
  std::thread thread_;
};

// A self-signed P-256 certificate for 127.0.0.1 and its key, as PEM files.
inline void WriteSelfSignedCert(const std::string& cert_path, const std::string& key_path) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  ASSERT_TRUE(key);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  ASSERT_TRUE(X509_set_version(cert.get(), 2));  // v3
  ASSERT_TRUE(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  ASSERT_TRUE(X509_set_pubkey(cert.get(), key.get()));
  X509_NAME* name = X509_get_subject_name(cert.get());
  ASSERT_TRUE(X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0));
  ASSERT_TRUE(X509_set_issuer_name(cert.get(), name));
  ASSERT_GT(X509_sign(cert.get(), key.get(), EVP_sha256()), 0);
  auto pem = [](const std::function<int(BIO*)>& write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    EXPECT_EQ(write(bio.get()), 1);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
  };
  std::string cert_pem = pem([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
  std::string key_pem = pem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  ASSERT_TRUE(WriteFileAtomic(cert_path, cert_pem).ok());
  ASSERT_TRUE(WriteFileAtomic(key_path, key_pem, 0600).ok());
}

// ---------------------------------------------------------------------------
// HTTP/1.1 upgrade.

struct HttpResponse {
  int code = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::vector<std::string> Values(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : headers) {
      if (k == name) out.push_back(v);
    }
    return out;
  }
};

// What a client needs to say to upgrade `path`: one X-Stream-Protocol-Version
// line per entry of `protocols` (an entry may list several, comma-separated).
inline std::string UpgradeRequestText(const std::string& path,
                                      const std::vector<std::string>& protocols,
                                      const std::string& upgrade = "SPDY/3.1") {
  std::string out = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  out += "Connection: Upgrade\r\nUpgrade: " + upgrade + "\r\n";
  for (const std::string& p : protocols) out += "X-Stream-Protocol-Version: " + p + "\r\n";
  return out + "\r\n";
}

// "http://127.0.0.1:1234/exec/tok" -> "/exec/tok"
inline std::string PathOf(const std::string& url) {
  size_t host = url.find("://");
  size_t slash = host == std::string::npos ? 0 : url.find('/', host + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

// One connection after the HTTP exchange. On 101 `transport` carries the
// new protocol; otherwise the response body has been read.
struct Upgraded {
  HttpResponse response;
  std::unique_ptr<spdy::Transport> transport;
};

// Sends `request` and reads the response head (and, unless it is 101, the
// body up to its Content-Length). Bytes past the head stay readable on the
// returned transport.
inline Upgraded ExchangeUpgrade(std::unique_ptr<spdy::Transport> t, const std::string& request) {
  Upgraded out;
  if (Status s = t->WriteAll(request.data(), request.size()); !s.ok()) {
    ADD_FAILURE() << "writing the request: " << s.ToString();
    return out;
  }
  std::string buf;
  size_t head_end;
  char chunk[4096];
  while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
    Result<size_t> n = t->ReadSome(chunk, sizeof chunk);
    if (!n.ok() || *n == 0) {
      ADD_FAILURE() << "connection ended inside the response head: " << buf;
      return out;
    }
    buf.append(chunk, *n);
  }
  std::string head = buf.substr(0, head_end + 2);
  buf.erase(0, head_end + 4);
  // "HTTP/1.1 101 Switching Protocols\r\n" then "Name: value\r\n" lines.
  size_t eol = head.find("\r\n");
  out.response.code = std::atoi(head.substr(head.find(' ') + 1, 3).c_str());
  for (size_t at = eol + 2; at < head.size();) {
    size_t end = head.find("\r\n", at);
    std::string line = head.substr(at, end - at);
    at = end + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    out.response.headers.emplace_back(name, line.substr(line.find_first_not_of(' ', colon + 1)));
  }
  if (out.response.code == 101) {
    out.transport = std::make_unique<PrefixedTransport>(std::move(t), std::move(buf));
    return out;
  }
  std::vector<std::string> length = out.response.Values("content-length");
  size_t want = length.empty() ? 0 : std::stoul(length[0]);
  while (buf.size() < want) {
    Result<size_t> n = t->ReadSome(chunk, sizeof chunk);
    if (!n.ok() || *n == 0) break;
    buf.append(chunk, *n);
  }
  out.response.body = buf;
  return out;
}

inline std::unique_ptr<TcpTransport> ConnectTcp(uint16_t port) {
  tcp::socket socket(ClientIo());
  boost::system::error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  EXPECT_FALSE(ec) << "connect to port " << port << ": " << ec.message();
  socket.set_option(tcp::no_delay(true), ec);  // as Go, and so the kubelet, does
  return std::make_unique<TcpTransport>(std::move(socket));
}

// Reads a connection until the server closes it: the bytes, and whether
// the end came within `timeout` (if not, the connection is closed here).
inline std::pair<std::string, bool> ReadUntilClosed(spdy::Transport& t,
                                                    std::chrono::milliseconds timeout = 20s) {
  auto reading = std::async(std::launch::async, [&t] {
    std::string out;
    char buf[4096];
    for (;;) {
      Result<size_t> n = t.ReadSome(buf, sizeof buf);
      if (!n.ok() || *n == 0) return out;
      out.append(buf, *n);
    }
  });
  const bool closed = reading.wait_for(timeout) == std::future_status::ready;
  if (!closed) t.Close();
  return {reading.get(), closed};
}

// ---------------------------------------------------------------------------
// The client's SPDY session.

// Like client-go's spdystream it sends no WINDOW_UPDATE: then a reader never
// waits for the write lock behind a writer that the server is not reading.
class ClientSession {
 public:
  explicit ClientSession(std::unique_ptr<spdy::Transport> transport)
      : session_(std::move(transport), spdy::Role::kClient, KubeletLike()),
        ended_(std::async(std::launch::async, [this] { return session_.Run(); }).share()) {}
  ~ClientSession() {
    session_.Close();
    ended_.wait();
  }

  spdy::Session& session() { return session_; }

  // Opens a stream and waits for the server's reply, as client-go does
  // before it writes.
  std::shared_ptr<spdy::Stream> Open(const spdy::HeaderBlock& headers) {
    Result<std::shared_ptr<spdy::Stream>> s = session_.OpenStream(headers);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return nullptr;
    Status replied = (*s)->WaitReply();
    EXPECT_TRUE(replied.ok()) << replied.ToString();
    return *s;
  }

  // The client goes away: its side of the connection closes.
  void Close() { session_.Close(); }

  // Waits for the session to end (the server closed the connection).
  bool EndsWithin(std::chrono::milliseconds timeout) {
    return ended_.wait_for(timeout) == std::future_status::ready;
  }

 private:
  static spdy::SessionOptions KubeletLike() {
    spdy::SessionOptions o;
    o.send_window_updates = false;
    return o;
  }

  spdy::Session session_;
  std::shared_future<Status> ended_;
};

// Reads `s` until its FIN or `limit` bytes, within `timeout`. On timeout the
// stream is reset (which wakes the reader) and the test fails instead of
// hanging.
inline Result<std::string> ReadStream(const std::shared_ptr<spdy::Stream>& s, size_t limit,
                                      std::chrono::milliseconds timeout = 20s) {
  if (!s) return InvalidArgument("no stream");
  auto reading = std::async(std::launch::async, [s, limit]() -> Result<std::string> {
    std::string out;
    char buf[16 * 1024];
    while (out.size() < limit) {
      Result<size_t> n = s->Read(buf, std::min(sizeof buf, limit - out.size()));
      if (!n.ok()) return n.status();
      if (*n == 0) break;
      out.append(buf, *n);
    }
    return out;
  });
  if (reading.wait_for(timeout) != std::future_status::ready) {
    (void)s->Reset();
    ADD_FAILURE() << "stream " << s->id() << " gave no end within " << timeout.count() << " ms";
  }
  return reading.get();
}

inline Result<std::string> ReadToEnd(const std::shared_ptr<spdy::Stream>& s,
                                     std::chrono::milliseconds timeout = 20s) {
  return ReadStream(s, SIZE_MAX, timeout);
}

// The channels of one exec or attach, opened in client-go's order.
struct ExecStreams {
  std::shared_ptr<spdy::Stream> error, in, out, err, resize;
};

inline ExecStreams OpenExecStreams(ClientSession& c, bool in, bool out, bool err,
                                   bool resize = false) {
  ExecStreams s;
  s.error = c.Open({{"streamType", "error"}});
  if (in) s.in = c.Open({{"streamType", "stdin"}});
  if (out) s.out = c.Open({{"streamType", "stdout"}});
  if (err) s.err = c.Open({{"streamType", "stderr"}});
  if (resize) s.resize = c.Open({{"streamType", "resize"}});
  return s;
}

// ---------------------------------------------------------------------------
// The server and the daemon's side of it.

// What the daemon would plug in: each test says what exec and dial do;
// calls are counted so a test can tell that nothing ran.
struct FakeBackend {
  std::function<ExecOutcome(const StreamRequest&, ExecIo&)> exec =
      [](const StreamRequest&, ExecIo&) { return ExecOutcome{}; };
  std::function<Result<ScopedFd>(const StreamRequest&, uint16_t)> dial =
      [](const StreamRequest&, uint16_t port) -> Result<ScopedFd> {
    return Unavailable("no dial in this test (port " + std::to_string(port) + ")");
  };
  std::atomic<int> exec_calls{0};
  std::atomic<int> dial_calls{0};

  Handlers handlers() {
    Handlers h;
    h.exec = [this](const StreamRequest& r, ExecIo& io) {
      ++exec_calls;
      return exec(r, io);
    };
    h.dial = [this](const StreamRequest& r, uint16_t port) {
      ++dial_calls;
      return dial(r, port);
    };
    return h;
  }
};

inline StreamRequest ExecRequest(bool in, bool out, bool err, bool tty = false) {
  StreamRequest r;
  r.kind = StreamKind::kExec;
  r.container_id = "c0ffee";
  r.cmd = {"cat"};
  r.stdin = in;
  r.stdout = out;
  r.stderr = err;
  r.tty = tty;
  return r;
}

inline StreamRequest PortForwardRequest() {
  StreamRequest r;
  r.kind = StreamKind::kPortForward;
  r.sandbox_id = "5a4db0c5";
  return r;
}

// A started server with a fake backend.
class ServerRig {
 public:
  explicit ServerRig(ServerOptions options = {}) : server_(std::move(options), backend.handlers()) {
    Status s = server_.Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

  FakeBackend backend;  // before server_: the server's handlers point into it

  StreamServer& server() { return server_; }

  std::string Url(StreamRequest r) {
    Result<std::string> url = server_.NewUrl(std::move(r));
    EXPECT_TRUE(url.ok()) << url.status().ToString();
    return url.ok() ? *url : "";
  }
  std::string Path(StreamRequest r) { return PathOf(Url(std::move(r))); }

  // Connects over TCP and sends the upgrade request.
  Upgraded Upgrade(const std::string& path, const std::vector<std::string>& protocols) {
    return ExchangeUpgrade(ConnectTcp(server_.port()), UpgradeRequestText(path, protocols));
  }

  // A session for a fresh URL for `r`, upgraded with `protocol`.
  std::unique_ptr<ClientSession> Session(StreamRequest r,
                                         const std::string& protocol = "v4.channel.k8s.io") {
    Upgraded u = Upgrade(Path(std::move(r)), {protocol});
    EXPECT_EQ(u.response.code, 101) << u.response.body;
    if (!u.transport) return nullptr;
    return std::make_unique<ClientSession>(std::move(u.transport));
  }

  bool Drained(std::chrono::milliseconds timeout = 20s) {
    return Eventually([&] { return server_.ActiveConnections() == 0; }, timeout);
  }

 private:
  StreamServer server_;
};

}  // namespace berth::streaming::testing
