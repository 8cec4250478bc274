// Internal to Connection: a blocking read or write done as an Asio async
// operation on the connection's strand, for streams that must see one
// operation at a time from there (TLS; on Windows plain TCP too). The caller
// blocks until the operation completes; `keep_alive` holds the connection
// until it has.
#pragma once

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>
#include <future>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::streaming::strand_io {

template <typename Strand, typename Stream>
std::pair<boost::system::error_code, size_t> ReadSome(Strand& strand, Stream& stream, void* buf,
                                                      size_t len,
                                                      std::shared_ptr<void> keep_alive) {
  std::promise<std::pair<boost::system::error_code, size_t>> done;
  boost::asio::post(strand, [&, keep_alive] {
    auto on_read =
        boost::asio::bind_executor(strand, [&](const boost::system::error_code& ec, size_t n) {
          done.set_value({ec, n});
        });
    stream.async_read_some(boost::asio::buffer(buf, len), on_read);
  });
  return done.get_future().get();
}

template <typename Strand, typename Stream>
boost::system::error_code Write(Strand& strand, Stream& stream,
                                std::span<const std::string_view> parts,
                                std::shared_ptr<void> keep_alive) {
  std::vector<boost::asio::const_buffer> buffers;
  for (std::string_view p : parts) buffers.emplace_back(p.data(), p.size());
  std::promise<boost::system::error_code> done;
  boost::asio::post(strand, [&, keep_alive] {
    boost::asio::async_write(
        stream, buffers,
        boost::asio::bind_executor(
            strand, [&](const boost::system::error_code& ec, size_t) { done.set_value(ec); }));
  });
  return done.get_future().get();
}

}  // namespace berth::streaming::strand_io
