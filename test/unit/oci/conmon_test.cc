#include "pkg/oci/conmon.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <thread>

namespace berth::oci {
namespace {

using ::testing::HasSubstr;

ConmonCreateRequest Req() {
  ConmonCreateRequest r;
  r.id = "abc123";
  r.name = "k8s_POD_web";
  r.bundle = "/var/lib/berth/sandboxes/abc123";
  r.container_pidfile = "/run/berth/abc123/pid";
  r.conmon_pidfile = "/run/berth/abc123/conmon.pid";
  r.log_path = "/var/log/pods/web/0.log";
  r.exit_dir = "/run/berth/exits";
  r.persist_dir = "/var/lib/berth/sandboxes/abc123/persist";
  r.socket_dir = "/run/berth/sockets";
  return r;
}

// The value following `flag` in argv, or "" when absent.
std::string After(const std::vector<std::string>& argv, const std::string& flag) {
  auto it = std::find(argv.begin(), argv.end(), flag);
  if (it == argv.end() || it + 1 == argv.end()) return "";
  return *(it + 1);
}
bool Has(const std::vector<std::string>& argv, const std::string& flag) {
  return std::find(argv.begin(), argv.end(), flag) != argv.end();
}

TEST(BuildConmonArgv, CrioStyleCommandLine) {
  ConmonConfig cfg;
  cfg.log_level = "debug";
  OciRuntime rt({"runc", "/usr/sbin/runc", "/run/berth/runc", false});
  auto a = BuildConmonArgv(cfg, rt, Req());
  EXPECT_EQ(a[0], "/usr/bin/conmon");
  EXPECT_EQ(After(a, "--api-version"), "1");
  EXPECT_EQ(After(a, "--cid"), "abc123");
  EXPECT_EQ(After(a, "--cuuid"), "abc123");
  EXPECT_EQ(After(a, "--name"), "k8s_POD_web");
  EXPECT_EQ(After(a, "--runtime"), "/usr/sbin/runc");
  EXPECT_EQ(After(a, "--bundle"), "/var/lib/berth/sandboxes/abc123");
  EXPECT_EQ(After(a, "--container-pidfile"), "/run/berth/abc123/pid");
  EXPECT_EQ(After(a, "--conmon-pidfile"), "/run/berth/abc123/conmon.pid");
  EXPECT_EQ(After(a, "--log-path"), "k8s-file:/var/log/pods/web/0.log");
  EXPECT_EQ(After(a, "--exit-dir"), "/run/berth/exits");
  EXPECT_EQ(After(a, "--persist-dir"), "/var/lib/berth/sandboxes/abc123/persist");
  EXPECT_EQ(After(a, "--socket-dir-path"), "/run/berth/sockets");
  EXPECT_EQ(After(a, "--log-level"), "debug");
  EXPECT_TRUE(Has(a, "--full-attach"));
  // --root reaches the runtime through two --runtime-arg pairs, in order.
  auto it = std::find(a.begin(), a.end(), "--runtime-arg");
  ASSERT_NE(it, a.end());
  ASSERT_LT(it + 3, a.end());
  EXPECT_EQ(*(it + 1), "--root");
  EXPECT_EQ(*(it + 2), "--runtime-arg");
  EXPECT_EQ(*(it + 3), "/run/berth/runc");
  for (const char* f : {"--terminal", "--stdin", "--leave-stdin-open", "--systemd-cgroup",
                        "--no-pivot", "--log-size-max", "--syslog"}) {
    EXPECT_FALSE(Has(a, f)) << f;
  }
}

TEST(BuildConmonArgv, OptionalFlags) {
  ConmonConfig cfg;
  cfg.syslog = true;
  OciRuntime rt({"runc", "/usr/sbin/runc", "", true});
  ConmonCreateRequest r = Req();
  r.terminal = true;
  r.stdin = true;
  r.stdin_once = false;
  r.no_pivot = true;
  r.log_size_max = 1 << 20;
  auto a = BuildConmonArgv(cfg, rt, r);
  for (const char* f : {"--terminal", "--stdin", "--leave-stdin-open", "--systemd-cgroup",
                        "--no-pivot", "--syslog"}) {
    EXPECT_TRUE(Has(a, f)) << f;
  }
  EXPECT_EQ(After(a, "--log-size-max"), "1048576");
  EXPECT_FALSE(Has(a, "--runtime-arg"));  // no root configured
  r.stdin_once = true;
  EXPECT_FALSE(Has(BuildConmonArgv(cfg, rt, r), "--leave-stdin-open"));
}

TEST(ParseSyncMessage, PidAndErrors) {
  EXPECT_EQ(*ParseSyncMessage(R"({"data": 4242})", "runc", "c1"), 4242);
  EXPECT_EQ(*ParseSyncMessage(R"({"pid": 17})", "runc", "c1"), 17);
  auto bad = ParseSyncMessage(
      R"({"data": -1, "message": "time=\"x\" level=error msg=\"exec: \\\"/pause\\\": no such file\"\n"})",
      "runc", "c1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "runc create c1: exec: \"/pause\": no such file");
  auto no_msg = ParseSyncMessage(R"({"data": -1})", "runc", "c1");
  EXPECT_THAT(no_msg.status().message(), HasSubstr("runc create c1: failed"));
  EXPECT_FALSE(ParseSyncMessage("garbage", "runc", "c1").ok());
  EXPECT_FALSE(ParseSyncMessage(R"({"message": "x"})", "runc", "c1").ok());
}

