#include "pkg/streaming/port_forward_copy.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace berth::streaming {

namespace {

using Clock = std::chrono::steady_clock;

// Bytes one read takes from either side: a whole frame's worth, so a bulk
// transfer costs one socket call per frame.
constexpr size_t kCopyChunk = 64 * 1024;

// The client-to-pod direction's progress, watched by the linger.
struct Upstream {
  std::mutex mu;
  std::condition_variable changed;
  bool done = false;                      // guarded by mu
  bool finished = false;                  // ended at the client's end of stream; mu
  Clock::time_point last = Clock::now();  // last bytes passed on; mu
};

}  // namespace

ForwardEnd ForwardConnection(NativeSocket fd, ByteReader& from_client,
                             const std::function<Status(std::string_view)>& to_client,
                             const std::function<void()>& end_to_client,
                             std::chrono::milliseconds linger) {
  Upstream up;
  std::thread upstream([&] {
    auto buf = std::make_unique<char[]>(kCopyChunk);
    bool finished = false;
    while (true) {
      Result<size_t> n = from_client.Read(buf.get(), kCopyChunk);
      if (!n.ok()) break;
      if (*n == 0) {
        finished = true;
        break;
      }
      if (!SendAll(fd, buf.get(), *n)) break;
      std::lock_guard l(up.mu);
      up.last = Clock::now();
    }
    // A clean end is a half-close the pod can answer; anything else ends the
    // socket both ways, which also wakes the other direction.
    ShutdownSocket(fd, finished ? ShutdownHow::kWrite : ShutdownHow::kBoth);
    std::lock_guard l(up.mu);
    up.done = true;
    up.finished = finished;
    up.changed.notify_all();
  });

  auto buf = std::make_unique<char[]>(kCopyChunk);
  while (true) {
    long n = ReceiveSome(fd, buf.get(), kCopyChunk);
    if (n <= 0 || !to_client(std::string_view(buf.get(), static_cast<size_t>(n))).ok()) break;
  }
  if (end_to_client) end_to_client();

  ForwardEnd end;
  {
    std::unique_lock l(up.mu);
    const Clock::time_point pod_ended = Clock::now();
    // Quiet means no bytes for `linger` since the pod's end or the last
    // bytes after it, whichever is later: a client still sending goes on.
    while (!up.done) {
      const Clock::time_point deadline = std::max(pod_ended, up.last) + linger;
      if (Clock::now() >= deadline) break;
      up.changed.wait_until(l, deadline);
    }
    end.client_finished = up.finished;
  }
  if (!end.client_finished) {
    from_client.Cancel();
    ShutdownSocket(fd, ShutdownHow::kBoth);  // wakes a send blocked on a pod that does not read
  }
  upstream.join();
  return end;
}

}  // namespace berth::streaming
