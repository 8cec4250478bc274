#include "test/unit/daemon_handlers/handler_env.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "daemon/object_ids.h"
#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"

namespace berth::daemon::testing {

namespace rt = runtime::v1;

namespace {
// Beside the test binary (CMake copies it there).
std::string FakeRuntimePath() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "fake_oci_runtime.sh").string();
}

void Check(const Status& s, const std::string& what) {
  ASSERT_TRUE(s.ok()) << what << ": " << s.ToString();
}
}  // namespace

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

config::RuntimeEntry RuntimeAt(const std::string& path, const std::string& root) {
  config::RuntimeEntry r;
  r.path = path;
  r.root = root;
  return r;
}

void HandlerTest::SetUp() {
  char tmpl[] = "/tmp/berth-handlers-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  dir_ = tmpl;
  runtime_ = FakeRuntimePath();
  ASSERT_EQ(access(runtime_.c_str(), X_OK), 0) << runtime_ << " is missing";
  runtime_root_ = dir_ + "/runtime-root";
  config_ = TestConfig();
  ASSERT_NO_FATAL_FAILURE(Check(MkdirAll(runtime_root_, 0700), "runtime root"));
  // The fake runtime writes exit files where conmon would.
  std::ofstream(runtime_root_ + "/exit_dir") << config_.runroot + "/exits";
  server_ = OpenServer(config_);
  // What opening asked the runtime (--version, features) is not the tests' business.
  unlink((runtime_root_ + "/calls").c_str());
}

void HandlerTest::TearDown() {
  server_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

config::Config HandlerTest::TestConfig() const {
  config::Config c;
  c.root = dir_ + "/root";
  c.runroot = dir_ + "/run";
  c.listen = dir_ + "/berth.sock";  // never claimed: Open() serves no socket
  c.shutdown_file = dir_ + "/root/berth.shutdown";
  c.conmon = "/bin/true";  // never run: nothing here creates through conmon
  c.runtimes.clear();
  c.runtimes["runc"] = RuntimeAt(runtime_, runtime_root_);
  c.default_runtime = c.trusted_runtime = "runc";
  c.cni.conf_dir = dir_ + "/cni-conf";
  c.cni.plugin_dirs = {dir_ + "/cni-bin"};
  c.stream.address = "127.0.0.1";
  c.stream.port = 0;
  return c;
}

std::unique_ptr<Server> HandlerTest::OpenServer(const config::Config& config) {
  EXPECT_TRUE(MkdirAll(config.cni.conf_dir, 0755).ok());
  auto server = std::make_unique<Server>(config, dir_ + "/berth.yaml");
  Status s = server->Open();
  EXPECT_TRUE(s.ok()) << "Open: " << s.ToString();
  return server;
}

void HandlerTest::Restart() {
  server_.reset();
  server_ = OpenServer(config_);
}

std::shared_ptr<Sandbox> HandlerTest::AddReadySandbox(const std::string& name) {
  auto s = std::make_shared<Sandbox>();
  s->id = NewObjectId();
  s->name = "k8s_" + name + "_default_uid-" + name + "_0";
  rt::PodSandboxMetadata* md = s->config.mutable_metadata();
  md->set_name(name);
  md->set_namespace_("default");
  md->set_uid("uid-" + name);
  auto* ns = s->config.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_network(rt::NODE);
  ns->set_pid(rt::NODE);
  ns->set_ipc(rt::NODE);
  s->created_at_ns = 1;
  s->runtime_name = "runc";
  s->runtime_path = runtime_;
  s->runtime_root = runtime_root_;
  s->bundle_dir = config_.root + "/sandboxes/" + s->id;
  s->state = rt::SANDBOX_READY;
  EXPECT_TRUE(MkdirAll(s->bundle_dir, 0711).ok());
  s->pid = 4241;
  WriteRuntimeRecord(s->id, "running", s->pid);
  EXPECT_TRUE(server_->sandboxes().names().Reserve(s->name, s->id).ok());
  EXPECT_TRUE(server_->sandboxes().Add(s).ok());
  return s;
}

nlohmann::json HandlerTest::DefaultProcess() {
  return {{"args", {"sleep", "1d"}},
          {"env", {"PATH=/usr/bin:/bin", "GREETING=hello"}},
          {"cwd", "/srv"},
          {"user", {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {1000, 27}}}},
          {"noNewPrivileges", true},
          {"terminal", false}};
}

std::shared_ptr<Container> HandlerTest::AddContainer(const Sandbox& pod, const std::string& name,
                                                     rt::ContainerState state,
                                                     const nlohmann::json& process) {
  auto c = std::make_shared<Container>();
  c->id = NewObjectId();
  c->name = "k8s_" + name + "_" + pod.config.metadata().name() + "_default_" +
            pod.config.metadata().uid() + "_0";
  c->sandbox_id = pod.id;
  c->config.mutable_metadata()->set_name(name);
  c->config.mutable_image()->set_image("example.test/app:1");
  c->image_id = "sha256:" + std::string(64, 'a');
  c->image_name = c->image_ref = "example.test/app:1";
  c->created_at_ns = 2;
  c->bundle_dir = config_.root + "/containers/" + c->id;
  c->runtime_name = pod.runtime_name;
  c->runtime_path = pod.runtime_path;
  c->runtime_root = pod.runtime_root;
  c->state = state;
  if (state != rt::CONTAINER_CREATED) c->started_at_ns = 3;
  if (state == rt::CONTAINER_RUNNING) c->pid = 4242;
  EXPECT_TRUE(MkdirAll(c->bundle_dir, 0711).ok());
  EXPECT_TRUE(MkdirAll(config_.runroot + "/containers/" + c->id, 0700).ok());
  nlohmann::json spec = {{"ociVersion", "1.0.2"}, {"process", process}};
  EXPECT_TRUE(WriteFileAtomic(c->bundle_dir + "/config.json", spec.dump(), 0600).ok());
  WriteRuntimeRecord(c->id,
                     state == rt::CONTAINER_RUNNING   ? "running"
                     : state == rt::CONTAINER_CREATED ? "created"
                                                      : "stopped",
                     c->pid);
  EXPECT_TRUE(server_->containers().names().Reserve(c->name, c->id).ok());
  EXPECT_TRUE(server_->containers().Add(c).ok());
  return c;
}

void HandlerTest::WriteRuntimeRecord(const std::string& id, const std::string& status, int pid) {
  const std::string record = runtime_root_ + "/" + id;
  EXPECT_TRUE(MkdirAll(record, 0700).ok());
  std::ofstream(record + "/status") << status << "\n";
  std::ofstream(record + "/pid") << pid << "\n";
}

std::string HandlerTest::RuntimeFile(const std::string& id, const std::string& name) const {
  return runtime_root_ + "/" + id + "/" + name;
}

void HandlerTest::SetRuntimeFlag(const std::string& id, const std::string& name,
                                 const std::string& content) {
  std::ofstream(RuntimeFile(id, name)) << content;
}

std::vector<std::string> HandlerTest::RuntimeCalls() const {
  std::ifstream in(runtime_root_ + "/calls");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> HandlerTest::RuntimeCallsStartingWith(const std::string& prefix) const {
  std::vector<std::string> out;
  for (const std::string& call : RuntimeCalls()) {
    if (call.rfind(prefix, 0) == 0) out.push_back(call);
  }
  return out;
}

}  // namespace berth::daemon::testing
