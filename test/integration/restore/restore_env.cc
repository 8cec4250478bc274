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

// Mount points under `base`, deepest first (for unmounting).
std::vector<std::string> MountsUnder(const std::string& base) {
  std::vector<std::string> out;
  std::istringstream mountinfo(Slurp("/proc/self/mountinfo"));
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, target;
    fields >> id >> parent >> dev >> root >> target;
    if (target.rfind(base + "/", 0) == 0) out.push_back(target);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return out;
}

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
  d_ = std::make_unique<BerthdProcess>();
  // The whole config (as SandboxFixture::StartDaemon writes it), so that the
  // crash point can be armed before the first start.
  std::ofstream(d_->config_path())
      << "root: " << Root() << "\n"
      << "runroot: " << RunRoot() << "\n"
      << "listen: " << d_->socket_path() << "\n"
      << "shutdown_file: " << Root() << "/berth.shutdown\n"
      << "log_level: debug\n"
      << "cni: {conf_dir: " << d_->dir().Sub("cni") << ", plugin_dirs: [" << kCniDir << "]}\n"
      << (runtimes_yaml.empty() ? RuncOnlyYaml() : runtimes_yaml) << ImageEnv::RegistriesYaml()
      << "\n";
  std::ofstream(d_->dir().Sub("cni/10-it.conflist")) << net_.conflist;
  if (!crash_point.empty()) d_->SetEnv("BERTH_CRASH_POINT", crash_point);
  ASSERT_NO_FATAL_FAILURE(d_->Start());
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
  rt::PullImageRequest pull;
  pull.mutable_image()->set_image(BusyboxRef());
  rt::PullImageResponse pulled;
  grpc::Status s = d_->image().PullImage(Ctx(std::chrono::seconds(120)).get(), pull, &pulled);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
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
  rt::ContainerConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_image()->set_image(BusyboxRef());
  for (auto& a : cmd) c.add_command(a);
  c.set_log_path(name + ".log");
  (*c.mutable_labels())["app"] = name;
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
  rt::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod);
  *req.mutable_config() = c;
  rt::CreateContainerResponse resp;
  grpc::Status s = d_->runtime().CreateContainer(Ctx(std::chrono::seconds(90)).get(), req, &resp);
  if (id) *id = resp.container_id();
  return s;
}

std::string RestoreFixture::CreateOk(const std::string& pod, const rt::ContainerConfig& c) {
  std::string id;
  grpc::Status s = Create(pod, c, &id);
  EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  return id;
}

grpc::Status RestoreFixture::Start(const std::string& id) {
  rt::StartContainerRequest req;
  req.set_container_id(id);
  rt::StartContainerResponse resp;
  return d_->runtime().StartContainer(Ctx(std::chrono::seconds(60)).get(), req, &resp);
}

std::string RestoreFixture::CreateAndStartOk(const std::string& pod, const rt::ContainerConfig& c) {
  std::string id = CreateOk(pod, c);
  grpc::Status s = Start(id);
  EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  return id;
}

grpc::Status RestoreFixture::StopContainer(const std::string& id, int64_t timeout_s) {
  rt::StopContainerRequest req;
  req.set_container_id(id);
  req.set_timeout(timeout_s);
  rt::StopContainerResponse resp;
  return d_->runtime().StopContainer(Ctx(std::chrono::seconds(timeout_s + 60)).get(), req, &resp);
}

grpc::Status RestoreFixture::RemoveContainer(const std::string& id) {
  rt::RemoveContainerRequest req;
  req.set_container_id(id);
  rt::RemoveContainerResponse resp;
  return d_->runtime().RemoveContainer(Ctx(std::chrono::seconds(60)).get(), req, &resp);
}

grpc::Status RestoreFixture::ContainerStatus(const std::string& id,
                                             rt::ContainerStatusResponse* out) {
  rt::ContainerStatusRequest req;
  req.set_container_id(id);
  return d_->runtime().ContainerStatus(Ctx().get(), req, out);
}

std::vector<rt::Container> RestoreFixture::ListContainers() {
  rt::ListContainersRequest req;
  rt::ListContainersResponse resp;
  grpc::Status s = d_->runtime().ListContainers(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return {resp.containers().begin(), resp.containers().end()};
}

grpc::Status RestoreFixture::Exec(const std::string& id, std::vector<std::string> cmd,
                                  rt::ExecSyncResponse* out) {
  rt::ExecSyncRequest req;
  req.set_container_id(id);
  for (auto& a : cmd) req.add_cmd(a);
  req.set_timeout(20);
  return d_->runtime().ExecSync(Ctx(std::chrono::seconds(60)).get(), req, out);
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
  EXPECT_THAT(ListDirOrEmpty(Root() + "/containers"), IsEmpty()) << "container bundle left";
  EXPECT_THAT(ListDirOrEmpty(RunRoot() + "/containers"), IsEmpty()) << "container run dir left";
  EXPECT_THAT(ListDirOrEmpty(Root() + "/quarantine"), IsEmpty()) << "something was quarantined";
  EXPECT_THAT(ListDirOrEmpty(Root() + "/image/downloads"), IsEmpty()) << "download left";
  EXPECT_THAT(ListDirOrEmpty(Root() + "/image/layers/tmp"), IsEmpty()) << "layer temp file left";
  for (const auto& kind : ListDirOrEmpty(RunRoot() + "/ns")) {
    if (!fs::is_directory(RunRoot() + "/ns/" + kind)) continue;
    EXPECT_THAT(ListDirOrEmpty(RunRoot() + "/ns/" + kind), IsEmpty()) << kind << " pin left";
  }
  for (const auto& pid : ConmonsNaming(tmp_.path())) {
    ADD_FAILURE() << "conmon " << pid
                  << " names the test dir: " << Slurp("/proc/" + std::to_string(pid) + "/cmdline");
  }
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
    for (const auto& target : MountsUnder(dir)) umount2(target.c_str(), MNT_DETACH);
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
