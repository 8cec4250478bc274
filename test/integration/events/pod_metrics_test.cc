// ListMetricDescriptors, ListPodSandboxMetrics and StreamPodSandboxMetrics
// through a real berthd: what busybox containers do (burn CPU, hold memory,
// write files, send packets) shows in the cAdvisor-named metrics, each one
// declared by a descriptor with as many label keys as it has values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <thread>

#include "test/integration/stats/stats_env.h"

namespace berth::testing {
namespace {

constexpr uint64_t kMiB = 1 << 20;

using MetricsTest = StatsTest;

rt::ListPodSandboxMetricsResponse ListMetrics(BerthdProcess& d) {
  rt::ListPodSandboxMetricsResponse resp;
  grpc::Status s = d.runtime().ListPodSandboxMetrics(Ctx().get(), {}, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

// The value of metric `name` with label values `labels` for `object` (a
// container ID, or the pod's ID for its own metrics); nullopt when absent.
std::optional<uint64_t> ValueOf(const rt::ListPodSandboxMetricsResponse& all,
                                const std::string& object, const std::string& name,
                                const std::vector<std::string>& labels) {
  auto match =
      [&](const google::protobuf::RepeatedPtrField<rt::Metric>& ms) -> std::optional<uint64_t> {
    for (const auto& m : ms) {
      if (m.name() == name &&
          std::vector<std::string>(m.label_values().begin(), m.label_values().end()) == labels) {
        return m.value().value();
      }
    }
    return std::nullopt;
  };
  for (const auto& pod : all.pod_metrics()) {
    if (pod.pod_sandbox_id() == object) return match(pod.metrics());
    for (const auto& c : pod.container_metrics()) {
      if (c.container_id() == object) return match(c.metrics());
    }
  }
  return std::nullopt;
}

// Polls ListPodSandboxMetrics until `done` holds (figures change as the
// containers run; there is no event to wait on).
rt::ListPodSandboxMetricsResponse MetricsOnceTrue(
    BerthdProcess& d, const std::function<bool(const rt::ListPodSandboxMetricsResponse&)>& done,
    const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  rt::ListPodSandboxMetricsResponse m = ListMetrics(d);
  while (!done(m)) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "timed out waiting for " << what << "; last:\n" << m.DebugString();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    m = ListMetrics(d);
  }
  return m;
}

TEST_F(MetricsTest, WhatContainersDoShowsInCadvisorMetrics) {
  const std::string pod = RunPod("metrics");
  rt::ContainerConfig burner_config = Config("burner", "while :; do :; done");
  const std::string burner = CreateAndStart(pod, burner_config);
  const std::string hog =
      CreateAndStart(pod, Config("hog", "dd if=/dev/zero bs=40M count=1 | sleep 3600"));
  rt::ExecSyncResponse out;
  ASSERT_TRUE(Exec(hog, {"dd", "if=/dev/urandom", "of=/five-mib", "bs=1M", "count=5"}, &out).ok());
  ASSERT_EQ(out.exit_code(), 0) << out.stderr();
  ASSERT_TRUE(Exec(hog, {"ping", "-c", "3", "-W", "2", Gateway()}, &out).ok());
  ASSERT_EQ(out.exit_code(), 0) << out.stdout() << out.stderr();
  const std::string image = burner_config.image().image();

  auto cpu = [&](const rt::ListPodSandboxMetricsResponse& m) {
    return ValueOf(m, burner, "container_cpu_usage_seconds_total",
                   {burner, "burner", image, "total"});
  };
  auto working_set = [&](const rt::ListPodSandboxMetricsResponse& m) {
    return ValueOf(m, hog, "container_memory_working_set_bytes", {hog, "hog", image});
  };
  auto fs = [&](const rt::ListPodSandboxMetricsResponse& m) -> std::optional<uint64_t> {
    for (const auto& p : m.pod_metrics()) {
      for (const auto& c : p.container_metrics()) {
        if (c.container_id() != hog) continue;
        for (const auto& x : c.metrics()) {
          if (x.name() == "container_fs_usage_bytes") return x.value().value();
        }
      }
    }
    return std::nullopt;
  };
  rt::ListPodSandboxMetricsResponse m = MetricsOnceTrue(
      *d_,
      [&](const rt::ListPodSandboxMetricsResponse& m) {
        return cpu(m).value_or(0) >= 1 && working_set(m).value_or(0) >= 40 * kMiB &&
               fs(m).value_or(0) >= 5 * kMiB;
      },
      "a second of CPU, 40 MiB of working set and 5 MiB written");
  EXPECT_GE(cpu(m).value_or(0), 1u);
  EXPECT_GE(working_set(m).value_or(0), 40 * kMiB);
  EXPECT_GE(fs(m).value_or(0), 5 * kMiB);
  EXPECT_TRUE(ValueOf(m, hog, "container_memory_usage_bytes", {hog, "hog", image}).has_value());
  // The pod's own figures: its network (three echo requests of 84 bytes at
  // least) and its processes (berth-pause, the loop, dd and sleep).
  EXPECT_GE(ValueOf(m, pod, "container_network_transmit_bytes_total", {pod, "POD", "", "eth0"})
                .value_or(0),
            3u * 84);
  EXPECT_GE(ValueOf(m, pod, "container_processes", {pod, "POD", ""}).value_or(0), 4u);

  // Every metric is declared, with as many label values as keys.
  rt::ListMetricDescriptorsResponse descriptors;
  ASSERT_TRUE(d_->runtime().ListMetricDescriptors(Ctx().get(), {}, &descriptors).ok());
  std::map<std::string, int> keys;
  for (const auto& d : descriptors.descriptors()) keys[d.name()] = d.label_keys_size();
  EXPECT_TRUE(keys.count("container_cpu_usage_seconds_total"));
  EXPECT_TRUE(keys.count("container_memory_working_set_bytes"));
  for (const auto& p : m.pod_metrics()) {
    auto check = [&](const rt::Metric& x) {
      ASSERT_TRUE(keys.count(x.name())) << x.name() << " has no descriptor";
      EXPECT_EQ(x.label_values_size(), keys[x.name()]) << x.name();
    };
    for (const auto& x : p.metrics()) check(x);
    for (const auto& c : p.container_metrics()) {
      for (const auto& x : c.metrics()) check(x);
    }
  }

  // The stream answers the same pods.
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto reader = d_->runtime().StreamPodSandboxMetrics(&ctx, {});
  std::vector<std::string> streamed;
  rt::StreamPodSandboxMetricsResponse batch;
  while (reader->Read(&batch)) {
    for (const auto& p : batch.pod_sandbox_metrics()) streamed.push_back(p.pod_sandbox_id());
  }
  grpc::Status s = reader->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(streamed, ::testing::ElementsAre(pod));
}

}  // namespace
}  // namespace berth::testing
