#include "pkg/metrics/daemon_metrics.h"

#include <prometheus/text_serializer.h>

#include "pkg/metrics/process_collector.h"

namespace berth::metrics {
namespace {

// CRI calls range from sub-millisecond lookups to multi-minute pulls.
const prometheus::Histogram::BucketBoundaries kRpcBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
// A plugin chain takes milliseconds to seconds (bridge + IPAM + portmap).
const prometheus::Histogram::BucketBoundaries kCniBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                             0.5,   1,    2.5,   5,    10,  30};

std::string S(std::string_view v) {
  return std::string(v);
}

}  // namespace

DaemonMetrics::DaemonMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      rpc_requests_(prometheus::BuildCounter()
                        .Name("berth_grpc_requests_total")
                        .Help("CRI calls finished, by method")
                        .Register(*registry_)),
      rpc_errors_(prometheus::BuildCounter()
                      .Name("berth_grpc_request_errors_total")
                      .Help("CRI calls that failed, by method and gRPC code name")
                      .Register(*registry_)),
      rpc_seconds_(prometheus::BuildHistogram()
                       .Name("berth_grpc_request_duration_seconds")
                       .Help("CRI call latency, by method and the pod's runtime handler "
                             "(empty for calls that concern no pod)")
                       .Register(*registry_)),
      pulls_(prometheus::BuildCounter()
                 .Name("berth_image_pulls_total")
                 .Help("Image pulls that downloaded anything, by result")
                 .Register(*registry_)),
      pull_failures_(prometheus::BuildCounter()
                         .Name("berth_image_pull_failures_total")
                         .Help("Image pulls that failed, by reason (the error's code name)")
                         .Register(*registry_)),
      pull_bytes_(prometheus::BuildCounter()
                      .Name("berth_image_pull_bytes_total")
                      .Help("Bytes of image blobs downloaded")
                      .Register(*registry_)
                      .Add({})),
      oom_kills_(prometheus::BuildCounter()
                     .Name("berth_container_oom_kills_total")
                     .Help("Container exits the kernel's OOM killer caused")
                     .Register(*registry_)
                     .Add({})),
      cni_seconds_(prometheus::BuildHistogram()
                       .Name("berth_cni_operation_duration_seconds")
                       .Help("CNI plugin chain latency, by operation (add, del, check)")
                       .Register(*registry_)),
      cni_errors_(prometheus::BuildCounter()
                      .Name("berth_cni_operation_errors_total")
                      .Help("CNI plugin chain operations that failed, by operation")
                      .Register(*registry_)),
      restore_seconds_(prometheus::BuildGauge()
                           .Name("berth_restore_duration_seconds")
                           .Help("How long restoring state from disk took at start-up")
                           .Register(*registry_)
                           .Add({})),
      process_(std::make_shared<ProcessCollector>()) {
  // Result labels exist from the start so a scrape shows 0 rather than nothing.
  pulls_.Add({{"result", "success"}});
  pulls_.Add({{"result", "failure"}});
}

void DaemonMetrics::RecordRpc(std::string_view method, std::string_view runtime_handler,
                              std::string_view code, std::optional<double> seconds) {
  rpc_requests_.Add({{"method", S(method)}}).Increment();
  if (code != "OK") rpc_errors_.Add({{"method", S(method)}, {"code", S(code)}}).Increment();
  if (!seconds) return;
  rpc_seconds_.Add({{"method", S(method)}, {"runtime_handler", S(runtime_handler)}}, kRpcBuckets)
      .Observe(*seconds);
}

void DaemonMetrics::RecordImagePull(uint64_t bytes, std::string_view failure_reason) {
  pull_bytes_.Increment(double(bytes));
  const bool ok = failure_reason.empty();
  pulls_.Add({{"result", ok ? "success" : "failure"}}).Increment();
  if (!ok) pull_failures_.Add({{"reason", S(failure_reason)}}).Increment();
}

void DaemonMetrics::RecordOomKill() {
  oom_kills_.Increment();
}

void DaemonMetrics::RecordCniOperation(std::string_view operation, bool ok, double seconds) {
  cni_seconds_.Add({{"operation", S(operation)}}, kCniBuckets).Observe(seconds);
  if (!ok) cni_errors_.Add({{"operation", S(operation)}}).Increment();
}

void DaemonMetrics::SetRestoreSeconds(double seconds) {
  restore_seconds_.Set(seconds);
}

void DaemonMetrics::AddCollectable(std::shared_ptr<prometheus::Collectable> collectable) {
  std::lock_guard lock(collectables_mu_);
  collectables_.push_back(std::move(collectable));
}

std::vector<prometheus::MetricFamily> DaemonMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  auto append = [&](const prometheus::Collectable& c) {
    std::vector<prometheus::MetricFamily> more = c.Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  };
  append(*process_);
  std::lock_guard lock(collectables_mu_);
  for (const auto& c : collectables_) append(*c);
  return families;
}

std::string DaemonMetrics::Exposition() const {
  return prometheus::TextSerializer().Serialize(Collect());
}

}  // namespace berth::metrics
