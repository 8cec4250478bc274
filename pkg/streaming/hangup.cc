#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "pkg/streaming/channels.h"

namespace berth::streaming {

Hangup::Hangup() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

void Hangup::Signal() {
  uint64_t one = 1;
  // Cannot fail short of a counter overflow, which 2^64 signals would take.
  (void)!write(fd_.get(), &one, sizeof one);
}

bool Hangup::signalled() const {
  pollfd p{fd_.get(), POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

}  // namespace berth::streaming
