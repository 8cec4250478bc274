#include "pkg/metrics/gauge_collector.h"

namespace berth::metrics {

GaugeCollector::GaugeCollector(std::string name, std::string help, std::string label, ReadFn read)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_(std::move(label)),
      read_(std::move(read)) {}

std::vector<prometheus::MetricFamily> GaugeCollector::Collect() const {
  prometheus::MetricFamily family{name_, help_, prometheus::MetricType::Gauge, {}};
  for (const auto& [value, figure] : read_()) {
    prometheus::ClientMetric m;
    m.label.push_back({label_, value});
    m.gauge.value = figure;
    family.metric.push_back(std::move(m));
  }
  return {std::move(family)};
}

}  // namespace berth::metrics
