// Stopping a bench cleanly and running its calls side by side: SIGINT and
// SIGTERM only raise a flag that the bench checks between calls, so that its
// cleanup (removing every pod it made) still runs; ParallelFor spreads calls
// over threads and stops handing out work at the first failure.
#pragma once

#include <signal.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "test/bench/cri_bench_client.h"

namespace berth::bench {

inline std::atomic<bool>& InterruptFlag() {
  static std::atomic<bool> interrupted{false};
  return interrupted;
}

inline void StopOnSignals() {
  struct sigaction sa = {};
  sa.sa_handler = [](int) { InterruptFlag() = true; };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

inline void CheckNotInterrupted() {
  if (InterruptFlag()) throw BenchError{"interrupted"};
}

// Runs fn(i) for i in [0, n) on `threads` threads; the first failure is rethrown.
inline void ParallelFor(int n, int threads, const std::function<void(int)>& fn) {
  std::atomic<int> next{0};
  std::mutex mu;
  std::optional<BenchError> first;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        if (InterruptFlag()) return;
        try {
          fn(i);
        } catch (const BenchError& e) {
          std::lock_guard<std::mutex> l(mu);
          if (!first) first = e;
          next = n;  // stop handing out work
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  if (first) throw *first;
  CheckNotInterrupted();
}

}  // namespace berth::bench
