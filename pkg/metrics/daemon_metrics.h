// DaemonMetrics: every metric family berthd records into, in one registry.
//
// Recording is cheap and thread-safe (prometheus-cpp's counters and
// histograms are atomics behind a per-family lock taken only to find a label
// set), so it happens whether or not the endpoint is on. Figures read from
// elsewhere at scrape time (objects by state, the process) are collectables
// registered next to these families.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::metrics {

class DaemonMetrics : public prometheus::Collectable {
 public:
  DaemonMetrics();

  // One finished CRI call: `method` as "RuntimeService.RunPodSandbox",
  // `runtime_handler` "" when the call concerns no pod, `code` the gRPC code's
  // name ("OK", "NotFound", ...). `seconds` is nullopt for a server stream
  // (events, stats streams): it lives as long as its client, and its length
  // would only skew the latency histogram.
  void RecordRpc(std::string_view method, std::string_view runtime_handler, std::string_view code,
                 std::optional<double> seconds);
  // One image pull that downloaded `bytes` of blobs; `failure_reason` is ""
  // for a success, else the failure's code name.
  void RecordImagePull(uint64_t bytes, std::string_view failure_reason);
  void RecordOomKill();
  // One CNI operation ("add", "del", "check") on the plugin chain.
  void RecordCniOperation(std::string_view operation, bool ok, double seconds);
  // How long start-up restore took.
  void SetRestoreSeconds(double seconds);

  // Adds a collectable read at every scrape (objects by state, ...).
  void AddCollectable(std::shared_ptr<prometheus::Collectable> collectable);

  // The families above, the process's figures and the added collectables.
  std::vector<prometheus::MetricFamily> Collect() const override;
  // Collect() in the text exposition format (what the endpoint serves).
  std::string Exposition() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& rpc_requests_;
  prometheus::Family<prometheus::Counter>& rpc_errors_;
  prometheus::Family<prometheus::Histogram>& rpc_seconds_;
  prometheus::Family<prometheus::Counter>& pulls_;
  prometheus::Family<prometheus::Counter>& pull_failures_;
  prometheus::Counter& pull_bytes_;
  prometheus::Counter& oom_kills_;
  prometheus::Family<prometheus::Histogram>& cni_seconds_;
  prometheus::Family<prometheus::Counter>& cni_errors_;
  prometheus::Gauge& restore_seconds_;
  std::shared_ptr<prometheus::Collectable> process_;
  mutable std::mutex collectables_mu_;
  std::vector<std::shared_ptr<prometheus::Collectable>>
      collectables_;  // guarded by collectables_mu_
};

}  // namespace berth::metrics
