// A Transport over a connected Boost.Asio stream used with blocking calls:
// ip::tcp::socket, local::stream_protocol::socket, or anything else with
// read_some/write_some and a lowest_layer() socket.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>
#include <string>
#include <utility>
#include <vector>

#include "pkg/streaming/socket.h"
#include "pkg/streaming/spdy_transport.h"

namespace berth::streaming::spdy {

// For a plain socket, concurrent read_some and write_some are each a single
// recv/send on the descriptor, which is what the Transport contract needs.
// An ssl::stream is not safe that way (see spdy_transport.h): wrap it in a
// transport that serialises access instead of using this one as it is.
template <typename SyncStream>
class AsioTransport final : public Transport {
 public:
  explicit AsioTransport(SyncStream stream) : stream_(std::move(stream)) {}

  Result<size_t> ReadSome(void* buf, size_t len) override {
    boost::system::error_code ec;
    const size_t n = stream_.read_some(boost::asio::buffer(buf, len), ec);
    if (ec == boost::asio::error::eof) return size_t{0};
    if (ec) return Unavailable("spdy transport read: " + ec.message());
    return n;
  }

  Status WriteAll(const void* data, size_t len) override {
    boost::system::error_code ec;
    boost::asio::write(stream_, boost::asio::const_buffer(data, len), ec);
    if (ec) return Unavailable("spdy transport write: " + ec.message());
    return OkStatus();
  }

  Status WriteParts(std::span<const std::string_view> parts) override {
    std::vector<boost::asio::const_buffer> buffers;
    buffers.reserve(parts.size());
    for (std::string_view p : parts) buffers.emplace_back(p.data(), p.size());
    boost::system::error_code ec;
    boost::asio::write(stream_, buffers, ec);
    if (ec) return Unavailable("spdy transport write: " + ec.message());
    return OkStatus();
  }

  void Close() override {
    // shutdown(2) on the descriptor, not the socket object's shutdown(): it
    // is safe while another thread is blocked in recv/send on it and wakes
    // that thread; the descriptor itself stays open until destruction.
    ShutdownSocket(stream_.lowest_layer().native_handle(), ShutdownHow::kBoth);
  }

  SyncStream& stream() { return stream_; }

 private:
  SyncStream stream_;
};

}  // namespace berth::streaming::spdy
