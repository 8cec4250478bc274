// pkg/streaming on Winsock under Wine: the hang-up signal WSAPoll waits on,
// the server refusing TLS (Linux-only), and a real StreamServer on
// 127.0.0.1 forwarding a SPDY port-forward to a loopback listener and back.
#include <gtest/gtest.h>
#include <winsock2.h>
#include <ws2tcpip.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <future>
#include <string>
#include <thread>

#include "pkg/streaming/channels.h"
#include "pkg/streaming/spdy_asio_transport.h"
#include "pkg/streaming/spdy_session.h"
#include "pkg/streaming/stream_server.h"

namespace berth::streaming {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

TEST(HangupWindows, BecomesReadableForWsaPollOnlyOnceSignalled) {
  Hangup hangup;
  ASSERT_NE(hangup.fd(), INVALID_SOCKET);
  EXPECT_FALSE(hangup.signalled());
  WSAPOLLFD p{hangup.fd(), POLLRDNORM, 0};
  EXPECT_EQ(WSAPoll(&p, 1, 0), 0);

  hangup.Signal();
  EXPECT_TRUE(hangup.signalled());
  p.revents = 0;
  EXPECT_EQ(WSAPoll(&p, 1, 0), 1);
  EXPECT_TRUE(p.revents & POLLRDNORM);
  hangup.Signal();  // a second signal changes nothing
  EXPECT_TRUE(hangup.signalled());
}

TEST(StreamServerWindows, RefusesTlsNamingWhatWouldDoIt) {
  ServerOptions options;
  options.tls_cert_file = "C:\\berth\\stream.crt";
  options.tls_key_file = "C:\\berth\\stream.key";
  StreamServer server(options, Handlers{});
  Status s = server.Start();
  EXPECT_EQ(s.code(), Code::kUnimplemented);
  EXPECT_NE(s.message().find("C:\\berth\\stream.crt"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("Linux-only"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("Schannel"), std::string::npos) << s.message();
}

// A Winsock connection to 127.0.0.1:`port`, as a daemon's dial would make.
Result<OwnedSocket> DialLoopback(uint16_t port) {
  OwnedSocket s(socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
  if (!s) return Unavailable("socket: " + std::to_string(WSAGetLastError()));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Unavailable("connect to port " + std::to_string(port) + ": " +
                       std::to_string(WSAGetLastError()));
  }
  return s;
}

// A client connection to `server` upgraded to SPDY/3.1 for port-forward
// `request`; fails the test unless the server answered 101.
tcp::socket UpgradeToSpdy(asio::io_context& io, StreamServer& server,
                          const StreamRequest& request) {
  tcp::socket client(io);
  Result<std::string> url = server.NewUrl(request);
  EXPECT_TRUE(url.ok()) << url.status().ToString();
  if (!url.ok()) return client;
  const std::string path = url->substr(url->find('/', url->find("://") + 3));
  client.connect({asio::ip::make_address("127.0.0.1"), server.port()});
  asio::write(client, asio::buffer("POST " + path +
                                   " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                                   "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: "
                                   "portforward.k8s.io\r\n\r\n"));
  // The server says nothing after its response until a stream is opened, so
  // reading up to the head's end one byte at a time takes nothing past it.
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos && client.read_some(asio::buffer(&c, 1)) == 1) {
    head.push_back(c);
  }
  EXPECT_EQ(head.rfind("HTTP/1.1 101 ", 0), 0u) << head;
  return client;
}

StreamRequest PortForwardRequest(uint16_t port) {
  StreamRequest request;
  request.kind = StreamKind::kPortForward;
  request.sandbox_id = "pod";
  request.ports = {port};
  return request;
}

std::string ReadAll(spdy::Stream& stream) {
  std::string out;
  char buf[4096];
  while (true) {
    Result<size_t> n = stream.Read(buf, sizeof buf);
    if (!n.ok() || *n == 0) return out;
    out.append(buf, *n);
  }
}

// A StreamServer on 127.0.0.1 whose dial connects on the loopback through
// Winsock, and a SPDY client session for one port-forward.
class SpdyPortForwardWindows : public ::testing::Test {
 protected:
  void SetUp() override {
    Handlers handlers;
    handlers.dial = [](const StreamRequest&, uint16_t port) { return DialLoopback(port); };
    server_ = std::make_unique<StreamServer>(ServerOptions{}, handlers);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (session_) {
      session_->Close();
      run_.join();
    }
    server_->Stop();
    EXPECT_EQ(server_->ActiveConnections(), 0u);
  }

  // Upgrades a connection for a port-forward to `port` and runs the session.
  void Connect(uint16_t port) {
    session_ =
        std::make_unique<spdy::Session>(std::make_unique<spdy::AsioTransport<tcp::socket>>(
                                            UpgradeToSpdy(io_, *server_, PortForwardRequest(port))),
                                        spdy::Role::kClient);
    run_ = std::thread([this] { (void)session_->Run(); });
  }

  // The error and data streams of one forwarded connection to `port`.
  std::pair<std::shared_ptr<spdy::Stream>, std::shared_ptr<spdy::Stream>> OpenPair(
      uint16_t port, const std::string& request_id) {
    const std::string port_text = std::to_string(port);
    auto error = session_->OpenStream(
        {{"streamtype", "error"}, {"port", port_text}, {"requestid", request_id}});
    auto data = session_->OpenStream(
        {{"streamtype", "data"}, {"port", port_text}, {"requestid", request_id}});
    EXPECT_TRUE(error.ok() && data.ok());
    if (!error.ok() || !data.ok()) return {};
    return {*error, *data};
  }

  asio::io_context io_;
  std::unique_ptr<StreamServer> server_;
  std::unique_ptr<spdy::Session> session_;
  std::thread run_;
};

TEST_F(SpdyPortForwardWindows, ForwardsAPortOnLoopbackBothWays) {
  // The "pod": a loopback listener that answers what it reads in upper case
  // once the client has finished sending, then ends its side.
  tcp::acceptor pod(io_, {asio::ip::make_address("127.0.0.1"), 0});
  const uint16_t pod_port = pod.local_endpoint().port();
  std::thread pod_thread([&] {
    tcp::socket s = pod.accept();
    std::string got;
    char buf[4096];
    boost::system::error_code ec;
    while (size_t n = s.read_some(asio::buffer(buf), ec)) got.append(buf, n);
    for (char& c : got) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    asio::write(s, asio::buffer(got), ec);
    s.shutdown(tcp::socket::shutdown_send, ec);
  });

  Connect(pod_port);
  auto [error, data] = OpenPair(pod_port, "1");
  ASSERT_TRUE(error && data);
  ASSERT_TRUE(data->Write("through winsock").ok());
  ASSERT_TRUE(data->CloseWrite().ok());

  EXPECT_EQ(ReadAll(*data), "THROUGH WINSOCK");
  EXPECT_EQ(ReadAll(*error), "");  // the port was reached: no error text
  pod_thread.join();
}

TEST_F(SpdyPortForwardWindows, ReportsAnUnreachablePortOnThePairsErrorStream) {
  // A port nobody listens on: bound, then closed.
  uint16_t closed_port;
  {
    tcp::acceptor a(io_, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = a.local_endpoint().port();
  }
  Connect(closed_port);
  auto [error, data] = OpenPair(closed_port, "7");
  ASSERT_TRUE(error && data);
  EXPECT_NE(ReadAll(*error).find("connect to port " + std::to_string(closed_port)),
            std::string::npos);
}

// The client going away while the pod is silent: the copier blocked in recv
// on the pod's socket is woken (Winsock's shutdown alone would not), so the
// session, and then the server, end.
TEST_F(SpdyPortForwardWindows, ClientLeavingWakesACopierBlockedOnASilentPod) {
  tcp::acceptor pod(io_, {asio::ip::make_address("127.0.0.1"), 0});
  const uint16_t pod_port = pod.local_endpoint().port();
  std::promise<void> got_request, release_pod;
  std::thread pod_thread([&, released = release_pod.get_future()] {
    tcp::socket s = pod.accept();
    char buf[5];
    boost::system::error_code ec;
    asio::read(s, asio::buffer(buf), ec);
    got_request.set_value();
    released.wait();  // silent, and open, until the test is done
  });

  Connect(pod_port);
  auto [error, data] = OpenPair(pod_port, "1");
  ASSERT_TRUE(error && data);
  ASSERT_TRUE(data->Write("hello").ok());
  // The copy is running once the pod has the bytes; its pod side now waits.
  ASSERT_EQ(got_request.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
  session_->Close();
  run_.join();
  session_.reset();
  // Stop returns only when the connection's thread, and so the copier, ended.
  auto stopped = std::async(std::launch::async, [&] { server_->Stop(); });
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "the copier stayed blocked on the pod's socket";
  release_pod.set_value();
  stopped.wait();
  pod_thread.join();
  EXPECT_EQ(server_->ActiveConnections(), 0u);
}

}  // namespace
}  // namespace berth::streaming
