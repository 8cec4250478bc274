#include "test/integration/restore/restore_env.h"

#include <gmock/gmock.h>
#include <signal.h>
#include <sys/mount.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "test/integration/images/image_env.h"

namespace berth::testing {

namespace fs = std::filesystem;
using ::testing::IsEmpty;

namespace {

// Pids of conmon processes whose command line names `base`.
std::vector<pid_t> ConmonsNaming(const std::string& base) {
  std::vector<pid_t> out;
  for (const auto& e : ListDirOrEmpty("/proc")) {
    if (e.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string comm = Slurp("/proc/" + e + "/comm");
    if (comm.rfind("conmon", 0) != 0) continue;
    std::string cmdline = Slurp("/proc/" + e + "/cmdline");
    if (cmdline.find(base) != std::string::npos) out.push_back(std::stoi(e));
  }
  return out;
}

}  // namespace

std::string RestoreFixture::BusyboxRef() {
  return ImageEnv::Get("OPEN_REGISTRY") + "/berth-test/busybox:latest";
}

void RestoreFixture::StartRestoreDaemon(const std::string& crash_point,
                                        const std::string& runtimes_yaml) {
  ASSERT_FALSE(ImageEnv::Get("OPEN_REGISTRY").empty()) << "registry did not start";
  net_ = MakeNetwork(tmp_.path());
  have_net_ = true;
  d_ = std::make_unique<BerthdProcess>(BerthdConfig{
      .cni_plugin_dirs = {kCniDir},
      .conflist = net_.conflist,
      .extra_yaml =
          (runtimes_yaml.empty() ? RuncOnlyYaml() : runtimes_yaml) + ImageEnv::RegistriesYaml()});
  // Armed before the first start.
  if (!crash_point.empty()) d_->SetEnv("BERTH_CRASH_POINT", crash_point);
  ASSERT_NO_FATAL_FAILURE(StartAndTakeBaseline());
}

void RestoreFixture::StopDaemon() {
  int code = d_->StopWith(SIGTERM);
  EXPECT_EQ(code, 0) << "berthd did not stop cleanly on SIGTERM:\n" << d_->Log();
}

void RestoreFixture::Restart() {
  d_->SetEnv("BERTH_CRASH_POINT", "");
  ASSERT_NO_FATAL_FAILURE(d_->Start());
}

void RestoreFixture::ExpectCrashed(const std::string& point) {
  int code = d_->WaitExit(std::chrono::seconds(120));
  EXPECT_EQ(code, 86) << "berthd should have died at crash point " << point << ":\n" << d_->Log();
  EXPECT_THAT(d_->Log(), ::testing::HasSubstr("crash point " + point + " reached"));
}

void RestoreFixture::DriveToCrash(const std::string& point, const rt::ContainerConfig& worker) {
  const std::string op = point.substr(0, point.find('/'));
  if (op != "sandbox-run") {
    ASSERT_NO_FATAL_FAILURE(PullBusybox());
  }
  grpc::Status s;
  if (op == "sandbox-run") {
    rt::PodSandboxConfig c = PodConfig("crash-pod", "uid-crash-pod");
    c.set_log_directory(LogDir());
    s = Run(c, nullptr);
  } else {
    const std::string pod = RunPodOk("crash-pod");
    ASSERT_FALSE(pod.empty());
    if (op == "sandbox-stop") {
      CreateAndStartOk(pod, worker);
      s = Stop(pod);
    } else if (op == "sandbox-remove") {
      CreateAndStartOk(pod, worker);
      s = Remove(pod);
    } else if (op == "container-create") {
      s = Create(pod, worker, nullptr);
    } else if (op == "container-start") {
      s = Start(CreateOk(pod, worker));
    } else if (op == "container-stop") {
      s = StopContainer(CreateAndStartOk(pod, worker), 10);
    } else if (op == "container-remove") {
      s = RemoveContainer(CreateAndStartOk(pod, worker));
    } else {
      FAIL() << "no driver for operation " << op << ": add one to RestoreFixture::DriveToCrash";
    }
  }
  // A removal answers before its reaper's steps: there the call may succeed.
  if (point.find("/reap-") == std::string::npos) {
    EXPECT_FALSE(s.ok()) << op << " succeeded although berthd should have died in it";
  }
}

void RestoreFixture::PullBusybox() {
  Reply<rt::PullImageResponse> r = cri_->PullImage(BusyboxRef());
  ASSERT_TRUE(r.ok()) << r.status.error_message() << "\n" << d_->Log();
}

std::string RestoreFixture::RunPodOk(const std::string& name, bool host_network) {
  rt::PodSandboxConfig c = PodConfig(name, "uid-" + name);
  c.set_log_directory(LogDir());
  if (host_network) SetHostNetwork(&c);
  std::string id;
  grpc::Status s = Run(c, &id);
  EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  return id;
}

rt::ContainerConfig RestoreFixture::Config(const std::string& name, std::vector<std::string> cmd) {
  rt::ContainerConfig c = ContainerConfig(name, BusyboxRef(), cmd);
  (*c.mutable_labels())["tier"] = "test";
  (*c.mutable_annotations())["io.berth.test/note"] = "restore";
  return c;
}

rt::ContainerConfig RestoreFixture::TermExiting(const std::string& name, int code) {
  // Short sleeps: the shell runs its trap between two of them.
  return Config(name,
                {"/bin/sh", "-c",
                 "trap 'exit " + std::to_string(code) + "' TERM; while true; do sleep 0.1; done"});
}

grpc::Status RestoreFixture::Create(const std::string& pod, const rt::ContainerConfig& c,
                                    std::string* id) {
  Reply<rt::CreateContainerResponse> r = cri_->CreateContainer(pod, c);
  if (id) *id = r.response.container_id();
  return r.status;
}

std::string RestoreFixture::CreateOk(const std::string& pod, const rt::ContainerConfig& c) {
  std::string id;
  grpc::Status s = Create(pod, c, &id);
  EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  return id;
}

grpc::Status RestoreFixture::Start(const std::string& id) {
  return cri_->StartContainer(id);
}

std::string RestoreFixture::CreateAndStartOk(const std::string& pod, const rt::ContainerConfig& c) {
  std::string id = CreateOk(pod, c);
  grpc::Status s = Start(id);
  EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  return id;
}

grpc::Status RestoreFixture::StopContainer(const std::string& id, int64_t timeout_s) {
  return cri_->StopContainer(id, timeout_s);
}

grpc::Status RestoreFixture::RemoveContainer(const std::string& id) {
  return cri_->RemoveContainer(id);
}

grpc::Status RestoreFixture::ContainerStatus(const std::string& id,
                                             rt::ContainerStatusResponse* out) {
  Reply<rt::ContainerStatusResponse> r = cri_->ContainerStatus(id);
  *out = r.response;
  return r.status;
}

std::vector<rt::Container> RestoreFixture::ListContainers() {
  Reply<rt::ListContainersResponse> r = cri_->ListContainers();
  EXPECT_TRUE(r.ok()) << r.status.error_message();
  return {r.response.containers().begin(), r.response.containers().end()};
}

grpc::Status RestoreFixture::Exec(const std::string& id, std::vector<std::string> cmd,
                                  rt::ExecSyncResponse* out) {
  Reply<rt::ExecSyncResponse> r = cri_->ExecSync(id, cmd);
  *out = r.response;
  return r.status;
}

rt::ContainerStatus RestoreFixture::WaitExited(const std::string& id,
                                               std::chrono::seconds timeout) {
  rt::ContainerStatusResponse resp;
  bool exited = WaitFor(
      [&] {
        resp.Clear();
        return ContainerStatus(id, &resp).ok() && resp.status().state() == rt::CONTAINER_EXITED;
      },
      timeout);
  EXPECT_TRUE(exited) << "container " << id << " did not exit within " << timeout.count() << "s";
  return resp.status();
}

void RestoreFixture::KubeletCleanup() {
  for (const auto& p : List()) {
    grpc::Status s = Stop(p.id());
    EXPECT_TRUE(s.ok()) << "StopPodSandbox " << p.id() << ": " << s.error_message() << "\n"
                        << d_->Log();
  }
  for (const auto& c : ListContainers()) {
    grpc::Status s = RemoveContainer(c.id());
    EXPECT_TRUE(s.ok()) << "RemoveContainer " << c.id() << ": " << s.error_message();
  }
  for (const auto& p : List()) {
    grpc::Status s = Remove(p.id());
    EXPECT_TRUE(s.ok()) << "RemovePodSandbox " << p.id() << ": " << s.error_message();
  }
  EXPECT_THAT(List(), IsEmpty());
  EXPECT_THAT(ListContainers(), IsEmpty());
}

void RestoreFixture::ExpectNoLeaksAtAll(std::vector<std::string> runtime_roots) {
  if (runtime_roots.empty()) runtime_roots.push_back(RuncRoot());
  ExpectNoLeaks(runtime_roots);
}

void RestoreFixture::ScrubHost() {
  if (!d_) return;
  const std::string base = d_->dir().path();
  for (const std::string& root : {RuncRoot(), RecRoot()}) {
    std::istringstream ids(RunCommand({kRunc, "--root", root, "list", "-q"}).output);
    for (std::string id; std::getline(ids, id);) {
      if (!id.empty()) RunCommand({kRunc, "--root", root, "delete", "--force", id});
    }
  }
  for (const std::string& dir : {base, tmp_.path()}) {
    for (pid_t pid : ConmonsNaming(dir)) kill(pid, SIGKILL);
    for (const auto& target : MountPointsUnder(dir)) {
      if (target != dir) umount2(target.c_str(), MNT_DETACH);
    }
  }
}

void RestoreFixture::TearDown() {
  if (d_ && (HasFailure() || getenv("BERTH_TEST_SHOW_LOG")))
    std::cerr << "berthd log:\n" << d_->Log();
  if (d_ && d_->pid() > 0 && HasFailure()) {
    // Best effort, so a failed test leaves the host as it found it.
    for (const auto& p : List()) (void)Remove(p.id());
  }
  if (d_) d_->StopWith(SIGTERM);
  ScrubHost();
  SandboxFixture::TearDown();
}

}  // namespace berth::testing
