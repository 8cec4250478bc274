// Every kind of child berthd starts gets exactly the descriptors meant for it
// (issue 15 item 8): the OCI runtime, conmon, a CNI plugin and a credential
// provider are each started through fd-recorder, which lists what it was
// given; the commands of an ExecSync and of a streaming exec list their own
// from inside the container.
//
// berthd itself is started holding an inheritable descriptor (as one handed
// over by socket activation, or left by a careless library, would be): a
// child that inherited anything beyond its map would show it.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "test/integration/images/image_env.h"
#include "test/integration/restore/restore_env.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

// What one start of a recorded program was given.
struct Recorded {
  std::string parent;  // the comm of the process that started it
  std::string args;    // its arguments, space-separated
  std::map<int, std::string> fds;
};

std::vector<Recorded> ReadRecords(const std::string& path) {
  std::vector<Recorded> out;
  std::istringstream lines(Slurp(path));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    Recorded r;
    std::getline(fields, r.parent, '\t');
    std::getline(fields, r.args, '\t');
    for (std::string f; std::getline(fields, f, '\t');) {
      const size_t eq = f.find('=');
      r.fds[std::stoi(f.substr(0, eq))] = f.substr(eq + 1);
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::set<int> Numbers(const std::map<int, std::string>& fds) {
  std::set<int> out;
  for (const auto& [fd, _] : fds) out.insert(fd);
  return out;
}

// The descriptors `ls -l /proc/self/fd` (busybox, in the container) lists,
// without the one ls opened to list them.
std::map<int, std::string> ParseLsFds(const std::string& text) {
  std::map<int, std::string> fds;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const size_t arrow = line.find(" -> ");
    if (arrow == std::string::npos) continue;
    const std::string target = line.substr(arrow + 4);
    if (target.starts_with("/proc/") && target.ends_with("/fd")) continue;
    const size_t sp = line.rfind(' ', arrow - 1);
    fds[std::stoi(line.substr(sp + 1, arrow - sp - 1))] = target;
  }
  return fds;
}

class ChildFdsTest : public RestoreFixture {
 protected:
  void SetUp() override {
    RestoreFixture::SetUp();
    bin_ = tmp_.Sub("recorded");
    fs::create_directories(bin_);
  }

  // <bin_>/<name> runs `real` through fd-recorder; returns its path.
  std::string Wrap(const std::string& name, const std::string& real) {
    const std::string path = bin_ + "/" + name;
    fs::create_symlink(BuiltBinary("test/integration/process/fd-recorder"), path);
    std::ofstream(path + ".exec") << real;
    return path;
  }

  // The starts of `name` by berthd itself (runc is also started by conmon,
  // with conmon's descriptors, which are conmon's business).
  std::vector<Recorded> StartedByBerthd(const std::string& name) {
    std::vector<Recorded> out;
    for (auto& r : ReadRecords(bin_ + "/" + name + ".fds")) {
      if (r.parent == "berthd") out.push_back(std::move(r));
    }
    return out;
  }

  std::string bin_;
};

TEST_F(ChildFdsTest, EveryChildGetsExactlyItsDescriptors) {
  const std::string runc = Wrap("runc", kRunc);
  const std::string conmon = Wrap("conmon", "/usr/bin/conmon");
  Wrap("bridge", std::string(kCniDir) + "/bridge");
  Wrap("test-credential-provider", TestdataPath("credential-providers/test-credential-provider"));
  const std::string providers = tmp_.Sub("providers.yaml");
  std::ofstream(providers) << "apiVersion: kubelet.config.k8s.io/v1\n"
                           << "kind: CredentialProviderConfig\n"
                           << "providers:\n"
                           << "- name: test-credential-provider\n"
                           << "  matchImages: [\"" << ImageEnv::Get("OPEN_REGISTRY") << "\"]\n"
                           << "  defaultCacheDuration: 10m\n"
                           << "  apiVersion: credentialprovider.kubelet.k8s.io/v1\n"
                           << "  env: [{name: AUTH_KEY, value: \"" << ImageEnv::Get("OPEN_REGISTRY")
                           << "\"}]\n";

  // berthd inherits a descriptor without close-on-exec at a number no child
  // is given.
  const std::string canary = tmp_.Sub("inherited-canary");
  int opened = open(canary.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(opened, 0);
  int inherited = fcntl(opened, F_DUPFD, 100);
  close(opened);
  ASSERT_GE(inherited, 100);
  TestNetwork net = MakeNetwork(tmp_.path());
  StartDaemon("runtimes: {runc: {path: " + runc + ", root: " + RuncRoot() + ", type: oci}}\n" +
                  "conmon: " + conmon + "\n" + "credential_providers: {config: " + providers +
                  ", bin_dir: " + bin_ + "}\n" + ImageEnv::RegistriesYaml(),
              {bin_}, &net);
  close(inherited);  // berthd holds its own copy
  ASSERT_FALSE(HasFatalFailure());
  const std::string berthd_fds = "/proc/" + std::to_string(d_->pid()) + "/fd/";
  ASSERT_EQ(fs::read_symlink(berthd_fds + std::to_string(inherited)), canary)
      << "berthd did not inherit the canary";

  // 1. Every kind of child: a pull (credential provider), a pod (CNI plugin,
  // conmon, runtime), a container, an ExecSync and a streaming exec, and the
  // teardown (CNI DEL, runtime kill and delete).
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
  const std::string pod = RunPodOk("fds");
  const std::string id = CreateAndStartOk(pod, TermExiting("fds"));
  rt::ExecSyncResponse exec_sync;
  grpc::Status s = Exec(id, {"ls", "-l", "/proc/self/fd"}, &exec_sync);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ProcessResult streamed = RunCrictl(*d_, {"exec", id, "ls", "-l", "/proc/self/fd"});
  ASSERT_EQ(streamed.exit_code, 0) << streamed.output;
  KubeletCleanup();

  // 2. Each got its map and nothing else: stdin, stdout and stderr, and for
  // conmon its sync pipe (3) and start pipe (4).
  const std::set<int> stdio = {0, 1, 2};
  const std::vector<std::pair<std::string, std::set<int>>> kinds = {
      {"runc", stdio},
      {"conmon", {0, 1, 2, 3, 4}},
      {"bridge", stdio},
      {"test-credential-provider", stdio}};
  for (const auto& [name, want] : kinds) {
    const std::vector<Recorded> starts = StartedByBerthd(name);
    EXPECT_THAT(starts, Not(IsEmpty())) << name << " was never started by berthd";
    for (const Recorded& r : starts) {
      EXPECT_EQ(Numbers(r.fds), want)
          << name << " " << r.args << " was started with " << ::testing::PrintToString(r.fds);
      for (const auto& [fd, target] : r.fds) {
        EXPECT_NE(target, canary) << name << " " << r.args << " inherited berthd's fd";
      }
    }
  }
  for (const Recorded& r : StartedByBerthd("conmon")) {
    EXPECT_TRUE(r.fds.count(3) && r.fds.at(3).starts_with("pipe:") && r.fds.count(4) &&
                r.fds.at(4).starts_with("pipe:"))
        << "conmon's sync and start pipes: " << ::testing::PrintToString(r.fds);
  }
  EXPECT_THAT(Numbers(ParseLsFds(exec_sync.stdout())), ElementsAre(0, 1, 2))
      << "ExecSync's command:\n"
      << exec_sync.stdout();
  EXPECT_THAT(Numbers(ParseLsFds(streamed.output)), ElementsAre(0, 1, 2))
      << "the streaming exec's command:\n"
      << streamed.output;
  ExpectNoLeaksAtAll();
}

}  // namespace
}  // namespace berth::testing
