// One metric family holding a single unlabelled value: how the process
// collectors (process_collector.cc on Linux, process_collector_windows.cc)
// report each of their figures.
#pragma once

#include <prometheus/metric_family.h>

namespace berth::metrics {

inline prometheus::MetricFamily SingleValueFamily(const char* name, const char* help,
                                                  prometheus::MetricType type, double value) {
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  return prometheus::MetricFamily{name, help, type, {m}};
}

}  // namespace berth::metrics
