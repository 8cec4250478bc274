#include "pkg/process/spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/process/wait_gone.h"
#include "test/unit/process/test_util.h"

namespace berth::process {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MakePipe;
using ::testing::Pair;
using testing::ParseFdList;
using testing::ReadAll;
using testing::ReadLine;

// Spawns `argv` with stdout on a pipe; returns what it printed and how it ended.
std::pair<std::string, ExitStatus> Output(SpawnOptions o) {
  auto out = MakePipe();
  o.fds.push_back({1, out.write.get()});
  auto child = Spawn(o);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  if (!child.ok()) return {};
  out.write.reset();
  std::string text = ReadAll(out.read.get());
  auto st = child->Wait();
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  return {text, st.ok() ? *st : ExitStatus{}};
}

SpawnOptions Prog(std::vector<std::string> argv) {
  SpawnOptions o;
  o.argv = std::move(argv);
  return o;
}

SpawnOptions Sh(const std::string& script) {
  return Prog({"/bin/sh", "-c", script});
}

TEST(Spawn, ExitCodeAndTerminatingSignal) {
  auto exited = Spawn(Sh("exit 7"));
  ASSERT_TRUE(exited.ok()) << exited.status().ToString();
  auto st = exited->Wait();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->exit_code, 7);
  EXPECT_EQ(st->term_signal, 0);
  EXPECT_EQ(st->Describe(), "exit status 7");

  auto killed = Spawn(Sh("kill -TERM $$"));
  ASSERT_TRUE(killed.ok());
  st = killed->Wait();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->term_signal, SIGTERM);
  EXPECT_FALSE(st->success());
  EXPECT_EQ(st->Describe(), "killed by signal 15");
}

TEST(Spawn, WaitReturnsTheSameStatusAgain) {
  auto child = Spawn(Sh("exit 3"));
  ASSERT_TRUE(child.ok());
  ASSERT_EQ(child->Wait()->exit_code, 3);
  EXPECT_EQ(child->Wait()->exit_code, 3);
  EXPECT_EQ((*child->TryWait())->exit_code, 3);
  // Reaped: no signal may go anywhere (the pid may belong to someone else now).
  EXPECT_EQ(child->Signal(SIGKILL).code(), Code::kFailedPrecondition);
}

TEST(Spawn, ExecFailureNamesProgramAndErrno) {
  auto missing = Spawn(Prog({"/nonexistent/prog"}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kInternal);
  EXPECT_THAT(missing.status().message(), HasSubstr("cannot execute /nonexistent/prog"));
  EXPECT_THAT(missing.status().message(), HasSubstr("No such file or directory"));

  auto not_executable = Spawn(Prog({"/"}));
  ASSERT_FALSE(not_executable.ok());
  EXPECT_THAT(not_executable.status().message(), HasSubstr("Permission denied"));

  SpawnOptions bad_cwd = Sh("true");
  bad_cwd.cwd = "/nonexistent/dir";
  auto chdir_failed = Spawn(bad_cwd);
  ASSERT_FALSE(chdir_failed.ok());
  EXPECT_THAT(chdir_failed.status().message(),
              HasSubstr("cannot start /bin/sh: chdir: No such file"));
}

TEST(Spawn, RejectsBadOptions) {
  EXPECT_EQ(Spawn(SpawnOptions{}).status().code(), Code::kInvalidArgument);
  SpawnOptions twice = Sh("true");
  twice.fds = {{1, 1}, {1, 2}};
  EXPECT_EQ(Spawn(twice).status().code(), Code::kInvalidArgument);
  SpawnOptions tty_without_session = Sh("true");
  tty_without_session.fds = {{0, 0}};
  tty_without_session.controlling_tty = 0;
  EXPECT_EQ(Spawn(tty_without_session).status().code(), Code::kInvalidArgument);
}

TEST(Spawn, NoShellAndNoPathLookup) {
  auto [out, st] = Output(Prog({"/bin/echo", "$(id)", "a;b"}));
  EXPECT_EQ(out, "$(id) a;b\n");
  EXPECT_FALSE(Spawn(Prog({"echo", "x"})).ok());
}

TEST(Spawn, EnvironmentWholeOrDaemonsWithOverrides) {
  SpawnOptions whole = Prog({"/usr/bin/env"});
  whole.env = {"A=1", "B=2"};
  whole.extra_env = {"B=3"};
  EXPECT_EQ(Output(whole).first, "A=1\nB=3\n");

  ASSERT_EQ(setenv("BERTH_SPAWN_TEST_KEEP", "kept", 1), 0);
  ASSERT_EQ(setenv("BERTH_SPAWN_TEST_OVERRIDE", "daemon", 1), 0);
  SpawnOptions inherited = Sh("echo $BERTH_SPAWN_TEST_KEEP $BERTH_SPAWN_TEST_OVERRIDE");
  inherited.extra_env = {"BERTH_SPAWN_TEST_OVERRIDE=mine"};
  EXPECT_EQ(Output(inherited).first, "kept mine\n");
  unsetenv("BERTH_SPAWN_TEST_KEEP");
  unsetenv("BERTH_SPAWN_TEST_OVERRIDE");
}

TEST(Spawn, WorkingDirectory) {
  SpawnOptions o = Prog({"/bin/pwd"});
  o.cwd = "/usr/share";
  EXPECT_EQ(Output(o).first, "/usr/share\n");
}

TEST(Spawn, ChildSeesExactlyTheMappedDescriptors) {
  testing::Scratch scratch;
  // Inheritable descriptors in the gap below the highest mapped fd and far
  // above it.
  const std::string marker = scratch / "inheritable-marker";
  ScopedFd in_gap = testing::OpenInheritable(marker, 3);
  ASSERT_LT(in_gap.get(), 7);
  ScopedFd high = testing::OpenInheritable(marker, 100);
  auto extra = MakePipe();

  SpawnOptions o = Sh(std::string(testing::kListFds) + "; echo hi >&7");
  o.fds = {{7, extra.write.get()}};  // a sparse map: nothing at 3-6; 0 and 2 not mapped
  auto [out, st] = Output(o);
  ASSERT_TRUE(st.success()) << out;
  extra.write.reset();
  EXPECT_EQ(ReadAll(extra.read.get()), "hi\n");

  auto fds = ParseFdList(out);
  EXPECT_THAT(fds, ElementsAre(Pair(0, "/dev/null"), Pair(1, HasSubstr("pipe:")),
                               Pair(2, "/dev/null"), Pair(7, HasSubstr("pipe:"))))
      << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr(marker))) << out;
}

