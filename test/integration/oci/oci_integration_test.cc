// Real runc + conmon: pinned namespaces, a sandbox infra process started
// through conmon, its exit seen by the ExitWatcher, and the failure modes
// (failing and hanging runtimes) leaving nothing behind. Needs root.
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/ns/pinned_namespaces.h"
#include "pkg/oci/conmon.h"
#include "pkg/oci/exit_file.h"
#include "pkg/oci/runtime_cli.h"
#include "pkg/oci/sandbox_spec.h"
#include "pkg/process/run.h"
#include "pkg/process/wait_gone.h"

namespace berth::oci {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

const std::string kRuntimes = BERTH_TESTDATA_DIR "/runtimes";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Mounted(const std::string& path) {
  std::string info = ReadAll("/proc/self/mountinfo");
  return info.find(" " + path + " ") != std::string::npos;
}

std::string RunCmd(std::vector<std::string> argv) {
  process::RunOptions s;
  s.argv = std::move(argv);
  auto r = process::RunToCompletion(s);
  return r.ok() ? r->out + r->err : r.status().ToString();
}

class OciIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "integration tests need root (real runc, mounts, namespaces)";
    char tmpl[] = "/tmp/berth-oci-it-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (const char* d : {"/run", "/exits", "/bundle", "/persist", "/runc"}) {
      fs::create_directories(dir_ + d);
    }
    id_ = std::string(56, 'b') + std::to_string(10000000 + getpid() % 89999999).substr(0, 8);
    log_ = dir_ + "/invocations.log";
    setenv("BERTH_TEST_RUNTIME_LOG", log_.c_str(), 1);
    setenv("BERTH_TEST_HANG_PIDFILE", (dir_ + "/hang.pid").c_str(), 1);
  }
  void TearDown() override {
    if (dir_.empty()) return;
    (void)ns::UnpinNamespaces(pins_);
    OciRuntime({"runc", "/usr/sbin/runc", dir_ + "/runc", false}).Delete(id_).ok();
    // The pin directory is a shared bind mount of itself: take it down.
    umount2((dir_ + "/run/ns").c_str(), MNT_DETACH);
    fs::remove_all(dir_);
  }

  // Pins namespaces and writes a bundle whose infra process is busybox sleep.
  void PrepareBundle() {
    auto pins = ns::PinNamespaces(dir_ + "/run", id_, {true, true, true, "berth-it"});
    ASSERT_TRUE(pins.ok()) << pins.status().ToString();
    pins_ = *pins;
    ASSERT_TRUE(PrepareInfraRootfs(dir_ + "/bundle/rootfs", "/bin/busybox").ok());
    // busybox picks its applet from argv[0]: run it as /sleep.
    fs::create_symlink("/pause", dir_ + "/bundle/rootfs/sleep");
    SandboxSpecOptions o;
    o.id = id_;
    o.rootfs = dir_ + "/bundle/rootfs";
    o.args = {"/sleep", "3600"};
    o.hostname = "berth-it";
    o.net_ns_path = pins_.net;
    o.ipc_ns_path = pins_.ipc;
    o.uts_ns_path = pins_.uts;
    o.annotations = {{"io.kubernetes.cri.sandbox-id", id_}};
    auto spec = BuildSandboxSpec(o);
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    std::ofstream(dir_ + "/bundle/config.json") << spec->dump(2);
  }

  ConmonCreateRequest Request() {
    ConmonCreateRequest r;
    r.id = id_;
    r.name = "k8s_POD_it";
    r.bundle = dir_ + "/bundle";
    r.container_pidfile = dir_ + "/run/pid";
    r.conmon_pidfile = dir_ + "/run/conmon.pid";
    r.log_path = dir_ + "/infra.log";
    r.exit_dir = dir_ + "/exits";
    r.persist_dir = dir_ + "/persist";
    return r;
  }

  OciRuntime Runtime(const std::string& script) {
    return OciRuntime({script, kRuntimes + "/" + script, dir_ + "/runc", false});
  }

  std::string dir_, id_, log_;
  ns::PinnedPaths pins_;
};

TEST_F(OciIntegration, PinThenUnpinLeavesNoMount) {
  auto pins = ns::PinNamespaces(dir_ + "/run", id_, {true, true, true, "pinned-host"});
  ASSERT_TRUE(pins.ok()) << pins.status().ToString();
  pins_ = *pins;
  for (const auto* p : {&pins_.net, &pins_.ipc, &pins_.uts}) {
    EXPECT_TRUE(Mounted(*p)) << *p;
  }
  EXPECT_THAT(
      RunCmd({"/usr/bin/nsenter", "--net=" + pins_.net, "/sbin/ip", "-o", "link", "show", "lo"}),
      HasSubstr("UP"));
  EXPECT_EQ(RunCmd({"/usr/bin/nsenter", "--uts=" + pins_.uts, "/bin/hostname"}), "pinned-host\n");
  // Pinning the same pod twice is refused and leaves the first pins alone.
  auto again = ns::PinNamespaces(dir_ + "/run", id_, {true, false, false, ""});
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  EXPECT_TRUE(Mounted(pins_.net));

  ASSERT_TRUE(ns::UnpinNamespaces(pins_).ok());
  for (const auto* p : {&pins_.net, &pins_.ipc, &pins_.uts}) {
    EXPECT_FALSE(Mounted(*p)) << *p;
    EXPECT_FALSE(fs::exists(*p)) << *p;
  }
  EXPECT_TRUE(ns::UnpinNamespaces(pins_).ok());  // idempotent
}

