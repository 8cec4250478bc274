#include "test/integration/sandbox/sandbox_env.h"

#include <gmock/gmock.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "pkg/fs/dir.h"

namespace berth::testing {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

TestNetwork MakeNetwork(const std::string& dir,
                        const std::vector<std::string>& extra_plugin_types) {
  unsigned char r[3];
  if (getrandom(r, sizeof r, 0) != sizeof r) std::abort();
  TestNetwork n;
  char name[16];
  snprintf(name, sizeof name, "bsx%02x%02x%02x", r[0], r[1], r[2]);
  n.bridge = name;
  n.subnet_prefix = "10." + std::to_string(200 + r[0] % 50) + "." + std::to_string(r[1]) + ".";
  n.ipam_dir = dir + "/ipam";
  nlohmann::json plugins = {{{"type", "bridge"},
                             {"bridge", n.bridge},
                             {"isGateway", true},
                             {"ipMasq", false},
                             {"ipam",
                              {{"type", "host-local"},
                               {"dataDir", n.ipam_dir},
                               {"ranges", {{{{"subnet", n.subnet_prefix + "0/24"}}}}},
                               {"routes", {{{"dst", "0.0.0.0/0"}}}}}}},
                            {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}}};
  for (const auto& type : extra_plugin_types) plugins.push_back({{"type", type}});
  n.conflist =
      nlohmann::json{{"cniVersion", "1.0.0"}, {"name", "berth-it"}, {"plugins", plugins}}.dump();
  return n;
}

rt::PodSandboxConfig PodConfig(const std::string& name, const std::string& uid) {
  rt::PodSandboxConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_("default");
  c.mutable_metadata()->set_uid(uid);
  c.set_hostname(name);
  (*c.mutable_labels())["app"] = name;
  return c;
}

void SetHostNetwork(rt::PodSandboxConfig* c) {
  c->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      rt::NODE);
}

std::string TestdataPath(const std::string& rel) {
  return std::string(BERTH_SOURCE_DIR) + "/test/testdata/" + rel;
}

void WriteScript(const std::string& path, const std::string& body) {
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  chmod(path.c_str(), 0755);
}

bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling, not synchronization
  }
  return true;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void SandboxFixture::SetUp() {
  RequireRoot();
}

void SandboxFixture::TearDown() {
  if (d_) {
    d_->StopWith(SIGTERM);
    // berthd leaves its pinned-ns dir mounted (shared, like /run/netns) on
    // exit; the test's temporary directory goes, so that mount must too.
    umount2((RunRoot() + "/ns").c_str(), MNT_DETACH);
  }
  if (have_net_) RunCommand({"/usr/sbin/ip", "link", "del", net_.bridge});
}

void SandboxFixture::StartDaemon(const std::string& extra_yaml,
                                 const std::vector<std::string>& plugin_dirs,
                                 const TestNetwork* network) {
  d_ = std::make_unique<BerthdProcess>();
  std::string dirs;
  for (const auto& p : plugin_dirs) dirs += p + ", ";
  dirs += kCniDir;
  // The whole config, so that the cni block can name plugin dirs too.
  std::ofstream(d_->config_path())
      << "root: " << Root() << "\n"
      << "runroot: " << RunRoot() << "\n"
      << "listen: " << d_->socket_path() << "\n"
      << "shutdown_file: " << Root() << "/berth.shutdown\n"
      << "log_level: debug\n"
      << "cni: {conf_dir: " << d_->dir().Sub("cni") << ", plugin_dirs: [" << dirs << "]}\n"
      << extra_yaml << "\n";
  if (network) {
    net_ = *network;
    have_net_ = true;
    std::ofstream(d_->dir().Sub("cni/10-it.conflist")) << net_.conflist;
  }
  ASSERT_NO_FATAL_FAILURE(d_->Start());
}

std::string SandboxFixture::RuncOnlyYaml() const {
  return std::string("runtimes: {runc: {path: ") + kRunc + ", root: " + RuncRoot() +
         ", type: oci}}\n";
}

