#include "test/integration/containers/container_env.h"

#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "test/integration/images/image_env.h"

namespace berth::testing {

namespace rt = runtime::v1;
namespace fs = std::filesystem;

std::string ContainerTest::BusyboxRef() {
  return ImageEnv::Get("OPEN_REGISTRY") + "/berth-test/busybox:latest";
}

void ContainerTest::SetUp() {
  RequireRoot();
  ASSERT_FALSE(ImageEnv::Get("OPEN_REGISTRY").empty()) << "registry did not start";
  d_ = std::make_unique<BerthdProcess>(ImageEnv::RegistriesYaml());
  ASSERT_NO_FATAL_FAILURE(d_->Start());
  rt::PullImageRequest pull;
  pull.mutable_image()->set_image(BusyboxRef());
  rt::PullImageResponse pulled;
  grpc::Status s = d_->image().PullImage(Ctx(std::chrono::seconds(120)).get(), pull, &pulled);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

void ContainerTest::TearDown() {
  if (!d_) return;
  // Remove every pod so no container outlives the test.
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

std::string ContainerTest::RunPod(const std::string& name, rt::PodSandboxConfig* config_out,
                                  bool privileged) {
  rt::PodSandboxConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_("default");
  c.mutable_metadata()->set_uid("uid-" + name);
  c.set_log_directory(log_dir());
  c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(rt::NODE);
  c.mutable_linux()->mutable_security_context()->set_privileged(privileged);
  rt::RunPodSandboxRequest req;
  *req.mutable_config() = c;
  rt::RunPodSandboxResponse resp;
  grpc::Status s = d_->runtime().RunPodSandbox(Ctx(std::chrono::seconds(120)).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  if (config_out) *config_out = c;
  return resp.pod_sandbox_id();
}

rt::ContainerConfig ContainerTest::Config(const std::string& name, std::vector<std::string> cmd) {
  rt::ContainerConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_image()->set_image(BusyboxRef());
  for (auto& a : cmd) c.add_command(a);
  c.set_log_path(name + ".log");
  (*c.mutable_labels())["app"] = name;
  return c;
}

grpc::Status ContainerTest::Create(const std::string& pod, const rt::ContainerConfig& c,
                                   std::string* id) {
  rt::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod);
  *req.mutable_config() = c;
  rt::CreateContainerResponse resp;
  grpc::Status s = d_->runtime().CreateContainer(Ctx(std::chrono::seconds(60)).get(), req, &resp);
  if (id) *id = resp.container_id();
  return s;
}

std::string ContainerTest::CreateAndStart(const std::string& pod, const rt::ContainerConfig& c) {
  std::string id;
  grpc::Status s = Create(pod, c, &id);
  EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  s = Start(id);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return id;
}

grpc::Status ContainerTest::Start(const std::string& id) {
  rt::StartContainerRequest req;
  req.set_container_id(id);
  rt::StartContainerResponse resp;
  return d_->runtime().StartContainer(Ctx(std::chrono::seconds(60)).get(), req, &resp);
}

grpc::Status ContainerTest::Stop(const std::string& id, int64_t timeout_s) {
  rt::StopContainerRequest req;
  req.set_container_id(id);
  req.set_timeout(timeout_s);
  rt::StopContainerResponse resp;
  return d_->runtime().StopContainer(Ctx(std::chrono::seconds(timeout_s + 60)).get(), req, &resp);
}

grpc::Status ContainerTest::Remove(const std::string& id) {
  rt::RemoveContainerRequest req;
  req.set_container_id(id);
  rt::RemoveContainerResponse resp;
  return d_->runtime().RemoveContainer(Ctx(std::chrono::seconds(60)).get(), req, &resp);
}

rt::ContainerStatus ContainerTest::Status(const std::string& id) {
  rt::ContainerStatusRequest req;
  req.set_container_id(id);
  rt::ContainerStatusResponse resp;
  grpc::Status s = d_->runtime().ContainerStatus(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.status();
}

rt::ContainerStatus ContainerTest::WaitExited(const std::string& id, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  rt::ContainerStatus st;
  do {
    st = Status(id);
    if (st.state() == rt::CONTAINER_EXITED) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  ADD_FAILURE() << "container " << id << " did not exit within " << timeout.count() << "s";
  return st;
}

grpc::Status ContainerTest::Exec(const std::string& id, std::vector<std::string> cmd,
                                 int64_t timeout_s, rt::ExecSyncResponse* out) {
  rt::ExecSyncRequest req;
  req.set_container_id(id);
  for (auto& a : cmd) req.add_cmd(a);
  req.set_timeout(timeout_s);
  return d_->runtime().ExecSync(Ctx(std::chrono::seconds(timeout_s + 30)).get(), req, out);
}

std::string ContainerTest::LogOf(const std::string& name) {
  std::ifstream in(log_dir() + "/" + name + ".log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ContainerTest::LogText(const std::string& name, const std::string& stream) {
  std::istringstream in(LogOf(name));
  std::string line, out;
  while (std::getline(in, line)) {
    // <RFC3339Nano> <stream> <F|P> <text>
    std::istringstream parts(line);
    std::string ts, s, tag;
    parts >> ts >> s >> tag;
    if (s != stream) continue;
    std::string text = line.substr(std::min(line.size(), ts.size() + s.size() + tag.size() + 3));
    out += text;
    if (tag == "F") out += "\n";
  }
  return out;
}

void ContainerTest::WaitForLog(const std::string& name, const std::string& text) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (LogOf(name).find(text) == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "log " << name << " never had " << text;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void ContainerTest::ExpectContainerGone(const std::string& id) {
  EXPECT_TRUE(d_->WaitRemovalsFinished()) << "a removal did not finish after its answer";
  std::string mounts = RunCommand({"/usr/bin/findmnt", "-rn", "-o", "TARGET"}).output;
  EXPECT_THAT(mounts, ::testing::Not(::testing::HasSubstr(id))) << "a mount is left";
  EXPECT_FALSE(fs::exists(d_->dir().Sub("root/containers/" + id)));
  EXPECT_FALSE(fs::exists(d_->dir().Sub("run/containers/" + id)));
  EXPECT_FALSE(fs::exists(d_->dir().Sub("run/exits/" + id)));
  std::string procs = RunCommand({"/usr/bin/pgrep", "-af", "conmon"}).output;
  EXPECT_THAT(procs, ::testing::Not(::testing::HasSubstr(id))) << "conmon is left";
}

}  // namespace berth::testing
