#include "test/integration/harness/wait_for.h"

#include <thread>

namespace berth::testing {

bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling, not synchronization
  }
  return true;
}

}  // namespace berth::testing
