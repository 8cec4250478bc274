// Connection over plain TCP on Linux: straight on the descriptor from the
// calling thread. A hop to the strand and back costs two thread switches per
// call, which made them most of a bulk transfer's time.
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "pkg/streaming/connection.h"

namespace berth::streaming {

namespace asio = boost::asio;
using boost::system::error_code;

// Whether Asio has the descriptor in non-blocking mode or not, a would-block
// result waits in poll; Close's shutdown wakes both.
Result<size_t> Connection::ReadSomePlain(void* buf, size_t len) {
  const int fd = socket_.native_handle();
  while (true) {
    ssize_t n = recv(fd, buf, len, 0);
    if (n > 0) {
      Touch();
      return static_cast<size_t>(n);
    }
    if (n == 0) return size_t{0};
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Unavailable("read from " + peer_ + ": " + std::strerror(errno));
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, -1) < 0 && errno != EINTR) {
      return Unavailable("read from " + peer_ + ": poll: " + std::strerror(errno));
    }
  }
}

Status Connection::WritePlain(std::span<const std::string_view> parts) {
  const int fd = socket_.native_handle();
  iovec iov[kMaxParts];
  size_t count = 0;
  for (std::string_view p : parts) {
    if (!p.empty()) iov[count++] = {const_cast<char*>(p.data()), p.size()};
  }
  iovec* next = iov;
  while (count > 0) {
    if (closed_) return Cancelled("connection closed");
    msghdr m{};
    m.msg_iov = next;
    m.msg_iovlen = count;
    ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        return Unavailable("write to " + peer_ + ": " + std::strerror(errno));
      }
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, -1) < 0 && errno != EINTR) {
        return Unavailable("write to " + peer_ + ": poll: " + std::strerror(errno));
      }
      continue;
    }
    // Skip what went out; a part may have gone partly.
    size_t done = static_cast<size_t>(n);
    while (count > 0 && done >= next->iov_len) {
      done -= next->iov_len;
      ++next;
      --count;
    }
    if (count > 0) {
      next->iov_base = static_cast<char*>(next->iov_base) + done;
      next->iov_len -= done;
    }
  }
  Touch();
  return OkStatus();
}

void Connection::ClosePlain() {
  // Plain reads and writes run on the descriptor outside the strand, so it
  // stays open (the destructor closes it) and is only shut down here: that
  // wakes them, and pending Asio operations (WebSocket) complete with an
  // error. Closing it now could let a new connection reuse the number
  // under a thread about to read.
  ::shutdown(socket_.native_handle(), SHUT_RDWR);
  auto self = shared_from_this();
  asio::post(strand_, [self] {
    error_code ignored;
    self->socket_.cancel(ignored);
  });
}

}  // namespace berth::streaming
