#include "pkg/metrics/process_collector.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "pkg/fs/dir.h"
#include "pkg/metrics/single_value_family.h"

namespace berth::metrics {
namespace {

// The fields of /proc/<pid>/stat after the command name (which may hold
// spaces and parentheses, so the split starts after the last ')').
std::optional<std::vector<std::string>> StatFields(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields{std::istream_iterator<std::string>(rest), {}};
  // fields[0] is field 3 of proc(5) (state); the last one used is 24 (rss).
  if (fields.size() < 22) return std::nullopt;
  return fields;
}

// proc(5) numbers the stat fields from 1; the command is field 2.
double Field(const std::vector<std::string>& f, int number) {
  return std::stod(f[number - 3]);
}

std::optional<double> BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}

std::optional<double> OpenFds(const std::string& dir) {
  Result<std::vector<std::string>> fds = ListDir(dir);
  if (!fds.ok()) return std::nullopt;
  // Less the descriptor ListDir itself held open while listing.
  return static_cast<double>(fds->size()) - 1;
}

}  // namespace

ProcessCollector::ProcessCollector(std::string proc_dir) : proc_dir_(std::move(proc_dir)) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  if (auto f = StatFields(proc_dir_ + "/stat")) {
    const double ticks = double(::sysconf(_SC_CLK_TCK));
    const double page = double(::sysconf(_SC_PAGESIZE));
    out.push_back(SingleValueFamily("process_cpu_seconds_total",
                                    "User and system CPU time spent in seconds",
                                    MetricType::Counter, (Field(*f, 14) + Field(*f, 15)) / ticks));
    out.push_back(SingleValueFamily("process_threads", "Number of OS threads in the process",
                                    MetricType::Gauge, Field(*f, 20)));
    out.push_back(SingleValueFamily("process_virtual_memory_bytes", "Virtual memory size in bytes",
                                    MetricType::Gauge, Field(*f, 23)));
    out.push_back(SingleValueFamily("process_resident_memory_bytes",
                                    "Resident memory size in bytes", MetricType::Gauge,
                                    Field(*f, 24) * page));
    if (auto boot = BootTimeSeconds()) {
      out.push_back(SingleValueFamily("process_start_time_seconds",
                                      "Start time of the process since unix epoch in seconds",
                                      MetricType::Gauge, *boot + Field(*f, 22) / ticks));
    }
  }
  // Only /proc/self's own process: a limit is per process and read with getrlimit.
  if (auto fds = OpenFds(proc_dir_ + "/fd")) {
    out.push_back(SingleValueFamily("process_open_fds", "Number of open file descriptors",
                                    MetricType::Gauge, *fds));
  }
  if (rlimit limit{}; proc_dir_ == "/proc/self" && ::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back(SingleValueFamily("process_max_fds", "Maximum number of open file descriptors",
                                    MetricType::Gauge, double(limit.rlim_cur)));
  }
  return out;
}

}  // namespace berth::metrics
