// gVisor (runsc) in pkg/oci: recognising it, routing around what it cannot
// do, speaking its command line, and berth-gvisor-shim driven end to end by
// a fake runsc (a shell script that logs its argv and plays runsc's part).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/oci/conmon.h"
#include "pkg/oci/gvisor_shim.h"
#include "pkg/oci/runtime_cli.h"
#include "pkg/oci/runtime_kind.h"
#include "pkg/oci/runtime_router.h"

namespace berth::oci {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(RuntimeKind, FromVersionOutput) {
  RuntimeIdentity runsc = ParseVersionOutput("runsc version 0.0~20221219.0\nspec: 1.0.2-dev\n");
  EXPECT_EQ(runsc.kind, RuntimeKind::kGvisor);
  EXPECT_EQ(runsc.version, "runsc version 0.0~20221219.0");
  RuntimeIdentity runc = ParseVersionOutput("runc version 1.1.5+ds1\ncommit: x\n");
  EXPECT_EQ(runc.kind, RuntimeKind::kRuncCompatible);
  EXPECT_EQ(runc.version, "runc version 1.1.5+ds1");
  EXPECT_EQ(ParseVersionOutput("crun version 1.8\n").kind, RuntimeKind::kRuncCompatible);
  // Only the program's own word counts.
  EXPECT_EQ(ParseVersionOutput("runc version 1.1 (not runsc)\n").kind,
            RuntimeKind::kRuncCompatible);
  EXPECT_EQ(ParseVersionOutput("").kind, RuntimeKind::kRuncCompatible);
  EXPECT_EQ(RuntimeKindName(RuntimeKind::kGvisor), "gvisor");
}

// gVisor: the OOM kill is counted in the pod sandbox's cgroup, and a
// container whose sandbox was killed under it is recorded by its shim as 255.
TEST(RuntimeKind, OomKillsAreJudgedPerRuntimeKind) {
  EXPECT_EQ(OomCgroupOwnerId(RuntimeKind::kRuncCompatible, "ctr", "pod"), "ctr");
  EXPECT_EQ(OomCgroupOwnerId(RuntimeKind::kGvisor, "ctr", "pod"), "pod");

  OomVerdict runc = JudgeOomKill(RuntimeKind::kRuncCompatible, 1, true);
  EXPECT_TRUE(runc.oom_killed);
  EXPECT_EQ(runc.exit_code, 1);
  EXPECT_FALSE(JudgeOomKill(RuntimeKind::kRuncCompatible, 137, false).oom_killed);

  OomVerdict lost = JudgeOomKill(RuntimeKind::kGvisor, kGvisorShimAbandoned, true);
  EXPECT_TRUE(lost.oom_killed);
  EXPECT_EQ(lost.exit_code, 137);
  EXPECT_TRUE(JudgeOomKill(RuntimeKind::kGvisor, 137, true).oom_killed);
  // A code the container gave itself, and any code without a kill counted.
  EXPECT_FALSE(JudgeOomKill(RuntimeKind::kGvisor, 3, true).oom_killed);
  OomVerdict self = JudgeOomKill(RuntimeKind::kGvisor, 137, false);
  EXPECT_FALSE(self.oom_killed);
  EXPECT_EQ(self.exit_code, 137);
}

TEST(RuntimeKind, ProbeRunsVersion) {
  auto missing = ProbeRuntimeIdentity("/nonexistent/runsc");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent/runsc"));
  auto self = ProbeRuntimeIdentity("/bin/false");
  ASSERT_FALSE(self.ok());
  EXPECT_THAT(self.status().message(), HasSubstr("--version failed"));
}

// --- routing -----------------------------------------------------------------

RoutingConfig WithGvisor() {
  RoutingConfig c;
  c.runtimes["runc"] = {"/usr/sbin/runc", "/run/berth/runc", "oci", {}};
  RuntimeEntry runsc{"/usr/bin/runsc", "/run/berth/runsc", "oci", {}};
  runsc.kind = RuntimeKind::kGvisor;
  c.runtimes["runsc"] = runsc;
  c.default_runtime = c.trusted_runtime = "runc";
  c.untrusted_runtime = "runsc";
  return c;
}

PodRoutingInput UntrustedPod() {
  PodRoutingInput p;
  p.name = "web";
  p.namespace_ = "default";
  p.annotations = {{kContainerdUntrustedAnnotation, "true"}};
  return p;
}

TEST(GvisorRouting, PodOwnNamespacesRunOnGvisor) {
  auto r = ChooseRuntime(WithGvisor(), UntrustedPod());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->name, "runsc");
  EXPECT_EQ(r->kind, RuntimeKind::kGvisor);
}

