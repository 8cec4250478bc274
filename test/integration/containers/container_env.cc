#include "test/integration/containers/container_env.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test/integration/harness/cri_configs.h"
#include "test/integration/images/image_env.h"

namespace berth::testing {

namespace rt = runtime::v1;

std::string ContainerTest::BusyboxRef() {
  return ImageEnv::Get("OPEN_REGISTRY") + "/berth-test/busybox:latest";
}

void ContainerTest::SetUp() {
  RequireRoot();
  ASSERT_FALSE(ImageEnv::Get("OPEN_REGISTRY").empty()) << "registry did not start";
  d_ = std::make_unique<BerthdProcess>(ImageEnv::RegistriesYaml() + RuncRuntimeYaml());
  ASSERT_NO_FATAL_FAILURE(d_->Start());
  Reply<rt::PullImageResponse> pulled = cri().PullImage(BusyboxRef());
  ASSERT_TRUE(pulled.ok()) << pulled.status.error_message();
}

void ContainerTest::TearDown() {
  if (!d_) return;
  // Remove every pod so no container outlives the test.
  Reply<rt::ListPodSandboxResponse> pods = cri().ListPods();
  for (const auto& p : pods.response.items()) {
    grpc::Status s = cri().RemovePod(p.id());
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
  Reply<rt::RunPodSandboxResponse> r = cri().RunPod(c);
  EXPECT_TRUE(r.ok()) << r.status.error_message() << "\n" << d_->Log();
  if (config_out) *config_out = c;
  return r.response.pod_sandbox_id();
}

rt::ContainerConfig ContainerTest::Config(const std::string& name, std::vector<std::string> cmd) {
  return ContainerConfig(name, BusyboxRef(), cmd);
}

grpc::Status ContainerTest::Create(const std::string& pod, const rt::ContainerConfig& c,
                                   std::string* id) {
  Reply<rt::CreateContainerResponse> r = cri().CreateContainer(pod, c, std::chrono::seconds(60));
  if (id) *id = r.response.container_id();
  return r.status;
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
  return cri().StartContainer(id);
}

grpc::Status ContainerTest::Stop(const std::string& id, int64_t timeout_s) {
  return cri().StopContainer(id, timeout_s);
}

grpc::Status ContainerTest::Remove(const std::string& id) {
  return cri().RemoveContainer(id);
}

rt::ContainerStatus ContainerTest::Status(const std::string& id) {
  Reply<rt::ContainerStatusResponse> r = cri().ContainerStatus(id);
  EXPECT_TRUE(r.ok()) << r.status.error_message();
  return r.response.status();
}

rt::ContainerStatus ContainerTest::WaitExited(const std::string& id, std::chrono::seconds timeout) {
  rt::ContainerStatus st;
  if (WaitFor(
          [&] {
            st = Status(id);
            return st.state() == rt::CONTAINER_EXITED;
          },
          timeout)) {
    return st;
  }
  ADD_FAILURE() << "container " << id << " did not exit within " << timeout.count() << "s";
  return st;
}

grpc::Status ContainerTest::Exec(const std::string& id, std::vector<std::string> cmd,
                                 int64_t timeout_s, rt::ExecSyncResponse* out) {
  Reply<rt::ExecSyncResponse> r = cri().ExecSync(id, cmd, timeout_s);
  *out = r.response;
  return r.status;
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
  ASSERT_TRUE(WaitFor([&] { return LogOf(name).find(text) != std::string::npos; },
                      std::chrono::seconds(20)))
      << "log " << name << " never had " << text;
}

void ContainerTest::ExpectContainerGone(const std::string& id) {
  EXPECT_TRUE(d_->WaitRemovalsFinished()) << "a removal did not finish after its answer";
  CensusScope scope;
  scope.daemon_dir = d_->dir().path();
  scope.other_dirs = {tmp_.path()};
  scope.runtime_roots = runtime_roots_;
  scope.ids = {id};
  ExpectGone(scope, id);
}

}  // namespace berth::testing
