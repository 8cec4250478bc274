// Pod stats restated as cAdvisor metrics: names, types, label keys and
// values, units, and nothing made up for what was not measured.
#include "daemon/pod_metrics_cadvisor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace berth::daemon {
namespace {

namespace rt = runtime::v1;
using ::testing::ElementsAre;

const rt::Metric* Find(const google::protobuf::RepeatedPtrField<rt::Metric>& ms,
                       const std::string& name, const std::vector<std::string>& labels) {
  for (const auto& m : ms) {
    if (m.name() == name &&
        std::vector<std::string>(m.label_values().begin(), m.label_values().end()) == labels) {
      return &m;
    }
  }
  return nullptr;
}

rt::PodSandboxStats SamplePod() {
  rt::PodSandboxStats s;
  s.mutable_attributes()->set_id("pod1");
  rt::LinuxPodSandboxStats* l = s.mutable_linux();
  l->mutable_cpu()->set_timestamp(100);
  l->mutable_cpu()->mutable_usage_core_nano_seconds()->set_value(7'900'000'000);
  l->mutable_memory()->set_timestamp(101);
  l->mutable_memory()->mutable_working_set_bytes()->set_value(4096);
  l->mutable_process()->set_timestamp(102);
  l->mutable_process()->mutable_process_count()->set_value(3);
  rt::NetworkUsage* net = l->mutable_network();
  net->set_timestamp(103);
  net->mutable_default_interface()->set_name("eth0");
  net->mutable_default_interface()->mutable_rx_bytes()->set_value(1000);
  net->mutable_default_interface()->mutable_tx_errors()->set_value(2);
  rt::NetworkInterfaceUsage* eth1 = net->add_interfaces();
  eth1->set_name("eth1");
  eth1->mutable_tx_bytes()->set_value(500);

  rt::ContainerStats* c = l->add_containers();
  c->mutable_attributes()->set_id("ctr1");
  c->mutable_attributes()->mutable_metadata()->set_name("web");
  c->mutable_cpu()->set_timestamp(200);
  c->mutable_cpu()->mutable_usage_core_nano_seconds()->set_value(2'500'000'000);
  rt::MemoryUsage* m = c->mutable_memory();
  m->set_timestamp(201);
  m->mutable_usage_bytes()->set_value(9000);
  m->mutable_working_set_bytes()->set_value(8000);
  m->mutable_rss_bytes()->set_value(7000);
  m->mutable_page_faults()->set_value(60);
  m->mutable_major_page_faults()->set_value(6);
  c->mutable_swap()->set_timestamp(202);
  c->mutable_swap()->mutable_swap_usage_bytes()->set_value(123);
  rt::FilesystemUsage* fs = c->mutable_writable_layer();
  fs->set_timestamp(203);
  fs->mutable_fs_id()->set_mountpoint("/var/lib/berth");
  fs->mutable_used_bytes()->set_value(10 << 20);
  return s;
}

TEST(CadvisorMetricsTest, DescriptorsCarryCadvisorNamesAndLabelKeys) {
  std::map<std::string, std::vector<std::string>> keys;
  for (const auto& d : CadvisorDescriptors()) {
    EXPECT_FALSE(d.help().empty()) << d.name();
    EXPECT_TRUE(keys.emplace(d.name(),
                             std::vector<std::string>(d.label_keys().begin(), d.label_keys().end()))
                    .second)
        << "duplicate " << d.name();
  }
  EXPECT_THAT(keys["container_cpu_usage_seconds_total"], ElementsAre("id", "name", "image", "cpu"));
  EXPECT_THAT(keys["container_memory_working_set_bytes"], ElementsAre("id", "name", "image"));
  EXPECT_THAT(keys["container_memory_failures_total"],
              ElementsAre("id", "name", "image", "failure_type", "scope"));
  EXPECT_THAT(keys["container_network_receive_bytes_total"],
              ElementsAre("id", "name", "image", "interface"));
  EXPECT_THAT(keys["container_fs_usage_bytes"], ElementsAre("id", "name", "image", "device"));
  EXPECT_TRUE(keys.count("container_processes"));
}

TEST(CadvisorMetricsTest, EveryMetricNamesADescriptorWithAsManyLabels) {
  std::map<std::string, int> label_count;
  for (const auto& d : CadvisorDescriptors()) label_count[d.name()] = d.label_keys_size();
  rt::PodSandboxMetrics out = CadvisorMetrics(SamplePod(), {{"ctr1", "busybox:latest"}});
  auto check = [&](const rt::Metric& m) {
    ASSERT_TRUE(label_count.count(m.name())) << m.name();
    EXPECT_EQ(m.label_values_size(), label_count[m.name()]) << m.name();
  };
  for (const auto& m : out.metrics()) check(m);
  for (const auto& c : out.container_metrics()) {
    for (const auto& m : c.metrics()) check(m);
  }
}

TEST(CadvisorMetricsTest, AContainersFiguresKeepTheirUnitsTypesAndTimes) {
  rt::PodSandboxMetrics out = CadvisorMetrics(SamplePod(), {{"ctr1", "busybox:latest"}});
  EXPECT_EQ(out.pod_sandbox_id(), "pod1");
  ASSERT_EQ(out.container_metrics_size(), 1);
  const rt::ContainerMetrics& c = out.container_metrics(0);
  EXPECT_EQ(c.container_id(), "ctr1");
  const std::vector<std::string> base = {"ctr1", "web", "busybox:latest"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> all = base;
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
  };

  const rt::Metric* cpu = Find(c.metrics(), "container_cpu_usage_seconds_total", with({"total"}));
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->metric_type(), rt::COUNTER);
  EXPECT_EQ(cpu->value().value(), 2u);  // whole seconds of 2.5
  EXPECT_EQ(cpu->timestamp(), 200);

  const rt::Metric* ws = Find(c.metrics(), "container_memory_working_set_bytes", base);
  ASSERT_NE(ws, nullptr);
  EXPECT_EQ(ws->metric_type(), rt::GAUGE);
  EXPECT_EQ(ws->value().value(), 8000u);
  EXPECT_EQ(ws->timestamp(), 201);
  EXPECT_EQ(Find(c.metrics(), "container_memory_usage_bytes", base)->value().value(), 9000u);
  EXPECT_EQ(Find(c.metrics(), "container_memory_rss", base)->value().value(), 7000u);
  const rt::Metric* faults =
      Find(c.metrics(), "container_memory_failures_total", with({"pgfault", "container"}));
  ASSERT_NE(faults, nullptr);
  EXPECT_EQ(faults->value().value(), 60u);
  EXPECT_EQ(faults->metric_type(), rt::COUNTER);
  EXPECT_EQ(Find(c.metrics(), "container_memory_failures_total", with({"pgmajfault", "container"}))
                ->value()
                .value(),
            6u);
  EXPECT_EQ(Find(c.metrics(), "container_memory_swap", base)->value().value(), 123u);
  const rt::Metric* fs = Find(c.metrics(), "container_fs_usage_bytes", with({"/var/lib/berth"}));
  ASSERT_NE(fs, nullptr);
  EXPECT_EQ(fs->value().value(), 10u << 20);
  EXPECT_EQ(fs->timestamp(), 203);
  EXPECT_EQ(fs->metric_type(), rt::GAUGE);
}

TEST(CadvisorMetricsTest, APodsOwnFiguresAreLabelledPodWithItsInterfaces) {
  rt::PodSandboxMetrics out = CadvisorMetrics(SamplePod(), {});
  const std::vector<std::string> base = {"pod1", "POD", ""};
  const rt::Metric* cpu =
      Find(out.metrics(), "container_cpu_usage_seconds_total", {"pod1", "POD", "", "total"});
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->value().value(), 7u);
  EXPECT_EQ(Find(out.metrics(), "container_processes", base)->value().value(), 3u);
  const rt::Metric* rx =
      Find(out.metrics(), "container_network_receive_bytes_total", {"pod1", "POD", "", "eth0"});
  ASSERT_NE(rx, nullptr);
  EXPECT_EQ(rx->value().value(), 1000u);
  EXPECT_EQ(rx->metric_type(), rt::COUNTER);
  EXPECT_EQ(rx->timestamp(), 103);
  EXPECT_EQ(
      Find(out.metrics(), "container_network_transmit_errors_total", {"pod1", "POD", "", "eth0"})
          ->value()
          .value(),
      2u);
  EXPECT_EQ(
      Find(out.metrics(), "container_network_transmit_bytes_total", {"pod1", "POD", "", "eth1"})
          ->value()
          .value(),
      500u);
  // A container without a known image gets an empty image label.
  EXPECT_NE(Find(out.container_metrics(0).metrics(), "container_memory_rss", {"ctr1", "web", ""}),
            nullptr);
}

TEST(CadvisorMetricsTest, WhatWasNotMeasuredIsLeftOut) {
  rt::PodSandboxStats s;
  s.mutable_attributes()->set_id("pod2");
  rt::ContainerStats* c = s.mutable_linux()->add_containers();
  c->mutable_attributes()->set_id("ctr2");
  c->mutable_memory()->mutable_working_set_bytes()->set_value(1);
  rt::PodSandboxMetrics out = CadvisorMetrics(s, {});
  EXPECT_EQ(out.metrics_size(), 0);
  ASSERT_EQ(out.container_metrics_size(), 1);
  std::set<std::string> names;
  for (const auto& m : out.container_metrics(0).metrics()) names.insert(m.name());
  EXPECT_EQ(names, std::set<std::string>{"container_memory_working_set_bytes"});
}

}  // namespace
}  // namespace berth::daemon
