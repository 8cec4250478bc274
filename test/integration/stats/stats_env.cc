#include "test/integration/stats/stats_env.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "test/integration/images/image_env.h"

namespace berth::testing {

namespace fs = std::filesystem;

namespace {

std::string BusyboxRef() {
  return ImageEnv::Get("OPEN_REGISTRY") + "/berth-test/busybox:latest";
}

}  // namespace

void StatsTest::SetUp() {
  RequireRoot();
  ASSERT_FALSE(ImageEnv::Get("OPEN_REGISTRY").empty()) << "registry did not start";
  net_ = MakeNetwork(tmp_.path());
  // Measuring writable layers every second keeps the disk test short.
  d_ = std::make_unique<BerthdProcess>(BerthdConfig{
      .conflist = net_.conflist,
      .extra_yaml = ImageEnv::RegistriesYaml() + "\nstats: {disk_sample_interval: 1s}\n"});
  ASSERT_NO_FATAL_FAILURE(d_->Start());
  Reply<rt::PullImageResponse> pulled = CriClient(*d_).PullImage(BusyboxRef());
  ASSERT_TRUE(pulled.ok()) << pulled.status.error_message();
}

void StatsTest::TearDown() {
  if (d_) {
    CriClient cri(*d_);
    const Reply<rt::ListPodSandboxResponse> pods = cri.ListPods();
    for (const auto& p : pods.response.items()) {
      grpc::Status s = cri.RemovePod(p.id());
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    d_->StopWith(SIGTERM);
    if (getenv("BERTH_TEST_SHOW_LOG")) std::cerr << d_->Log();
  }
  RunCommand({"/usr/sbin/ip", "link", "del", net_.bridge});
  // runc made the pods' own parent cgroups (as the kubelet would); the
  // kubelet would remove them too.
  for (const std::string& parent : own_cgroups_) {
    std::error_code ec;
    for (const auto& hierarchy : fs::directory_iterator("/sys/fs/cgroup", ec)) {
      rmdir((hierarchy.path().string() + parent).c_str());
    }
    rmdir(("/sys/fs/cgroup" + parent).c_str());
  }
}

std::string StatsTest::RunPod(const std::string& name,
                              const std::map<std::string, std::string>& labels,
                              const std::string& cgroup_parent) {
  rt::PodSandboxConfig c = PodConfig(name, "uid-" + name);
  c.set_log_directory(tmp_.Sub("logs"));
  for (const auto& [k, v] : labels) (*c.mutable_labels())[k] = v;
  if (!cgroup_parent.empty()) {
    c.mutable_linux()->set_cgroup_parent(cgroup_parent);
    own_cgroups_.push_back(cgroup_parent);
  }
  Reply<rt::RunPodSandboxResponse> r = CriClient(*d_).RunPod(c);
  EXPECT_TRUE(r.ok()) << r.status.error_message() << "\n" << d_->Log();
  return r.response.pod_sandbox_id();
}

rt::ContainerConfig StatsTest::Config(const std::string& name, const std::string& script) {
  rt::ContainerConfig c = ContainerConfig(name, BusyboxRef(), {"/bin/sh", "-c", script});
  c.clear_log_path();  // the stats tests read no logs
  return c;
}

std::string StatsTest::Create(const std::string& pod, const rt::ContainerConfig& c) {
  Reply<rt::CreateContainerResponse> r =
      CriClient(*d_).CreateContainer(pod, c, std::chrono::seconds(60));
  EXPECT_TRUE(r.ok()) << r.status.error_message() << "\n" << d_->Log();
  return r.response.container_id();
}

std::string StatsTest::CreateAndStart(const std::string& pod, const rt::ContainerConfig& c) {
  const std::string id = Create(pod, c);
  grpc::Status s = CriClient(*d_).StartContainer(id);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return id;
}

grpc::Status StatsTest::Exec(const std::string& id, const std::vector<std::string>& cmd,
                             rt::ExecSyncResponse* out) {
  Reply<rt::ExecSyncResponse> r = CriClient(*d_).ExecSync(id, cmd, 60);
  *out = r.response;
  return r.status;
}

rt::ContainerStats StatsTest::ContainerStats(const std::string& id) {
  rt::ContainerStatsRequest req;
  req.set_container_id(id);
  rt::ContainerStatsResponse resp;
  grpc::Status s = d_->runtime().ContainerStats(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.stats();
}

std::vector<rt::ContainerStats> StatsTest::ListContainerStats(const rt::ContainerStatsFilter& f) {
  rt::ListContainerStatsRequest req;
  *req.mutable_filter() = f;
  rt::ListContainerStatsResponse resp;
  grpc::Status s = d_->runtime().ListContainerStats(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return {resp.stats().begin(), resp.stats().end()};
}

rt::PodSandboxStats StatsTest::PodStats(const std::string& id) {
  rt::PodSandboxStatsRequest req;
  req.set_pod_sandbox_id(id);
  rt::PodSandboxStatsResponse resp;
  grpc::Status s = d_->runtime().PodSandboxStats(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.stats();
}

std::vector<rt::PodSandboxStats> StatsTest::ListPodStats(const rt::PodSandboxStatsFilter& f) {
  rt::ListPodSandboxStatsRequest req;
  *req.mutable_filter() = f;
  rt::ListPodSandboxStatsResponse resp;
  grpc::Status s = d_->runtime().ListPodSandboxStats(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return {resp.stats().begin(), resp.stats().end()};
}

std::vector<std::string> IdsOf(const std::vector<rt::ContainerStats>& stats) {
  std::vector<std::string> ids;
  for (const auto& s : stats) ids.push_back(s.attributes().id());
  return ids;
}

std::vector<std::string> IdsOf(const std::vector<rt::PodSandboxStats>& stats) {
  std::vector<std::string> ids;
  for (const auto& s : stats) ids.push_back(s.attributes().id());
  return ids;
}

}  // namespace berth::testing
