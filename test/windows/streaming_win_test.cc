// pkg/streaming on Winsock under Wine: the hang-up signal WSAPoll waits on,
// the server refusing TLS (Linux-only), and a real StreamServer on
// 127.0.0.1 forwarding a SPDY port-forward to a loopback listener and back.
#include <gtest/gtest.h>
#include <winsock2.h>
#include <ws2tcpip.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
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

TEST(StreamServerWindows, ForwardsAPortOverSpdyOnLoopback) {
  // The "pod": a loopback listener that answers what it reads in upper case
  // once the client has finished sending, then ends its side.
  asio::io_context io;
  tcp::acceptor pod(io, {asio::ip::make_address("127.0.0.1"), 0});
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

  Handlers handlers;
  handlers.dial = [](const StreamRequest&, uint16_t port) { return DialLoopback(port); };
  StreamServer server(ServerOptions{}, handlers);
  ASSERT_TRUE(server.Start().ok());
  tcp::socket client = UpgradeToSpdy(io, server, PortForwardRequest(pod_port));

  spdy::Session session(std::make_unique<spdy::AsioTransport<tcp::socket>>(std::move(client)),
                        spdy::Role::kClient);
  std::thread run([&] { (void)session.Run(); });
  const std::string port_text = std::to_string(pod_port);
  auto error =
      session.OpenStream({{"streamtype", "error"}, {"port", port_text}, {"requestid", "1"}});
  ASSERT_TRUE(error.ok()) << error.status().ToString();
  auto data = session.OpenStream({{"streamtype", "data"}, {"port", port_text}, {"requestid", "1"}});
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  ASSERT_TRUE((*data)->Write("through winsock").ok());
  ASSERT_TRUE((*data)->CloseWrite().ok());

  EXPECT_EQ(ReadAll(**data), "THROUGH WINSOCK");
  EXPECT_EQ(ReadAll(**error), "");  // the port was reached: no error text

  session.Close();
  run.join();
  pod_thread.join();
  server.Stop();
  EXPECT_EQ(server.ActiveConnections(), 0u);
}

TEST(StreamServerWindows, ReportsAnUnreachablePortOnThePairsErrorStream) {
  asio::io_context io;
  // A port nobody listens on: bound, then closed.
  uint16_t closed_port;
  {
    tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = a.local_endpoint().port();
  }
  Handlers handlers;
  handlers.dial = [](const StreamRequest&, uint16_t port) { return DialLoopback(port); };
  StreamServer server(ServerOptions{}, handlers);
  ASSERT_TRUE(server.Start().ok());
  tcp::socket client = UpgradeToSpdy(io, server, PortForwardRequest(closed_port));
  spdy::Session session(std::make_unique<spdy::AsioTransport<tcp::socket>>(std::move(client)),
                        spdy::Role::kClient);
  std::thread run([&] { (void)session.Run(); });
  const std::string port_text = std::to_string(closed_port);
  auto error =
      session.OpenStream({{"streamtype", "error"}, {"port", port_text}, {"requestid", "7"}});
  auto data = session.OpenStream({{"streamtype", "data"}, {"port", port_text}, {"requestid", "7"}});
  ASSERT_TRUE(error.ok() && data.ok());
  EXPECT_NE(ReadAll(**error).find("connect to port " + port_text), std::string::npos);

  session.Close();
  run.join();
  server.Stop();
}

}  // namespace
}  // namespace berth::streaming
