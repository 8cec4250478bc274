#include "daemon/stream_pump.h"

namespace berth::daemon {

ReaderThread::ReaderThread(streaming::ByteReader* reader, Body body) : reader_(reader) {
  if (reader_ == nullptr) return;
  PumpFd stop_fd = stop_.fd();
  thread_ = std::thread([reader, stop_fd, body = std::move(body)] { body(*reader, stop_fd); });
}

ReaderThread::~ReaderThread() {
  if (!thread_.joinable()) return;
  reader_->Cancel();
  stop_.Signal();
  thread_.join();
}

void CopyClientToFd(streaming::ByteReader& from, PumpFd fd, PumpFd stop_fd,
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
