// DaemonMetrics: each Record* moves its family's figure under the right
// labels, and the exposition carries every family with its type.
#include "pkg/metrics/daemon_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/metric_family.h>

#include <optional>

#include "pkg/metrics/gauge_collector.h"

namespace berth::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;

const MetricFamily* Find(const std::vector<MetricFamily>& all, const std::string& name) {
  for (const auto& f : all) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// The sample of `family` whose labels are exactly `labels`.
std::optional<ClientMetric> Sample(const DaemonMetrics& m, const std::string& family,
                                   const std::map<std::string, std::string>& labels) {
  const std::vector<MetricFamily> all = m.Collect();
  const MetricFamily* f = Find(all, family);
  if (f == nullptr) return std::nullopt;
  for (const ClientMetric& s : f->metric) {
    std::map<std::string, std::string> have;
    for (const auto& l : s.label) have[l.name] = l.value;
    if (have == labels) return s;
  }
  return std::nullopt;
}

TEST(DaemonMetricsTest, AServerStreamIsCountedButKeptOutOfTheLatencyHistogram) {
  DaemonMetrics m;
  m.RecordRpc("RuntimeService.GetContainerEvents", "", "Cancelled", std::nullopt);
  auto streams =
      Sample(m, "berth_grpc_requests_total", {{"method", "RuntimeService.GetContainerEvents"}});
  ASSERT_TRUE(streams);
  EXPECT_EQ(streams->counter.value, 1);
  EXPECT_FALSE(Sample(m, "berth_grpc_request_duration_seconds",
                      {{"method", "RuntimeService.GetContainerEvents"}, {"runtime_handler", ""}}))
      << "a stream's hours would land in the top bucket of the latency histogram";
}

TEST(DaemonMetricsTest, RpcCountsErrorsByCodeAndLatencyByHandler) {
  DaemonMetrics m;
  m.RecordRpc("RuntimeService.RunPodSandbox", "runc", "OK", 0.2);
  m.RecordRpc("RuntimeService.RunPodSandbox", "runc", "OK", 3.0);
  m.RecordRpc("RuntimeService.RunPodSandbox", "kata", "Internal", 0.01);
  m.RecordRpc("RuntimeService.ContainerStatus", "", "NotFound", 0.001);

  auto runs = Sample(m, "berth_grpc_requests_total", {{"method", "RuntimeService.RunPodSandbox"}});
  ASSERT_TRUE(runs);
  EXPECT_EQ(runs->counter.value, 3);
  auto internal = Sample(m, "berth_grpc_request_errors_total",
                         {{"method", "RuntimeService.RunPodSandbox"}, {"code", "Internal"}});
  ASSERT_TRUE(internal);
  EXPECT_EQ(internal->counter.value, 1);
  EXPECT_FALSE(Sample(m, "berth_grpc_request_errors_total",
                      {{"method", "RuntimeService.RunPodSandbox"}, {"code", "OK"}}))
      << "a success is not an error";
  auto not_found = Sample(m, "berth_grpc_request_errors_total",
                          {{"method", "RuntimeService.ContainerStatus"}, {"code", "NotFound"}});
  ASSERT_TRUE(not_found);
  EXPECT_EQ(not_found->counter.value, 1);

  auto runc = Sample(m, "berth_grpc_request_duration_seconds",
                     {{"method", "RuntimeService.RunPodSandbox"}, {"runtime_handler", "runc"}});
  ASSERT_TRUE(runc);
  EXPECT_EQ(runc->histogram.sample_count, 2u);
  EXPECT_DOUBLE_EQ(runc->histogram.sample_sum, 3.2);
  // Cumulative buckets: 0.2 s is within 0.25, 3 s only from 5.
  for (const auto& b : runc->histogram.bucket) {
    if (b.upper_bound == 0.25) {
      EXPECT_EQ(b.cumulative_count, 1u);
    }
    if (b.upper_bound == 5) {
      EXPECT_EQ(b.cumulative_count, 2u);
    }
  }
  auto kata = Sample(m, "berth_grpc_request_duration_seconds",
                     {{"method", "RuntimeService.RunPodSandbox"}, {"runtime_handler", "kata"}});
  ASSERT_TRUE(kata);
  EXPECT_EQ(kata->histogram.sample_count, 1u);
}

TEST(DaemonMetricsTest, ImagePullsCountBytesSuccessesAndFailuresByReason) {
  DaemonMetrics m;
  // Both results are there before any pull, at 0.
  ASSERT_TRUE(Sample(m, "berth_image_pulls_total", {{"result", "failure"}}));
  EXPECT_EQ(Sample(m, "berth_image_pulls_total", {{"result", "failure"}})->counter.value, 0);

  m.RecordImagePull(1000, "");
  m.RecordImagePull(24, "NotFound");
  m.RecordImagePull(0, "NotFound");
  m.RecordImagePull(0, "Unavailable");
  EXPECT_EQ(Sample(m, "berth_image_pulls_total", {{"result", "success"}})->counter.value, 1);
  EXPECT_EQ(Sample(m, "berth_image_pulls_total", {{"result", "failure"}})->counter.value, 3);
  EXPECT_EQ(Sample(m, "berth_image_pull_failures_total", {{"reason", "NotFound"}})->counter.value,
            2);
  EXPECT_EQ(
      Sample(m, "berth_image_pull_failures_total", {{"reason", "Unavailable"}})->counter.value, 1);
  EXPECT_EQ(Sample(m, "berth_image_pull_bytes_total", {})->counter.value, 1024);
}

TEST(DaemonMetricsTest, OomKillsCniAndRestore) {
  DaemonMetrics m;
  m.RecordOomKill();
  m.RecordOomKill();
  m.RecordCniOperation("add", true, 0.05);
  m.RecordCniOperation("del", false, 0.5);
  m.SetRestoreSeconds(1.5);
  EXPECT_EQ(Sample(m, "berth_container_oom_kills_total", {})->counter.value, 2);
  EXPECT_EQ(Sample(m, "berth_cni_operation_duration_seconds", {{"operation", "add"}})
                ->histogram.sample_count,
            1u);
  EXPECT_EQ(Sample(m, "berth_cni_operation_errors_total", {{"operation", "del"}})->counter.value,
            1);
  EXPECT_FALSE(Sample(m, "berth_cni_operation_errors_total", {{"operation", "add"}}));
  EXPECT_EQ(Sample(m, "berth_restore_duration_seconds", {})->gauge.value, 1.5);
}

TEST(DaemonMetricsTest, CollectablesAreReadAtEachScrape) {
  DaemonMetrics m;
  double running = 1;
  m.AddCollectable(std::make_shared<GaugeCollector>("berth_containers", "by state", "state", [&] {
    return std::map<std::string, double>{{"running", running}, {"exited", 0}};
  }));
  EXPECT_EQ(Sample(m, "berth_containers", {{"state", "running"}})->gauge.value, 1);
  running = 4;
  EXPECT_EQ(Sample(m, "berth_containers", {{"state", "running"}})->gauge.value, 4);
  EXPECT_EQ(Sample(m, "berth_containers", {{"state", "exited"}})->gauge.value, 0);
}

TEST(DaemonMetricsTest, ExpositionNamesEveryFamilyWithItsType) {
  DaemonMetrics m;
  m.RecordRpc("RuntimeService.Version", "", "OK", 0.001);
  m.RecordCniOperation("add", true, 0.05);
  const std::string text = m.Exposition();
  for (const char* line :
       {"# TYPE berth_grpc_requests_total counter",
        "# TYPE berth_grpc_request_duration_seconds histogram",
        "# TYPE berth_image_pull_bytes_total counter",
        "# TYPE berth_container_oom_kills_total counter",
        "# TYPE berth_cni_operation_duration_seconds histogram",
        "# TYPE berth_restore_duration_seconds gauge", "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_open_fds gauge", "# TYPE process_cpu_seconds_total counter",
        "# TYPE process_threads gauge",
        "berth_grpc_requests_total{method=\"RuntimeService.Version\"} 1"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

}  // namespace
}  // namespace berth::metrics