TEST(GvisorRouting, HostNamespacesAreRefusedWithTheReason) {
  for (int which = 0; which < 3; ++which) {
    PodRoutingInput p = UntrustedPod();
    (which == 0 ? p.host_network : which == 1 ? p.host_pid : p.host_ipc) = true;
    auto r = ChooseRuntime(WithGvisor(), p);
    ASSERT_FALSE(r.ok()) << which;
    EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
    EXPECT_THAT(r.status().message(), HasSubstr(which == 0   ? "host's network namespace"
                                                : which == 1 ? "host's PID"
                                                             : "host's IPC"));
    EXPECT_THAT(r.status().message(), HasSubstr("(gVisor)"));
    EXPECT_THAT(r.status().message(), HasSubstr("io.kubernetes.cri.untrusted-workload=true"));
  }
  PodRoutingInput all = UntrustedPod();
  all.host_network = all.host_pid = all.host_ipc = true;
  all.annotations.clear();
  all.runtime_handler = "runsc";
  auto r = ChooseRuntime(WithGvisor(), all);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("network, PID and IPC namespace"));
  EXPECT_THAT(r.status().message(), HasSubstr("runtime handler runsc"));
}

TEST(GvisorRouting, HostNamespacesStillRunOnRuncCompatible) {
  PodRoutingInput p = UntrustedPod();
  p.annotations.clear();
  p.host_network = p.host_pid = true;
  auto r = ChooseRuntime(WithGvisor(), p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->name, "runc");
}

// --- command lines -------------------------------------------------------------

OciRuntime Gvisor(const std::string& path = "/usr/bin/runsc", const std::string& root = "/run/g") {
  OciRuntimeConfig c;
  c.name = "runsc";
  c.path = path;
  c.root = root;
  c.kind = RuntimeKind::kGvisor;
  return OciRuntime(c);
}

TEST(GvisorCommandLine, ExecNamesTheSandboxPidFile) {
  EXPECT_THAT(Gvisor().ExecArgv("c1", "/r/p.json", "/r/p.pid"),
              ElementsAre("/usr/bin/runsc", "--root", "/run/g", "--oci-seccomp", "exec",
                          "--process", "/r/p.json", "--internal-pid-file", "/r/p.pid", "c1"));
  OciRuntime runc({"runc", "/usr/sbin/runc", "/run/r", false});
  EXPECT_THAT(runc.ExecArgv("c1", "/r/p.json", "/r/p.pid"),
              ElementsAre("/usr/sbin/runc", "--root", "/run/r", "exec", "--process", "/r/p.json",
                          "--pid-file", "/r/p.pid", "c1"));
}

TEST(GvisorCommandLine, UpdateIsUnimplementedWithoutRunningRunsc) {
  Status s = Gvisor("/nonexistent/runsc").Update("c1", "{}");
  EXPECT_EQ(s.code(), Code::kUnimplemented);
  EXPECT_THAT(s.message(), HasSubstr("runsc has no update command"));
}

