// Internal to the WebSocket layer (websocket_session.cc): one upgraded
// WebSocket connection as the session loops see it (WsLink), and its Beast
// implementation over any Asio stream (WsChannels), in a header so that the
// TLS stream's instance lives in its own file (websocket_tls.cc; the Windows
// build has no TLS, tls.h).
//
// The Beast stream is only touched on the connection's strand: the frame
// reader and every writer bridge to it with a blocking wait, one write at a
// time (Beast allows one read and one write in flight at once).
#pragma once

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "pkg/base/status.h"
#include "pkg/streaming/connection.h"
#include "pkg/streaming/websocket_upgrade.h"

namespace berth::streaming {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;

// Messages of the channel protocols: a channel byte, then its data (binary),
// or an ASCII digit, then base64 (text: "base64.channel.k8s.io").
class WsLink {
 public:
  virtual ~WsLink() = default;
  // The handshake's answer, with sub-protocol `protocol` ("" for none).
  virtual Status Accept(const UpgradeRequest& req, const std::string& protocol) = 0;
  // One message: its channel and bytes. An error when the client closed.
  virtual Result<std::pair<uint8_t, std::string>> ReadMessage() = 0;
  virtual Status Write(uint8_t channel, std::string_view data) = 0;
  // A clean close frame; a client that does not answer it within a moment
  // has the connection closed under it.
  virtual void Close() = 0;
};

std::string Base64(std::string_view in);
std::optional<std::string> Unbase64(std::string_view in);

// One upgraded WebSocket connection over `Next` (a TCP socket or a TLS
// stream, by reference: the Connection owns it).
template <typename Next>
class WsChannels final : public WsLink {
 public:
  WsChannels(std::shared_ptr<Connection> conn, Next& next, bool base64, size_t max_message)
      : conn_(std::move(conn)), ws_(next), base64_(base64) {
    ws_.binary(!base64_);
    ws_.read_message_max(max_message);
  }

  Status Accept(const UpgradeRequest& req, const std::string& protocol) override {
    ws_.set_option(websocket::stream_base::decorator([protocol](websocket::response_type& res) {
      if (!protocol.empty()) res.set(beast::http::field::sec_websocket_protocol, protocol);
    }));
    return OnStrand([&](auto done) { ws_.async_accept(req, done); });
  }

  // One message: its channel and bytes. An error when the client closed.
  Result<std::pair<uint8_t, std::string>> ReadMessage() override {
    beast::flat_buffer buf;
    BERTH_RETURN_IF_ERROR(OnStrand([&](auto done) {
      ws_.async_read(
          buf, asio::bind_executor(conn_->strand(), [done](error_code ec, size_t) { done(ec); }));
    }));
    std::string msg = beast::buffers_to_string(buf.data());
    if (msg.empty()) return std::make_pair(uint8_t{0}, std::string());  // stdin
    if (!base64_) return std::make_pair(static_cast<uint8_t>(msg[0]), msg.substr(1));
    if (msg[0] < '0' || msg[0] > '9')
      return InvalidArgument("base64 message without a channel digit");
    std::optional<std::string> data = Unbase64(std::string_view(msg).substr(1));
    if (!data) return InvalidArgument("bad base64 in a message");
    return std::make_pair(static_cast<uint8_t>(msg[0] - '0'), std::move(*data));
  }

  Status Write(uint8_t channel, std::string_view data) override {
    std::string msg;
    if (base64_) {
      msg = std::string(1, static_cast<char>('0' + channel)) + Base64(data);
    } else {
      msg.reserve(data.size() + 1);
      msg.push_back(static_cast<char>(channel));
      msg.append(data);
    }
    std::lock_guard lock(write_mu_);
    return OnStrand([&](auto done) {
      ws_.async_write(
          asio::buffer(msg),
          asio::bind_executor(conn_->strand(), [done](error_code ec, size_t) { done(ec); }));
    });
  }

  // A clean close frame; a client that does not answer it within a moment
  // has the connection closed under it.
  void Close() override {
    std::lock_guard lock(write_mu_);
    auto done = std::make_shared<std::promise<void>>();
    std::future<void> closed = done->get_future();
    asio::post(conn_->strand(), [this, done] {
      ws_.async_close(
          websocket::close_code::normal,
          asio::bind_executor(conn_->strand(), [done](error_code) { done->set_value(); }));
    });
    if (closed.wait_for(std::chrono::seconds(2)) != std::future_status::ready) conn_->Close();
    closed.wait();
  }

 private:
  // Starts an operation on the strand and waits for its completion.
  template <typename Start>
  Status OnStrand(Start start) {
    auto done = std::make_shared<std::promise<error_code>>();
    std::future<error_code> result = done->get_future();
    // The completion is bound to the strand too: composed operations (TLS,
    // WebSocket framing) run their inner steps on their handler's executor.
    asio::post(conn_->strand(), [&, done] {
      start(asio::bind_executor(conn_->strand(), [done](error_code ec) { done->set_value(ec); }));
    });
    error_code ec = result.get();
    if (ec) return Unavailable("websocket " + conn_->peer() + ": " + ec.message());
    return OkStatus();
  }

  std::shared_ptr<Connection> conn_;
  websocket::stream<Next&> ws_;
  const bool base64_;
  std::mutex write_mu_;
};

// A WsLink over the connection's TLS stream (websocket_tls.cc); Unimplemented
// in the Windows build, which has no TLS.
Result<std::unique_ptr<WsLink>> NewTlsWsLink(std::shared_ptr<Connection> conn, bool base64,
                                             size_t max_message);

}  // namespace berth::streaming
