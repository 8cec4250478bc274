#include "test/integration/runsc/runsc_env.h"

#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <sstream>

#include "pkg/fs/dir.h"

namespace berth::testing {

std::string HostKernel() {
  utsname u{};
  uname(&u);
  return u.release;
}

void GvisorTest::SetUp() {
  ASSERT_EQ(access(kRunsc, X_OK), 0)
      << kRunsc << " is missing: the gVisor tests need Debian's runsc (hack/install-deps.sh)";
  RestoreFixture::SetUp();
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon("", RuntimesYaml()));
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
}

std::string GvisorTest::RuntimesYaml(const std::string& default_trust) const {
  return std::string("runtimes:\n") + "  runc: {path: " + kRunc + ", root: " + RuncRoot() +
         ", type: oci}\n" + "  runsc: {path: " + kRunsc + ", root: " + RunscRoot() +
         ", type: oci}\n" +
         "default_runtime: runc\ntrusted_runtime: runc\nuntrusted_runtime: runsc\n"
         "default_workload_trust: " +
         default_trust + "\n";
}

void GvisorTest::RestartWith(const std::string& runtimes_yaml) {
  StopDaemon();
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon("", runtimes_yaml));
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
}

std::string GvisorTest::RunscStatus(const std::string& id) {
  ProcessResult r = RunCommand({kRunsc, "--root", RunscRoot(), "state", id});
  if (r.exit_code != 0) return "gone";
  size_t at = r.output.find("\"status\": \"");
  if (at == std::string::npos) return "unreadable: " + r.output;
  at += 11;
  return r.output.substr(at, r.output.find('"', at) - at);
}

std::string GvisorTest::KernelOf(const std::string& container_id) {
  rt::ExecSyncResponse out;
  grpc::Status s = Exec(container_id, {"uname", "-r"}, &out);
  EXPECT_TRUE(s.ok() && out.exit_code() == 0) << s.error_message() << out.stderr();
  std::string k = out.stdout();
  while (!k.empty() && k.back() == '\n') k.pop_back();
  return k;
}

std::string GvisorTest::RunTrustedPodOk(const std::string& name) {
  rt::PodSandboxConfig c = PodConfig(name, "uid-" + name);
  c.set_log_directory(LogDir());
  (*c.mutable_annotations())["io.kubernetes.cri-o.TrustedSandbox"] = "true";
  std::string id;
  grpc::Status s = Run(c, &id);
  EXPECT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
  return id;
}

namespace {

// Processes other than us and berthd whose command line names `dir`.
std::vector<std::string> ProcessesNaming(const std::string& dir, pid_t berthd) {
  std::vector<std::string> out;
  for (const auto& e : ListDirOrEmpty("/proc")) {
    if (e.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(e);
    if (pid == getpid() || pid == berthd) continue;
    std::string cmdline = Slurp("/proc/" + e + "/cmdline");
    if (cmdline.find(dir) == std::string::npos) continue;
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    out.push_back(e + ": " + cmdline.substr(0, 300));
  }
  return out;
}

}  // namespace

void GvisorTest::ExpectNoGvisorLeaks() {
  ExpectNoLeaksAtAll({RuncRoot()});
  ProcessResult list = RunCommand({kRunsc, "--root", RunscRoot(), "list", "-quiet"});
  EXPECT_EQ(list.output, "") << "container left in runsc's root " << RunscRoot();
  for (const std::string& dir : {tmp_.path(), d_->dir().path()}) {
    for (const std::string& p : ProcessesNaming(dir, d_->pid())) {
      ADD_FAILURE() << "process left naming " << dir << ": " << p;
    }
  }
}

void GvisorTest::CleanUpAndExpectNoGvisorLeaks() {
  KubeletCleanup();
  ExpectNoGvisorLeaks();
}

void GvisorTest::TearDown() {
  if (d_ && d_->pid() > 0 && HasFailure()) {
    for (const auto& p : List()) (void)Remove(p.id());
  }
  StreamingTest::TearDown();
  // Best effort after a failure: no sandbox of this test outlives it.
  std::istringstream ids(RunCommand({kRunsc, "--root", RunscRoot(), "list", "-quiet"}).output);
  for (std::string id; std::getline(ids, id);) {
    if (!id.empty()) RunCommand({kRunsc, "--root", RunscRoot(), "delete", "--force", id});
  }
  for (const std::string& p : ProcessesNaming(tmp_.path(), -1)) {
    kill(std::stoi(p.substr(0, p.find(':'))), SIGKILL);
  }
}

}  // namespace berth::testing