TEST(GvisorCommandLine, ConmonRunsTheShimWithRunscAndItsFlags) {
  ConmonConfig cfg;
  cfg.gvisor_shim = "/usr/libexec/berth/berth-gvisor-shim";
  ConmonCreateRequest r;
  r.id = "c1";
  r.bundle = "/b";
  r.container_pidfile = "/r/pid";
  r.conmon_pidfile = "/r/conmon.pid";
  r.log_path = "/l";
  r.exit_dir = "/e";
  std::vector<std::string> a = BuildConmonArgv(cfg, Gvisor(), r);
  auto at = std::find(a.begin(), a.end(), "--runtime");
  ASSERT_NE(at, a.end());
  EXPECT_EQ(*(at + 1), "/usr/libexec/berth/berth-gvisor-shim");
  std::vector<std::string> runtime_args;
  for (size_t i = 0; i + 1 < a.size(); ++i) {
    if (a[i] == "--runtime-arg") runtime_args.push_back(a[i + 1]);
  }
  // --oci-seccomp: the pod's seccomp profile is enforced inside the sandbox.
  EXPECT_THAT(runtime_args,
              ElementsAre("--berth-runsc=/usr/bin/runsc", "--root=/run/g", "--oci-seccomp"));
}

// A fake runsc: logs every call, prints runsc's usage for `features`, and
// plays create/start/wait/state for the shim.
class FakeRunsc : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-gvisor-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    bundle_ = dir_ + "/bundle";
    std::filesystem::create_directories(bundle_);
    script_ = dir_ + "/runsc";
    // FAKE_START_FAILS / FAKE_EXIT come from files, as the shim passes no env.
    std::ofstream(script_)
        << "#!/bin/sh\n"
           "echo \"$*\" >> " +
               dir_ +
               "/calls\n"
               "for a in \"$@\"; do last=\"$a\"; done\n"
               "case \" $* \" in\n"
               "  *' features '*) echo 'Usage: runsc <flags> <subcommand>' >&2; exit 128;;\n"
               // "dying": a sub-container whose sandbox goes down under
               // the delete: runsc fails, yet drops the state ("stuck":
               // and keeps it).
               "  *' delete --force dying'*) rm -f " +
               dir_ +
               "/dying-state\n"
               "      echo 'destroying container: connecting to control server at PID 9: "
               "connection refused' >&2; exit 128;;\n"
               "  *' delete --force stuck'*) echo 'destroying container: connecting to control "
               "server at PID 9: connection refused' >&2; exit 128;;\n"
               "  *' state dying'*) [ -e " +
               dir_ +
               "/dying-state ] || { echo 'loading container: file does not exist' >&2; exit "
               "128; };;\n"
               "  *' create '*) echo 4242 > " +
               dir_ +
               "/created-pid;;\n"
               "  *' state '*) echo "
               "'{\"id\":\"'$last'\",\"pid\":1,\"status\":\"created\",\"bundle\":\"" +
               bundle_ +
               "\"}';;\n"
               "  *' start '*) if [ -e " +
               dir_ +
               "/start-fails ]; then\n"
               "      echo '{\"msg\":\"starting container: boom\",\"level\":\"error\"}' >&3; exit "
               "128; fi\n"
               "      echo container-output;;\n"
               "  *' wait '*) echo '{\"id\":\"'$last'\",\"exitStatus\":'$(cat " +
               dir_ +
               "/exit)'}';;\n"
               "esac\n"
               "exit 0\n";
    chmod(script_.c_str(), 0755);
    std::ofstream(dir_ + "/exit") << "42";
    std::ofstream(bundle_ + "/config.json")
        << R"({"annotations":{"io.kubernetes.cri.container-type":"container"}})";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs the shim's create as conmon would; its stdout (the container's,
  // once started) goes to <dir>/stdout. Returns the shim's exit status.
  int ShimCreate(const std::string& id) {
    pid_t pid = fork();
    if (pid == 0) {
      int out = open((dir_ + "/stdout").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      dup2(out, 1);
      execl(BERTH_GVISOR_SHIM, BERTH_GVISOR_SHIM, ("--berth-runsc=" + script_).c_str(),
            "--root=/run/g", "create", "--bundle", bundle_.c_str(), "--pid-file",
            (dir_ + "/pid").c_str(), id.c_str(), nullptr);
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  // The starter named by the pid file: we are its subreaper, so we reap it
  // (-2: still running after 10 s, and killed).
  int StarterExit() {
    pid_t starter = std::stoi(Slurp(dir_ + "/pid"));
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, starter, 0));
    EXPECT_GE(pidfd, 0);
    pollfd p{pidfd, POLLIN, 0};
    bool ended = poll(&p, 1, 10000) == 1;
    close(pidfd);
    if (!ended) kill(starter, SIGKILL);
    int status = 0;
    EXPECT_EQ(waitpid(starter, &status, 0), starter);
    if (!ended) return -2;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string dir_, bundle_, script_;
};

TEST_F(FakeRunsc, FeaturesWithoutTheCommandIsUnimplemented) {
  auto f = Gvisor(script_).Features();
  EXPECT_EQ(f.status().code(), Code::kUnimplemented);
  EXPECT_EQ(f.status().message(), "runsc has no features command");
}

TEST_F(FakeRunsc, ShimStartsOnBerthdsWordAndExitsWithTheContainer) {
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  ASSERT_EQ(ShimCreate("c1"), 0);
  // The pid file names the starter, not runsc's sandbox.
  EXPECT_NE(Slurp(dir_ + "/pid"), "4242\n");
  EXPECT_THAT(Slurp(dir_ + "/calls"), HasSubstr("--root=/run/g create --bundle " + bundle_));
  EXPECT_THAT(Slurp(dir_ + "/calls"), ::testing::Not(HasSubstr("start")));

  // OciRuntime::Start finds the bundle through state, then asks the starter.
  ASSERT_TRUE(Gvisor(script_).Start("c1").ok());
  EXPECT_EQ(StarterExit(), 42);
  EXPECT_THAT(Slurp(dir_ + "/calls"), HasSubstr("--root=/run/g --log-fd=3 start c1"));
  EXPECT_THAT(Slurp(dir_ + "/calls"), HasSubstr("--root=/run/g wait c1"));
  // runsc start ran on the stdio conmon gave the shim.
  EXPECT_EQ(Slurp(dir_ + "/stdout"), "container-output\n");
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

TEST_F(FakeRunsc, ShimReportsRunscsStartError) {
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  std::ofstream(dir_ + "/start-fails").flush();
  ASSERT_EQ(ShimCreate("c1"), 0);
  Status s = Gvisor(script_).Start("c1");
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_EQ(s.message(), "runsc start c1: starting container: boom");
  EXPECT_EQ(StarterExit(), kGvisorShimAbandoned);
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

TEST_F(FakeRunsc, DeleteBeforeStartEndsTheStarter) {
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  ASSERT_EQ(ShimCreate("c1"), 0);
  ASSERT_TRUE(Gvisor(script_).Delete("c1").ok());
  EXPECT_EQ(StarterExit(), kGvisorShimAbandoned);
  EXPECT_THAT(Slurp(dir_ + "/calls"), HasSubstr("delete --force c1"));
  EXPECT_THAT(Slurp(dir_ + "/calls"), ::testing::Not(HasSubstr("start")));
  // With the starter gone, a start is a clear error, not a hang.
  Status s = Gvisor(script_).Start("c1");
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("is gone"));
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

// runsc fails the delete of a sub-container whose sandbox is going down, yet
// removes its state: the delete is done then, not left for the next start. A
// failed delete that leaves the state is still an error.
TEST_F(FakeRunsc, FailedDeleteThatRemovedTheStateIsDone) {
  std::ofstream(dir_ + "/dying-state") << "";
  EXPECT_TRUE(Gvisor(script_).Delete("dying").ok());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/dying-state"));
  Status stuck = Gvisor(script_).Delete("stuck");
  EXPECT_EQ(stuck.code(), Code::kInternal);
  EXPECT_THAT(stuck.message(), HasSubstr("connection refused"));
}

TEST_F(FakeRunsc, FirstContainerOfAPodIsRunscItself) {
  std::ofstream(bundle_ + "/config.json")
      << R"({"annotations":{"io.kubernetes.cri.container-type":"sandbox"}})";
  ASSERT_EQ(ShimCreate("pod1"), 0);
  EXPECT_FALSE(std::filesystem::exists(bundle_ + "/" + kGvisorStartFifo));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/pid"));  // the fake wrote none
  EXPECT_EQ(StartThroughGvisorShim(bundle_, std::chrono::seconds(1)).code(), Code::kNotFound);
}

TEST_F(FakeRunsc, ShimRefusesABadCommandLine) {
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    execl(BERTH_GVISOR_SHIM, BERTH_GVISOR_SHIM, "create", "c1", nullptr);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

// --- parsers -----------------------------------------------------------------

TEST(ShimArgs, ParsesConmonsCreate) {
  auto a = ParseShimArgs({"shim", "--berth-runsc=/usr/bin/runsc", "--root=/r", "--systemd-cgroup",
                          "create", "--bundle", "/b", "--pid-file=/p", "--console-socket", "/s",
                          "--no-pivot", "c1"});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->runsc, "/usr/bin/runsc");
  EXPECT_THAT(a->globals, ElementsAre("--root=/r", "--systemd-cgroup"));
  EXPECT_EQ(a->command, "create");
  EXPECT_EQ(a->bundle, "/b");
  EXPECT_EQ(a->pid_file, "/p");
  EXPECT_EQ(a->id, "c1");  // not the console socket's value
  EXPECT_EQ(a->command_args.size(), 7u);
}

TEST(ShimArgs, OtherCommandsPassThrough) {
  auto a = ParseShimArgs({"shim", "--berth-runsc=/usr/bin/runsc", "delete", "--force", "c1"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->command, "delete");
  EXPECT_THAT(a->command_args, ElementsAre("--force", "c1"));
}

TEST(ShimArgs, BadInputIsAClearError) {
  EXPECT_THAT(ParseShimArgs({"shim", "create", "c1"}).status().message(),
              HasSubstr("--berth-runsc="));
  EXPECT_THAT(ParseShimArgs({"shim", "--berth-runsc=runsc", "create"}).status().message(),
              HasSubstr("not absolute"));
  EXPECT_THAT(ParseShimArgs({"shim", "--berth-runsc=/r", "--root=/x"}).status().message(),
              HasSubstr("no command"));
  EXPECT_THAT(ParseShimArgs({"shim", "--berth-runsc=/r", "create", "--bundle", "/b", "c1"})
                  .status()
                  .message(),
              HasSubstr("--pid-file"));
  EXPECT_THAT(ParseShimArgs({"shim", "--berth-runsc=/r", "create", "--bundle"}).status().message(),
              HasSubstr("needs a value"));
}

TEST(RunscOutput, WaitStatus) {
  EXPECT_EQ(*ParseRunscWaitOutput(R"({"id":"c1","exitStatus":137})"
                                  "\n"),
            137);
  EXPECT_EQ(*ParseRunscWaitOutput(R"({"id":"c1","exitStatus":0})"), 0);
  EXPECT_FALSE(ParseRunscWaitOutput("waiting on container: no").ok());
  EXPECT_FALSE(ParseRunscWaitOutput(R"({"id":"c1"})").ok());
  EXPECT_FALSE(ParseRunscWaitOutput(R"({"exitStatus":-1})").ok());
}

TEST(RunscOutput, LogErrors) {
  EXPECT_EQ(RunscLogErrors(R"({"msg":"loading container: file does not exist","level":"error"})"
                           "\n"
                           R"({"msg":"just saying","level":"warning"})"
                           "\n"
                           R"({"msg":"second","level":"error"})"),
            "loading container: file does not exist; second");
  EXPECT_EQ(RunscLogErrors("I1127 info line\nW1127 warning\n"), "");
  EXPECT_EQ(RunscLogErrors(""), "");
}

}  // namespace
}  // namespace berth::oci
