// ProcessCollector: berthd's own figures at each scrape, under the names
// every Prometheus client uses for them (process_cpu_seconds_total,
// process_resident_memory_bytes, process_open_fds, ...), plus
// process_threads, the C++ daemon's counterpart of a Go daemon's goroutines.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace berth::metrics {

class ProcessCollector : public prometheus::Collectable {
 public:
  // `proc_dir` is the process's /proc directory ("/proc/self" or "/proc/<pid>").
  explicit ProcessCollector(std::string proc_dir = "/proc/self");

  // A figure that cannot be read is left out (and the others served).
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::string proc_dir_;
};

}  // namespace berth::metrics
