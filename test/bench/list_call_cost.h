// What one List call costs the daemon, in figures that survive a shared
// machine: the daemon's CPU time per call (user + system from /proc/<pid>/stat
// over a run of the same call back to back, so other processes' load does not
// enter it) and the size of the serialized answer. The wall time the client
// sees is kept beside them for reference.
#pragma once

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test/bench/bench_util.h"
#include "test/bench/cri_bench_client.h"
#include "test/bench/parallel_for.h"

namespace berth::bench {

// utime + stime of process `pid` (all its threads, also ended ones) in
// seconds; throws BenchError when there is no such process.
inline double ProcessCpuSeconds(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: count fields
  // from the last ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) throw BenchError{"no process " + pid + " (--pid)"};
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  // Fields 3..13, then utime (14) and stime (15).
  for (int i = 3; i <= 13; ++i) fields >> field;
  unsigned long long utime = 0, stime = 0;
  fields >> utime >> stime;
  if (!fields) throw BenchError{"cannot read the CPU times of process " + pid};
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct ListCallCost {
  double daemon_cpu_ms_per_call = 0;  // 0 without a daemon pid
  double median_ms = 0, p90_ms = 0;   // as the client sees it
  size_t answer_bytes = 0;            // the serialized response of the last call
  int items = 0;                      // entries in that response
};

// Runs `calls` of `call` back to back. `call` makes one RPC and returns the
// response (it throws BenchError on failure); `items` counts its entries.
// `daemon_pid` empty: no CPU figure.
template <typename Call, typename Items>
ListCallCost MeasureListCalls(int calls, const std::string& daemon_pid, Call&& call,
                              Items&& items) {
  ListCallCost cost;
  std::vector<double> ms;
  const double cpu_before = daemon_pid.empty() ? 0 : ProcessCpuSeconds(daemon_pid);
  for (int i = 0; i < calls; ++i) {
    CheckNotInterrupted();
    const auto start = std::chrono::steady_clock::now();
    const auto resp = call();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    if (i + 1 == calls) {
      cost.answer_bytes = resp.ByteSizeLong();
      cost.items = items(resp);
    }
  }
  if (!daemon_pid.empty() && calls > 0) {
    cost.daemon_cpu_ms_per_call = (ProcessCpuSeconds(daemon_pid) - cpu_before) * 1e3 / calls;
  }
  cost.median_ms = Quantile(ms, 0.5);
  cost.p90_ms = Quantile(ms, 0.9);
  return cost;
}

// One unfiltered ListContainers / ListPodSandbox; throws BenchError on failure.
inline rt::ListContainersResponse ListAllContainers(rt::RuntimeService::Stub& runtime) {
  rt::ListContainersResponse resp;
  Check(runtime.ListContainers(Ctx().get(), {}, &resp), "ListContainers");
  return resp;
}

inline rt::ListPodSandboxResponse ListAllPodSandboxes(rt::RuntimeService::Stub& runtime) {
  rt::ListPodSandboxResponse resp;
  Check(runtime.ListPodSandbox(Ctx().get(), {}, &resp), "ListPodSandbox");
  return resp;
}

inline ListCallCost MeasureListContainers(int calls, const std::string& daemon_pid,
                                          rt::RuntimeService::Stub& runtime) {
  return MeasureListCalls(
      calls, daemon_pid, [&] { return ListAllContainers(runtime); },
      [](const rt::ListContainersResponse& r) { return r.containers_size(); });
}

inline ListCallCost MeasureListPodSandbox(int calls, const std::string& daemon_pid,
                                          rt::RuntimeService::Stub& runtime) {
  return MeasureListCalls(
      calls, daemon_pid, [&] { return ListAllPodSandboxes(runtime); },
      [](const rt::ListPodSandboxResponse& r) { return r.items_size(); });
}

}  // namespace berth::bench
