// Windows build of process_collector.h (process_collector.cc is the Linux one,
// on /proc): the same figures from the process's own counters. "/proc/self"
// names this process and "/proc/<pid>" another one, so callers pass the same
// argument on both systems; anything else names no process.
#include <windows.h>
// After windows.h, which psapi.h and tlhelp32.h need.
#include <psapi.h>
#include <tlhelp32.h>

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/metrics/process_collector.h"
#include "pkg/metrics/single_value_family.h"

namespace berth::metrics {
namespace {

// The process `proc_dir` names: this one for "/proc/self", the pid's for
// "/proc/<pid>", none otherwise.
std::optional<DWORD> PidOf(std::string_view proc_dir) {
  constexpr std::string_view kPrefix = "/proc/";
  if (!proc_dir.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = proc_dir.substr(kPrefix.size());
  if (rest == "self") return ::GetCurrentProcessId();
  DWORD pid = 0;
  auto [end, err] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
  if (err != std::errc() || end != rest.data() + rest.size()) return std::nullopt;
  return pid;
}

// Owns a process handle (the pseudo-handle of this process needs no close).
class ProcessHandle {
 public:
  explicit ProcessHandle(DWORD pid) {
    if (pid == ::GetCurrentProcessId()) {
      handle_ = ::GetCurrentProcess();
      return;
    }
    // What VirtualQueryEx and GetProcessMemoryInfo need.
    handle_ = ::OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, FALSE, pid);
    owned_ = handle_ != nullptr;
  }
  ProcessHandle(const ProcessHandle&) = delete;
  ProcessHandle& operator=(const ProcessHandle&) = delete;
  ~ProcessHandle() {
    if (owned_) ::CloseHandle(handle_);
  }
  HANDLE get() const { return handle_; }

 private:
  HANDLE handle_ = nullptr;
  bool owned_ = false;
};

double Seconds(const FILETIME& t) {  // FILETIME counts 100 ns intervals
  ULARGE_INTEGER v;
  v.LowPart = t.dwLowDateTime;
  v.HighPart = t.dwHighDateTime;
  return double(v.QuadPart) / 1e7;
}

// FILETIME's epoch is 1601-01-01, the unix epoch this many seconds later.
constexpr double kUnixEpochInFiletimeSeconds = 11644473600.0;

// The threads the system lists for `pid` (no per-process counter exists).
std::optional<double> ThreadCount(DWORD pid) {
  HANDLE snapshot = ::CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  if (snapshot == INVALID_HANDLE_VALUE) return std::nullopt;
  THREADENTRY32 entry{};
  entry.dwSize = sizeof(entry);
  double count = 0;
  for (BOOL more = ::Thread32First(snapshot, &entry); more;
       more = ::Thread32Next(snapshot, &entry)) {
    if (entry.th32OwnerProcessID == pid) ++count;
  }
  ::CloseHandle(snapshot);
  if (count == 0) return std::nullopt;  // every live process has a thread
  return count;
}

// The address space in use (reserved or committed), the counterpart of
// Linux's VmSize: the sum of every region that is not free.
std::optional<double> VirtualBytes(HANDLE process) {
  SYSTEM_INFO info;
  ::GetSystemInfo(&info);
  auto* address = static_cast<const char*>(info.lpMinimumApplicationAddress);
  const auto* end = static_cast<const char*>(info.lpMaximumApplicationAddress);
  double total = 0;
  MEMORY_BASIC_INFORMATION region;
  while (address < end && ::VirtualQueryEx(process, address, &region, sizeof(region)) != 0) {
    if (region.State != MEM_FREE) total += double(region.RegionSize);
    address = static_cast<const char*>(region.BaseAddress) + region.RegionSize;
  }
  if (total == 0) return std::nullopt;  // the first query failed: not readable
  return total;
}

}  // namespace

ProcessCollector::ProcessCollector(std::string proc_dir) : proc_dir_(std::move(proc_dir)) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  std::optional<DWORD> pid = PidOf(proc_dir_);
  if (!pid) return out;
  ProcessHandle process(*pid);
  if (process.get() == nullptr) return out;

  FILETIME created{}, exited{}, kernel{}, user{};
  if (::GetProcessTimes(process.get(), &created, &exited, &kernel, &user)) {
    out.push_back(SingleValueFamily("process_cpu_seconds_total",
                                    "User and system CPU time spent in seconds",
                                    MetricType::Counter, Seconds(kernel) + Seconds(user)));
  }
  if (auto threads = ThreadCount(*pid)) {
    out.push_back(SingleValueFamily("process_threads", "Number of OS threads in the process",
                                    MetricType::Gauge, *threads));
  }
  if (auto bytes = VirtualBytes(process.get())) {
    out.push_back(SingleValueFamily("process_virtual_memory_bytes", "Virtual memory size in bytes",
                                    MetricType::Gauge, *bytes));
  }
  // The working set: the pages of the process resident in physical memory.
  if (PROCESS_MEMORY_COUNTERS memory{};
      ::K32GetProcessMemoryInfo(process.get(), &memory, sizeof(memory))) {
    out.push_back(SingleValueFamily("process_resident_memory_bytes",
                                    "Resident memory size in bytes", MetricType::Gauge,
                                    double(memory.WorkingSetSize)));
  }
  if (created.dwLowDateTime != 0 || created.dwHighDateTime != 0) {
    out.push_back(SingleValueFamily(
        "process_start_time_seconds", "Start time of the process since unix epoch in seconds",
        MetricType::Gauge, Seconds(created) - kUnixEpochInFiletimeSeconds));
  }
  // Handles are what a Windows process holds open (files, sockets, events,
  // ...), its counterpart of file descriptors. Windows sets no per-process
  // handle limit a call reports, so process_max_fds is left out.
  if (DWORD handles = 0; ::GetProcessHandleCount(process.get(), &handles)) {
    out.push_back(SingleValueFamily("process_open_fds", "Number of open file descriptors",
                                    MetricType::Gauge, double(handles)));
  }
  return out;
}

}  // namespace berth::metrics
