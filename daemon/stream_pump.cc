#include "daemon/stream_pump.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace berth::daemon {

ReaderThread::ReaderThread(streaming::ByteReader* reader, Body body) : reader_(reader) {
  if (reader_ == nullptr) return;
  int stop_fd = stop_.fd();
  thread_ = std::thread([reader, stop_fd, body = std::move(body)] { body(*reader, stop_fd); });
}

ReaderThread::~ReaderThread() {
  if (!thread_.joinable()) return;
  reader_->Cancel();
  stop_.Signal();
  thread_.join();
}

bool WriteAllToFd(int fd, const char* data, size_t len, int stop_fd) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p[2] = {{fd, POLLOUT, 0}, {stop_fd, POLLIN, 0}};
        if (poll(p, stop_fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR) return false;
        if (p[1].revents != 0) return false;
        continue;
      }
      return false;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

void CopyClientToFd(streaming::ByteReader& from, int fd, int stop_fd,
                    const std::function<void()>& on_eof) {
  char buf[32 * 1024];
  while (true) {
    Result<size_t> n = from.Read(buf, sizeof buf);
    if (!n.ok()) return;
    if (*n == 0) {
      if (on_eof) on_eof();
      return;
    }
    if (!WriteAllToFd(fd, buf, *n, stop_fd)) return;
  }
}

}  // namespace berth::daemon