TEST(Spawn, MapMaySwapDescriptors) {
  // Sources that sit on each other's target numbers: placing one must not
  // clobber the other.
  auto a = MakePipe();
  auto b = MakePipe();
  ScopedFd a_high(fcntl(a.write.get(), F_DUPFD_CLOEXEC, 100));
  ScopedFd b_high(fcntl(b.write.get(), F_DUPFD_CLOEXEC, a_high.get() + 1));
  a.write.reset();
  b.write.reset();
  const int fa = a_high.get();
  const int fb = b_high.get();
  // busybox: dash's redirections take one-digit descriptors only.
  SpawnOptions o =
      Prog({"/bin/busybox", "sh", "-c",
            "echo to-a >&" + std::to_string(fb) + "; echo to-b >&" + std::to_string(fa)});
  o.fds = {{fb, fa}, {fa, fb}};
  auto child = Spawn(o);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  a_high.reset();
  b_high.reset();
  EXPECT_EQ(ReadAll(a.read.get()), "to-a\n");
  EXPECT_EQ(ReadAll(b.read.get()), "to-b\n");
  EXPECT_TRUE(child->Wait()->success());
}

TEST(Spawn, NewSessionWithControllingTerminal) {
  ScopedFd master(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  ASSERT_TRUE(master.valid());
  ASSERT_EQ(grantpt(master.get()), 0);
  ASSERT_EQ(unlockpt(master.get()), 0);
  ScopedFd slave(open(ptsname(master.get()), O_RDWR | O_NOCTTY | O_CLOEXEC));
  ASSERT_TRUE(slave.valid());
  winsize size{};
  size.ws_row = 33;
  size.ws_col = 77;
  ASSERT_EQ(ioctl(master.get(), TIOCSWINSZ, &size), 0);

  // /dev/tty opens only for a process that has a controlling terminal.
  SpawnOptions o = Sh("stty size </dev/tty; cut -d' ' -f6 /proc/$$/stat; echo $$");
  o.fds = {{0, slave.get()}, {1, slave.get()}, {2, slave.get()}};
  o.new_session = true;
  o.controlling_tty = 0;
  auto child = Spawn(o);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  slave.reset();
  // Read until EIO: every slave descriptor (the child's) has been closed.
  std::string out;
  char buf[256];
  for (;;) {
    ssize_t n = read(master.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  auto st = child->Wait();
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->success()) << out;
  const std::string pid = std::to_string(child->pid());
  // The session id is the child's own pid: it leads its session.
  EXPECT_EQ(out, "33 77\r\n" + pid + "\r\n" + pid + "\r\n");
}

TEST(Spawn, SignalFromAnotherThreadWhileWaitBlocks) {
  auto child = Spawn(Prog({"/bin/sleep", "30"}));
  ASSERT_TRUE(child.ok());
  Result<ExitStatus> waited = Internal("not waited");
  std::atomic<pid_t> waiter_tid = 0;
  std::thread waiter([&] {
    waiter_tid = gettid();
    waited = child->Wait();
  });
  // Signal only once the waiter is blocked inside waitid(2): a Wait that held
  // the child's lock while blocking would deadlock this Signal.
  ASSERT_TRUE(testing::Eventually([&] {
    auto sc = ReadFile("/proc/self/task/" + std::to_string(waiter_tid.load()) + "/syscall");
    return sc.ok() && sc->starts_with(std::to_string(SYS_waitid) + " ");
  }));
  EXPECT_TRUE(child->Signal(SIGTERM).ok());
  waiter.join();
  ASSERT_TRUE(waited.ok()) << waited.status().ToString();
  EXPECT_EQ(waited->term_signal, SIGTERM);
}

TEST(Spawn, WaitForAndTryWait) {
  auto child = Spawn(Prog({"/bin/sleep", "30"}));
  ASSERT_TRUE(child.ok());
  auto t0 = Child::Clock::now();
  auto early = child->WaitFor(t0 + std::chrono::milliseconds(100));
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->has_value());
  EXPECT_GE(Child::Clock::now() - t0, std::chrono::milliseconds(100));
  EXPECT_FALSE(child->TryWait()->has_value());
  ASSERT_TRUE(child->Signal(SIGKILL).ok());
  auto done = child->WaitFor(Child::Clock::now() + std::chrono::seconds(30));
  ASSERT_TRUE(done.ok() && done->has_value());
  EXPECT_EQ((*done)->term_signal, SIGKILL);
}

TEST(Spawn, PidfdIsReadableOnceTheChildExits) {
  auto child = Spawn(Prog({"/bin/sleep", "30"}));
  ASSERT_TRUE(child.ok());
  ASSERT_GE(child->pidfd(), 0);  // this kernel has pidfd_open; fallback_test covers the rest
  pollfd p{child->pidfd(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 0), 0);
  ASSERT_TRUE(child->Signal(SIGKILL).ok());
  EXPECT_EQ(poll(&p, 1, 30000), 1);
  EXPECT_EQ(child->Wait()->term_signal, SIGKILL);
}

TEST(Spawn, DestructorKillsGroupAndReaps) {
  auto out = MakePipe();
  SpawnOptions o = Sh("sleep 30 & echo $!; wait");
  o.fds = {{1, out.write.get()}};
  o.new_process_group = true;
  pid_t pid, helper;
  {
    auto child = Spawn(o);
    ASSERT_TRUE(child.ok());
    out.write.reset();
    pid = child->pid();
    helper = std::stoi(ReadLine(out.read.get()));
    ASSERT_TRUE(testing::Running(helper));
  }
  // Reaped: no longer our child (and no zombie of ours).
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  // The group member went too (init reaps it; gone or a zombie is enough).
  EXPECT_TRUE(WaitProcessGone(helper, std::chrono::seconds(10)));
}

TEST(Spawn, MoveAssignOverALiveChildReapsIt) {
  auto first = Spawn(Prog({"/bin/sleep", "30"}));
  auto second = Spawn(Sh("exit 4"));
  ASSERT_TRUE(first.ok() && second.ok());
  pid_t first_pid = first->pid();
  Child c = std::move(*first);
  EXPECT_FALSE(first->valid());
  c = std::move(*second);
  EXPECT_EQ(waitpid(first_pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  EXPECT_EQ(c.Wait()->exit_code, 4);
}

TEST(Spawn, SignalGroupNeedsAGroup) {
  auto child = Spawn(Prog({"/bin/sleep", "30"}));
  ASSERT_TRUE(child.ok());
  EXPECT_FALSE(child->leads_process_group());
  EXPECT_EQ(child->SignalGroup(SIGKILL).code(), Code::kFailedPrecondition);
}

TEST(Spawn, ChildStartsWithDefaultSignalDispositionsAndEmptyMask) {
  // Ignored and blocked here; the child must see neither.
  struct sigaction ign {
  }, old_action{};
  ign.sa_handler = SIG_IGN;
  ASSERT_EQ(sigaction(SIGUSR1, &ign, &old_action), 0);
  sigset_t usr2, old_mask;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &usr2, &old_mask), 0);
  auto [out, st] = Output(Prog({"/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"}));
  sigaction(SIGUSR1, &old_action, nullptr);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  EXPECT_EQ(out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

}  // namespace
}  // namespace berth::process
