// Exec and port-forward over WebSocket against a real StreamServer with fake
// handlers: the channel protocols (binary v4/v5, base64), v5's stdin close
// signal, the status on the error channel, and port-forward's port-prefixed
// channels.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "pkg/streaming/socket.h"
#include "pkg/streaming/stream_server.h"
#include "test/unit/streaming/socket_pair.h"

namespace berth::streaming {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using ::testing::HasSubstr;

// A server whose exec handler echoes stdin to stdout, writes "E" to stderr,
// and exits with the code named by the first stdin byte ('0'..'9').
class WebSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Handlers h;
    h.exec = [this](const StreamRequest&, ExecIo& io) -> ExecOutcome {
      std::string seen;
      char buf[4096];
      while (io.stdin != nullptr) {
        Result<size_t> n = io.stdin->Read(buf, sizeof buf);
        if (!n.ok() || *n == 0) break;
        seen.append(buf, *n);
        if (io.stdout != nullptr) (void)io.stdout->Write(std::string_view(buf, *n));
      }
      if (io.stderr != nullptr) (void)io.stderr->Write("E");
      stdin_ended_cleanly_ = io.stdin != nullptr;
      int code = seen.empty() ? 0 : seen[0] - '0';
      return {OkStatus(), code};
    };
    h.dial = [](const StreamRequest&, uint16_t port) -> Result<OwnedSocket> {
      if (port == 81) return Unavailable("connect 127.0.0.1:81: connection refused");
      OwnedSocket ours, peer;
      BERTH_RETURN_IF_ERROR(testing::MakeSocketPair(ours, peer));
      if (port == 82) {  // a server that greets and closes without reading
        (void)SendAll(peer.get(), "bye", 3);
        return ours;
      }
      // An echo peer on the other end of the pair.
      std::thread([peer = std::move(peer)] {
        char buf[4096];
        long n;
        while ((n = ReceiveSome(peer.get(), buf, sizeof buf)) > 0) {
          (void)SendAll(peer.get(), buf, static_cast<size_t>(n));
        }
      }).detach();
      return ours;
    };
    server_ = std::make_unique<StreamServer>(ServerOptions{}, std::move(h));
    ASSERT_TRUE(server_->Start().ok());
  }

  // Connects to a new URL for `req` and upgrades with `protocols`.
  std::unique_ptr<websocket::stream<asio::ip::tcp::socket>> Connect(const StreamRequest& req,
                                                                    const std::string& protocols,
                                                                    const std::string& query = "") {
    Result<std::string> url = server_->NewUrl(req);
    EXPECT_TRUE(url.ok());
    std::string path = url->substr(url->find('/', 8)) + query;
    auto ws = std::make_unique<websocket::stream<asio::ip::tcp::socket>>(io_);
    ws->next_layer().connect({asio::ip::make_address("127.0.0.1"), server_->port()});
    ws->set_option(websocket::stream_base::decorator([protocols](websocket::request_type& r) {
      if (!protocols.empty()) r.set(beast::http::field::sec_websocket_protocol, protocols);
    }));
    websocket::response_type res;
    ws->handshake(res, "127.0.0.1", path);
    negotiated_ = std::string(res[beast::http::field::sec_websocket_protocol]);
    return ws;
  }

  // Reads messages until the server closes; returns bytes per channel.
  static std::map<int, std::string> ReadAll(websocket::stream<asio::ip::tcp::socket>& ws,
                                            bool base64 = false) {
    std::map<int, std::string> by_channel;
    while (true) {
      beast::flat_buffer buf;
      beast::error_code ec;
      ws.read(buf, ec);
      if (ec) break;
      std::string msg = beast::buffers_to_string(buf.data());
      if (msg.empty()) continue;
      int ch = base64 ? msg[0] - '0' : static_cast<uint8_t>(msg[0]);
      by_channel[ch] += msg.substr(1);
    }
    return by_channel;
  }

  static StreamRequest ExecRequest() {
    StreamRequest r;
    r.kind = StreamKind::kExec;
    r.container_id = "c1";
    r.cmd = {"cat"};
    r.stdin = r.stdout = r.stderr = true;
    return r;
  }

  asio::io_context io_;
  std::unique_ptr<StreamServer> server_;
  std::string negotiated_;
  std::atomic<bool> stdin_ended_cleanly_{false};
};

TEST_F(WebSocketTest, V5ExecEchoesStdinAndReportsTheExitCodeAfterTheCloseSignal) {
  auto ws = Connect(ExecRequest(), "v5.channel.k8s.io, v4.channel.k8s.io");
  EXPECT_EQ(negotiated_, "v5.channel.k8s.io");
  ws->binary(true);
  ws->write(
      asio::buffer(std::string("\x00"
                               "3hello",
                               7)));
  // v5: "no more stdin" is [255, 0].
  ws->write(asio::buffer(std::string("\xff\x00", 2)));
  auto got = ReadAll(*ws);
  EXPECT_EQ(got[1], "3hello");
  EXPECT_EQ(got[2], "E");
  nlohmann::json status = nlohmann::json::parse(got[3]);
  EXPECT_EQ(status["status"], "Failure");
  EXPECT_EQ(status["reason"], "NonZeroExitCode");
  EXPECT_EQ(status["details"]["causes"][0]["message"], "3");
}

