// GaugeCollector: one gauge family whose values are read at each scrape from
// a callback, one sample per value of a single label (e.g. pods by state).
// For figures another component owns, so nothing has to push them on change.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace berth::metrics {

class GaugeCollector : public prometheus::Collectable {
 public:
  // label value -> figure; the callback lists every label value it knows
  // (with 0 where nothing is counted) so series do not vanish.
  using ReadFn = std::function<std::map<std::string, double>()>;

  GaugeCollector(std::string name, std::string help, std::string label, ReadFn read);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::string name_;
  const std::string help_;
  const std::string label_;
  const ReadFn read_;
};

}  // namespace berth::metrics
