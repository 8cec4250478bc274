#include "daemon/pod_metrics_cadvisor.h"

#include <google/protobuf/repeated_field.h>

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {

constexpr uint64_t kNsPerSecond = 1000000000;

// One family: its name, help, type and the label keys after the base ones.
struct Family {
  const char* name;
  const char* help;
  rt::MetricType type;
  std::vector<const char*> extra_keys;
};

const Family kCpuUsage{"container_cpu_usage_seconds_total",
                       "Cumulative cpu time consumed in seconds.",
                       rt::COUNTER,
                       {"cpu"}};
const Family kMemoryUsage{"container_memory_usage_bytes",
                          "Current memory usage in bytes, including all memory regardless of when "
                          "it was accessed",
                          rt::GAUGE,
                          {}};
const Family kWorkingSet{
    "container_memory_working_set_bytes", "Current working set in bytes.", rt::GAUGE, {}};
const Family kRss{"container_memory_rss", "Size of RSS in bytes.", rt::GAUGE, {}};
const Family kMemoryFailures{"container_memory_failures_total",
                             "Cumulative count of memory allocation failures.",
                             rt::COUNTER,
                             {"failure_type", "scope"}};
const Family kSwap{"container_memory_swap", "Container swap usage in bytes.", rt::GAUGE, {}};
const Family kFsUsage{"container_fs_usage_bytes",
                      "Number of bytes that are consumed by the container on this filesystem.",
                      rt::GAUGE,
                      {"device"}};
const Family kProcesses{
    "container_processes", "Number of processes running inside the container.", rt::GAUGE, {}};
const Family kRxBytes{"container_network_receive_bytes_total",
                      "Cumulative count of bytes received",
                      rt::COUNTER,
                      {"interface"}};
const Family kRxErrors{"container_network_receive_errors_total",
                       "Cumulative count of errors encountered while receiving",
                       rt::COUNTER,
                       {"interface"}};
const Family kTxBytes{"container_network_transmit_bytes_total",
                      "Cumulative count of bytes transmitted",
                      rt::COUNTER,
                      {"interface"}};
const Family kTxErrors{"container_network_transmit_errors_total",
                       "Cumulative count of errors encountered while transmitting",
                       rt::COUNTER,
                       {"interface"}};

const std::vector<const Family*>& AllFamilies() {
  static const std::vector<const Family*> all = {
      &kCpuUsage, &kMemoryUsage, &kWorkingSet, &kRss,      &kMemoryFailures, &kSwap,
      &kFsUsage,  &kProcesses,   &kRxBytes,    &kRxErrors, &kTxBytes,        &kTxErrors};
  return all;
}

// Appends metrics of one object (container or pod) with its base labels.
class MetricWriter {
 public:
  MetricWriter(google::protobuf::RepeatedPtrField<rt::Metric>* out,
               std::vector<std::string> base_values)
      : out_(out), base_(std::move(base_values)) {}

  void Add(const Family& f, int64_t timestamp, uint64_t value,
           const std::vector<std::string>& extra_values = {}) {
    rt::Metric* m = out_->Add();
    m->set_name(f.name);
    m->set_timestamp(timestamp);
    m->set_metric_type(f.type);
    for (const std::string& v : base_) m->add_label_values(v);
    for (const std::string& v : extra_values) m->add_label_values(v);
    m->mutable_value()->set_value(value);
  }

  // CPU, memory and swap: what a container and a pod's cgroup both have.
  void AddCgroupFigures(const rt::CpuUsage& cpu, const rt::MemoryUsage& memory,
                        const rt::SwapUsage* swap) {
    if (cpu.has_usage_core_nano_seconds()) {
      Add(kCpuUsage, cpu.timestamp(), cpu.usage_core_nano_seconds().value() / kNsPerSecond,
          {"total"});
    }
    const int64_t t = memory.timestamp();
    if (memory.has_usage_bytes()) Add(kMemoryUsage, t, memory.usage_bytes().value());
    if (memory.has_working_set_bytes()) Add(kWorkingSet, t, memory.working_set_bytes().value());
    if (memory.has_rss_bytes()) Add(kRss, t, memory.rss_bytes().value());
    if (memory.has_page_faults()) {
      Add(kMemoryFailures, t, memory.page_faults().value(), {"pgfault", "container"});
    }
    if (memory.has_major_page_faults()) {
      Add(kMemoryFailures, t, memory.major_page_faults().value(), {"pgmajfault", "container"});
    }
    if (swap && swap->has_swap_usage_bytes()) {
      Add(kSwap, swap->timestamp(), swap->swap_usage_bytes().value());
    }
  }

 private:
  google::protobuf::RepeatedPtrField<rt::Metric>* out_;
  const std::vector<std::string> base_;
};

void AddNetwork(const rt::NetworkUsage& net, MetricWriter& w) {
  auto add = [&](const rt::NetworkInterfaceUsage& i) {
    if (i.name().empty()) return;
    const int64_t t = net.timestamp();
    if (i.has_rx_bytes()) w.Add(kRxBytes, t, i.rx_bytes().value(), {i.name()});
    if (i.has_rx_errors()) w.Add(kRxErrors, t, i.rx_errors().value(), {i.name()});
    if (i.has_tx_bytes()) w.Add(kTxBytes, t, i.tx_bytes().value(), {i.name()});
    if (i.has_tx_errors()) w.Add(kTxErrors, t, i.tx_errors().value(), {i.name()});
  };
  if (net.has_default_interface()) add(net.default_interface());
  for (const auto& i : net.interfaces()) add(i);
}

}  // namespace

std::vector<rt::MetricDescriptor> CadvisorDescriptors() {
  std::vector<rt::MetricDescriptor> out;
  for (const Family* f : AllFamilies()) {
    rt::MetricDescriptor& d = out.emplace_back();
    d.set_name(f->name);
    d.set_help(f->help);
    for (const char* key : {"id", "name", "image"}) d.add_label_keys(key);
    for (const char* key : f->extra_keys) d.add_label_keys(key);
  }
  return out;
}

rt::PodSandboxMetrics CadvisorMetrics(const rt::PodSandboxStats& stats,
                                      const std::map<std::string, std::string>& images) {
  rt::PodSandboxMetrics out;
  const std::string& pod_id = stats.attributes().id();
  out.set_pod_sandbox_id(pod_id);
  const rt::LinuxPodSandboxStats& pod = stats.linux();
  MetricWriter pod_writer(out.mutable_metrics(), {pod_id, "POD", ""});
  pod_writer.AddCgroupFigures(pod.cpu(), pod.memory(), nullptr);
  if (pod.has_process() && pod.process().has_process_count()) {
    pod_writer.Add(kProcesses, pod.process().timestamp(), pod.process().process_count().value());
  }
  if (pod.has_network()) AddNetwork(pod.network(), pod_writer);

  for (const rt::ContainerStats& c : pod.containers()) {
    rt::ContainerMetrics* cm = out.add_container_metrics();
    const std::string& id = c.attributes().id();
    cm->set_container_id(id);
    auto image = images.find(id);
    MetricWriter w(cm->mutable_metrics(), {id, c.attributes().metadata().name(),
                                           image == images.end() ? "" : image->second});
    w.AddCgroupFigures(c.cpu(), c.memory(), c.has_swap() ? &c.swap() : nullptr);
    if (c.has_writable_layer() && c.writable_layer().has_used_bytes()) {
      w.Add(kFsUsage, c.writable_layer().timestamp(), c.writable_layer().used_bytes().value(),
            {c.writable_layer().fs_id().mountpoint()});
    }
  }
  return out;
}

}  // namespace berth::daemon