TEST_F(WebSocketTest, V4ExecSuccessIsAStatusOnTheErrorChannel) {
  StreamRequest req = ExecRequest();
  req.stdin = false;
  auto ws = Connect(req, "v4.channel.k8s.io");
  EXPECT_EQ(negotiated_, "v4.channel.k8s.io");
  auto got = ReadAll(*ws);
  EXPECT_EQ(got[2], "E");
  EXPECT_EQ(nlohmann::json::parse(got[3])["status"], "Success");
}

TEST_F(WebSocketTest, Base64ProtocolCarriesChannelDigitsAndBase64Data) {
  StreamRequest req = ExecRequest();
  req.stdin = false;
  auto ws = Connect(req, "base64.channel.k8s.io");
  EXPECT_EQ(negotiated_, "base64.channel.k8s.io");
  auto got = ReadAll(*ws, /*base64=*/true);
  EXPECT_EQ(got[2], "RQ==");  // "E"
}

TEST_F(WebSocketTest, NoCommonProtocolIsRefusedAndNothingRuns) {
  Result<std::string> url = server_->NewUrl(ExecRequest());
  ASSERT_TRUE(url.ok());
  asio::ip::tcp::socket sock(io_);
  sock.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
  std::string req = "GET " + url->substr(url->find('/', 8)) +
                    " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Protocol: v9.channel.k8s.io\r\n\r\n";
  asio::write(sock, asio::buffer(req));
  std::string response;
  beast::error_code ec;
  char buf[1024];
  while (size_t n = sock.read_some(asio::buffer(buf), ec)) response.append(buf, n);
  EXPECT_THAT(response, ::testing::StartsWith("HTTP/1.1 403"));
  EXPECT_THAT(response, HasSubstr("v5.channel.k8s.io"));
  EXPECT_FALSE(stdin_ended_cleanly_);
}

TEST_F(WebSocketTest, PortForwardChannelsOpenWithThePortAndCarryDataBothWays) {
  StreamRequest req;
  req.kind = StreamKind::kPortForward;
  req.sandbox_id = "p1";
  auto ws = Connect(req, "v4.channel.k8s.io", "?ports=8080,81");
  ws->binary(true);
  // Each of the four channels opens with its port, little-endian.
  std::map<int, std::string> first;
  for (int i = 0; i < 4; ++i) {
    beast::flat_buffer buf;
    ws->read(buf);
    std::string msg = beast::buffers_to_string(buf.data());
    ASSERT_GE(msg.size(), 3u);
    first[static_cast<uint8_t>(msg[0])] = msg.substr(1, 2);
  }
  EXPECT_EQ(first[0], std::string("\x90\x1f", 2));  // 8080
  EXPECT_EQ(first[1], std::string("\x90\x1f", 2));
  EXPECT_EQ(first[2], std::string("\x51\x00", 2));  // 81
  // Port 81 cannot be reached: its error channel says so.
  beast::flat_buffer err;
  ws->read(err);
  std::string err_msg = beast::buffers_to_string(err.data());
  EXPECT_EQ(err_msg[0], 3);
  EXPECT_THAT(err_msg, HasSubstr("connection refused"));
  // Port 8080 echoes.
  ws->write(asio::buffer(std::string("\x00ping", 5)));
  beast::flat_buffer echo;
  ws->read(echo);
  EXPECT_EQ(beast::buffers_to_string(echo.data()), std::string("\x00ping", 5));
  ws->close(websocket::close_code::normal);
}

// The pod closing its connection ends a one-port session: v4 has no way to
// end a single channel, so the WebSocket's close carries the end (as the
// kubelet's does), without the client closing anything first.
TEST_F(WebSocketTest, PortForwardSessionClosesWhenThePodClosesItsOnlyConnection) {
  StreamRequest req;
  req.kind = StreamKind::kPortForward;
  req.sandbox_id = "p1";
  auto ws = Connect(req, "v4.channel.k8s.io", "?ports=82");
  ws->binary(true);
  // A stuck read fails the test instead of hanging it.
  ASSERT_TRUE(
      testing::SetReceiveTimeout(ws->next_layer().native_handle(), std::chrono::seconds(20)).ok());
  std::map<int, std::string> by_channel;
  beast::error_code ec;
  while (true) {
    beast::flat_buffer buf;
    ws->read(buf, ec);
    if (ec) break;
    std::string msg = beast::buffers_to_string(buf.data());
    if (!msg.empty()) by_channel[static_cast<uint8_t>(msg[0])] += msg.substr(1);
  }
  EXPECT_EQ(ec, websocket::error::closed) << ec.message();
  EXPECT_EQ(by_channel[0], std::string("\x52\x00", 2) + "bye");  // port 82, then the data
  EXPECT_EQ(by_channel[1], std::string("\x52\x00", 2));          // no error
}

}  // namespace
}  // namespace berth::streaming
