#include "test/integration/stats/stats_env.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

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
  d_ = std::make_unique<BerthdProcess>(ImageEnv::RegistriesYaml() +
                                       "\nstats: {disk_sample_interval: 1s}\n");
  std::ofstream(d_->dir().Sub("cni/10-it.conflist")) << net_.conflist;
  ASSERT_NO_FATAL_FAILURE(d_->Start());
  rt::PullImageRequest pull;
  pull.mutable_image()->set_image(BusyboxRef());
  rt::PullImageResponse pulled;
  grpc::Status s = d_->image().PullImage(Ctx(std::chrono::seconds(120)).get(), pull, &pulled);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

void StatsTest::TearDown() {
  if (d_) {
    rt::ListPodSandboxResponse pods;
    (void)d_->runtime().ListPodSandbox(Ctx().get(), {}, &pods);
    for (const auto& p : pods.items()) {
      rt::RemovePodSandboxRequest req;
      req.set_pod_sandbox_id(p.id());
      rt::RemovePodSandboxResponse resp;
      grpc::Status s =
          d_->runtime().RemovePodSandbox(Ctx(std::chrono::seconds(60)).get(), req, &resp);
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
  rt::RunPodSandboxRequest req;
  *req.mutable_config() = c;
  rt::RunPodSandboxResponse resp;
  grpc::Status s = d_->runtime().RunPodSandbox(Ctx(std::chrono::seconds(120)).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  return resp.pod_sandbox_id();
}

rt::ContainerConfig StatsTest::Config(const std::string& name, const std::string& script) {
  rt::ContainerConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_image()->set_image(BusyboxRef());
  c.add_command("/bin/sh");
  c.add_command("-c");
  c.add_command(script);
  (*c.mutable_labels())["app"] = name;
  return c;
}

std::string StatsTest::Create(const std::string& pod, const rt::ContainerConfig& c) {
  rt::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod);
  *req.mutable_config() = c;
  rt::CreateContainerResponse resp;
  grpc::Status s = d_->runtime().CreateContainer(Ctx(std::chrono::seconds(60)).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  return resp.container_id();
}

std::string StatsTest::CreateAndStart(const std::string& pod, const rt::ContainerConfig& c) {
  const std::string id = Create(pod, c);
  rt::StartContainerRequest req;
  req.set_container_id(id);
  rt::StartContainerResponse resp;
  grpc::Status s = d_->runtime().StartContainer(Ctx(std::chrono::seconds(60)).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return id;
}

grpc::Status StatsTest::Exec(const std::string& id, const std::vector<std::string>& cmd,
                             rt::ExecSyncResponse* out) {
  rt::ExecSyncRequest req;
  req.set_container_id(id);
  for (const auto& a : cmd) req.add_cmd(a);
  req.set_timeout(60);
  return d_->runtime().ExecSync(Ctx(std::chrono::seconds(90)).get(), req, out);
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