TEST(ConmonDriver, CreateRefusesBadRequest) {
  ConmonDriver d(ConmonConfig{});
  OciRuntime rt({"runc", "/usr/sbin/runc", "", false});
  ConmonCreateRequest r = Req();
  r.id = "../evil";
  EXPECT_EQ(d.Create(rt, r).status().code(), Code::kInvalidArgument);
  r = Req();
  r.bundle = "relative";
  EXPECT_EQ(d.Create(rt, r).status().code(), Code::kInvalidArgument);
}

TEST(ConmonDriver, CtlWithoutConmonIsFailedPrecondition) {
  char tmpl[] = "/tmp/berth-oci-ctl-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string log = std::string(tmpl) + "/c.log";
  const auto timeout = std::chrono::seconds(10);
  EXPECT_EQ(ConmonDriver::ReopenLog(tmpl, log, timeout).code(), Code::kFailedPrecondition);
  std::string fifo = ConmonDriver::CtlFifoPath(tmpl);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // A fifo nobody reads: still refused without blocking.
  EXPECT_EQ(ConmonDriver::ReopenLog(tmpl, log, timeout).code(), Code::kFailedPrecondition);
  // With a reader, the message is the reopen line conmon expects.
  int r = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(r, 0);
  { std::ofstream(log) << ""; }  // the log exists: nothing to wait for
  ASSERT_TRUE(ConmonDriver::ReopenLog(tmpl, log, timeout).ok());
  ASSERT_TRUE(ConmonDriver::ResizeTerminal(tmpl, 24, 80).ok());
  char buf[64] = {};
  ASSERT_GT(read(r, buf, sizeof(buf) - 1), 0);
  EXPECT_STREQ(buf, "2 0 0\n1 24 80\n");
  close(r);
  EXPECT_EQ(ConmonDriver::AttachSocketPath("/b"), "/b/attach");
  std::filesystem::remove_all(tmpl);
}

// After a rotation the log is gone; ReopenLog answers only once the monitor
// has made the new file (here a thread acting as conmon: it creates the file
// when it reads the reopen line), and gives up after its timeout.
TEST(ConmonDriver, ReopenLogReturnsOnceTheNewFileExists) {
  char tmpl[] = "/tmp/berth-oci-reopen-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string log = std::string(tmpl) + "/c.log";
  std::string fifo = ConmonDriver::CtlFifoPath(tmpl);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  int r = open(fifo.c_str(), O_RDWR);  // read-write: never sees EOF between writers
  ASSERT_GE(r, 0);
  std::thread monitor([&] {
    char buf[16] = {};
    if (read(r, buf, sizeof(buf) - 1) > 0 && std::string(buf) == "2 0 0\n")
      std::ofstream(log) << "";
  });
  Status s = ConmonDriver::ReopenLog(tmpl, log, std::chrono::seconds(20));
  monitor.join();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(std::filesystem::exists(log));

  // Nobody creates it: DeadlineExceeded naming the file.
  std::filesystem::remove(log);
  s = ConmonDriver::ReopenLog(tmpl, log, std::chrono::milliseconds(200));
  EXPECT_EQ(s.code(), Code::kDeadlineExceeded);
  EXPECT_THAT(s.message(), ::testing::HasSubstr(log));
  close(r);
  std::filesystem::remove_all(tmpl);
}

TEST(ReadPidFile, ParsesAndRefuses) {
  char tmpl[] = "/tmp/berth-oci-pid-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string p = std::string(tmpl) + "/pid";
  std::ofstream(p) << "1234";
  EXPECT_EQ(*ReadPidFile(p), 1234);
  std::ofstream(p) << "12x";
  EXPECT_FALSE(ReadPidFile(p).ok());
  EXPECT_FALSE(ReadPidFile(std::string(tmpl) + "/none").ok());
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace berth::oci