grpc::Status SandboxFixture::Run(const rt::PodSandboxConfig& c, std::string* id,
                                 const std::string& handler, std::chrono::seconds timeout) {
  rt::RunPodSandboxRequest req;
  *req.mutable_config() = c;
  req.set_runtime_handler(handler);
  rt::RunPodSandboxResponse resp;
  grpc::Status s = d_->runtime().RunPodSandbox(Ctx(timeout).get(), req, &resp);
  if (id) *id = resp.pod_sandbox_id();
  return s;
}

rt::PodSandboxStatusResponse SandboxFixture::Status(const std::string& id, bool verbose) {
  rt::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(id);
  req.set_verbose(verbose);
  rt::PodSandboxStatusResponse resp;
  grpc::Status s = d_->runtime().PodSandboxStatus(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

grpc::Status SandboxFixture::Stop(const std::string& id) {
  rt::StopPodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  rt::StopPodSandboxResponse resp;
  return d_->runtime().StopPodSandbox(Ctx(std::chrono::seconds(60)).get(), req, &resp);
}

grpc::Status SandboxFixture::Remove(const std::string& id) {
  rt::RemovePodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  rt::RemovePodSandboxResponse resp;
  return d_->runtime().RemovePodSandbox(Ctx(std::chrono::seconds(60)).get(), req, &resp);
}

std::vector<rt::PodSandbox> SandboxFixture::List(const rt::PodSandboxFilter& f) {
  rt::ListPodSandboxRequest req;
  *req.mutable_filter() = f;
  rt::ListPodSandboxResponse resp;
  grpc::Status s = d_->runtime().ListPodSandbox(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return {resp.items().begin(), resp.items().end()};
}

void SandboxFixture::ExpectNoLeaks(const std::vector<std::string>& runtime_roots) {
  EXPECT_TRUE(d_->WaitRemovalsFinished()) << "a removal did not finish after its answer";
  const std::string base = d_->dir().path();
  // Mounts: the pinned-ns directory itself is a (shared) mount point by design.
  std::istringstream mountinfo(Slurp("/proc/self/mountinfo"));
  for (std::string line; std::getline(mountinfo, line);) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, target;
    fields >> id >> parent >> dev >> root >> target;
    if (target.rfind(base, 0) != 0 || target == RunRoot() + "/ns") continue;
    ADD_FAILURE() << "mount left under the daemon's dirs: " << line;
  }
  for (const char* kind : {"net", "ipc", "uts"}) {
    EXPECT_THAT(ListDirOrEmpty(RunRoot() + "/ns/" + kind), ::testing::IsEmpty())
        << kind << " pin left";
  }
  EXPECT_THAT(ListDirOrEmpty(Root() + "/sandboxes"), ::testing::IsEmpty()) << "bundle dir left";
  EXPECT_THAT(ListDirOrEmpty(RunRoot() + "/sandboxes"), ::testing::IsEmpty()) << "run dir left";
  EXPECT_THAT(ListDirOrEmpty(RunRoot() + "/exits"), ::testing::IsEmpty()) << "exit file left";
  EXPECT_THAT(ListDirOrEmpty(Root() + "/cni-cache"), ::testing::IsEmpty())
      << "CNI cache entry left";
  std::string procs = RunCommand({"/usr/bin/pgrep", "-af", "conmon"}).output;
  EXPECT_THAT(procs, Not(HasSubstr(base))) << "conmon left";
  for (const auto& root : runtime_roots) {
    std::string list = RunCommand({kRunc, "--root", root, "list", "-q"}).output;
    EXPECT_EQ(list, "") << "container left in runtime root " << root;
  }
  if (have_net_) {
    for (const auto& name : ListDirOrEmpty(net_.ipam_dir + "/berth-it")) {
      EXPECT_FALSE(name.starts_with(net_.subnet_prefix)) << "IP still allocated: " << name;
    }
    // No bridge at all (no pod was ever attached) is no veth either.
    if (RunCommand({"/usr/sbin/ip", "link", "show", net_.bridge}).exit_code == 0) {
      std::string veths =
          RunCommand({"/usr/sbin/ip", "-o", "link", "show", "master", net_.bridge}).output;
      EXPECT_EQ(veths, "") << "veth left on " << net_.bridge;
    }
  }
}

}  // namespace berth::testing