TEST_F(OciIntegration, InfraRunsThroughConmonAndChosenRuntime) {
  PrepareBundle();
  std::mutex mu;
  std::condition_variable cv;
  std::optional<ExitInfo> exit;  // guarded by mu
  ExitWatcher watcher(dir_ + "/exits", [&](const ExitInfo& e) {
    std::lock_guard<std::mutex> l(mu);
    exit = e;
    cv.notify_all();
  });
  ASSERT_TRUE(watcher.Start().ok());

  OciRuntime rt = Runtime("recording-runtime");
  ConmonDriver conmon(ConmonConfig{});
  auto created = conmon.Create(rt, Request());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_GT(created->container_pid, 0);
  auto st = rt.State(id_);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->status, "created");
  ASSERT_TRUE(rt.Start(id_).ok());
  st = rt.State(id_);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->status, "running");
  EXPECT_EQ(st->pid, created->container_pid);
  // The chosen path really ran: the wrapper logged create (via conmon) and start.
  std::string log = ReadAll(log_);
  EXPECT_THAT(log, HasSubstr("--root " + dir_ + "/runc create --bundle " + dir_ + "/bundle"));
  EXPECT_THAT(log, HasSubstr("start " + id_));
  // The infra process sits in the pinned network namespace.
  struct stat pinned {
  }, joined{};
  ASSERT_EQ(stat(pins_.net.c_str(), &pinned), 0);
  ASSERT_EQ(stat(("/proc/" + std::to_string(st->pid) + "/ns/net").c_str(), &joined), 0);
  EXPECT_EQ(pinned.st_ino, joined.st_ino);
  EXPECT_EQ(RunCmd({"/usr/bin/nsenter", "-t", std::to_string(st->pid), "--uts", "/bin/hostname"}),
            "berth-it\n");
  EXPECT_TRUE(fs::exists(ConmonDriver::CtlFifoPath(dir_ + "/bundle")));
  // After a rotation the reopened log exists again when ReopenLog returns.
  fs::rename(dir_ + "/infra.log", dir_ + "/infra.log.1");
  Status reopened =
      ConmonDriver::ReopenLog(dir_ + "/bundle", dir_ + "/infra.log", std::chrono::seconds(10));
  EXPECT_TRUE(reopened.ok()) << reopened.ToString();
  EXPECT_TRUE(fs::exists(dir_ + "/infra.log"));

  ASSERT_TRUE(rt.Kill(id_, 9).ok());
  {
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(30), [&] { return exit.has_value(); }));
    EXPECT_EQ(exit->id, id_);
    EXPECT_EQ(exit->exit_code, 137);
  }
  auto file = ReadExitFile(dir_ + "/exits", id_);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->exit_code, 137);
  EXPECT_TRUE(process::WaitProcessGone(created->conmon_pid, std::chrono::seconds(10)));
  ASSERT_TRUE(rt.Delete(id_).ok());
  EXPECT_EQ(rt.State(id_).status().code(), Code::kNotFound);
  EXPECT_TRUE(rt.Delete(id_).ok());  // idempotent
  watcher.Stop();
}

TEST_F(OciIntegration, FailingRuntimeGivesClearErrorAndLeavesNoConmon) {
  PrepareBundle();
  OciRuntime rt = Runtime("failing-runtime");
  auto created = ConmonDriver(ConmonConfig{}).Create(rt, Request());
  ASSERT_FALSE(created.ok());
  EXPECT_THAT(created.status().message(),
              HasSubstr("failing-runtime create " + id_ + ": failing-runtime: refusing to create"));
  auto conmon_pid = ReadPidFile(dir_ + "/run/conmon.pid");
  ASSERT_TRUE(conmon_pid.ok());
  EXPECT_TRUE(process::WaitProcessGone(*conmon_pid, std::chrono::milliseconds(100)));
  EXPECT_EQ(rt.State(id_).status().code(), Code::kNotFound);
}

TEST_F(OciIntegration, HangingRuntimeTimesOutAndLeavesNoProcess) {
  PrepareBundle();
  OciRuntime rt = Runtime("hanging-runtime");
  ConmonConfig cfg;
  cfg.create_timeout = std::chrono::seconds(3);
  auto start = std::chrono::steady_clock::now();
  auto created = ConmonDriver(cfg).Create(rt, Request());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), Code::kDeadlineExceeded) << created.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  auto conmon_pid = ReadPidFile(dir_ + "/run/conmon.pid");
  ASSERT_TRUE(conmon_pid.ok());
  EXPECT_TRUE(process::WaitProcessGone(*conmon_pid, std::chrono::milliseconds(100)));
  auto hang_pid = ReadPidFile(dir_ + "/hang.pid");
  ASSERT_TRUE(hang_pid.ok()) << "the hanging runtime never ran";
  EXPECT_TRUE(process::WaitProcessGone(*hang_pid, std::chrono::milliseconds(100)));
  EXPECT_EQ(rt.State(id_).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace berth::oci
