// pkg/process's Spawn, Child and WaitProcessGone on Windows (under Wine in
// hack/test-windows.sh), with berth_process_win_child.exe as the child.
#include <fcntl.h>
#include <io.h>
#include <windows.h>

#include <atomic>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/fs/scoped_fd.h"
#include "pkg/fs/temp_dir.h"
#include "pkg/process/spawn.h"
#include "pkg/process/wait_gone.h"
#include "pkg/process/windows/command_line.h"
#include "test/windows/fs_win_test_util.h"
#include "test/windows/process_win_test_util.h"

namespace berth::process {
namespace {

using testing::ChildArgv;
using ::testing::HasSubstr;
using testing::kSigKill;
using testing::ReadAll;

SpawnOptions Prog(std::vector<std::string> args) {
  SpawnOptions o;
  o.argv = ChildArgv(std::move(args));
  return o;
}

// Spawns with stdout on a pipe; returns what the child printed and how it ended.
std::pair<std::string, ExitStatus> Output(SpawnOptions o) {
  ScopedFd read_end, write_end;
  EXPECT_TRUE(MakePipe(read_end, write_end).ok());
  o.fds.push_back({1, write_end.get()});
  auto child = Spawn(o);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  if (!child.ok()) return {};
  write_end.reset();
  std::string text = ReadAll(read_end.get());
  auto st = child->Wait();
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  return {text, st.ok() ? *st : ExitStatus{}};
}

TEST(SpawnWin, ExitCode) {
  auto child = Spawn(Prog({"exit", "7"}));
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  auto st = child->Wait();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->exit_code, 7);
  EXPECT_EQ(st->Describe(), "exit status 7");
  EXPECT_EQ(child->Wait()->exit_code, 7);  // kept for later calls
  EXPECT_EQ(child->pidfd(), -1);
  EXPECT_EQ(child->Signal(kSigKill).code(), Code::kFailedPrecondition);
}

TEST(SpawnWin, ArgvRoundTripsThroughTheCommandLine) {
  const std::vector<std::string> args = {
      "plain",      "with space", "",           "quote\"inside",   "\"",         "tab\there",
      "trailing\\", "a\\\\b",     "sp ace\\\\", "\\\"escaped\\\"", "back\\\\\"q"};
  std::vector<std::string> argv = {"args"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto [out, st] = Output(Prog(argv));
  ASSERT_TRUE(st.success());
  std::string expected;
  for (const auto& a : args) expected += a + "\n";
  EXPECT_EQ(out, expected);
}

TEST(SpawnWin, CommandLineQuoting) {
  auto line = internal::BuildCommandLine({"C:\\p q\\x.exe", "a b", "c\\", "d\"", "e\\\\\"f"});
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(*line, L"\"C:\\p q\\x.exe\" \"a b\" c\\ \"d\\\"\" \"e\\\\\\\\\\\"f\"");
  EXPECT_EQ(internal::BuildCommandLine({"x\"y.exe"}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(internal::BuildCommandLine({"x.exe", std::string("a\0b", 3)}).status().code(),
            Code::kInvalidArgument);
}

TEST(SpawnWin, EnvironmentBlockIsSortedWithoutRegardToCase) {
  Command c;
  c.env = {"b=1", "_C=3", "A=2"};
  c.extra_env = {"B=4"};  // the same variable as b on Windows
  auto block = internal::BuildEnvironmentBlock(c);
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(*block, std::wstring(L"A=2\0B=4\0_C=3\0\0", 14));
  c.env = std::vector<std::string>{};
  c.extra_env = {};
  EXPECT_EQ(*internal::BuildEnvironmentBlock(c), std::wstring(L"\0\0", 2));
}

TEST(SpawnWin, EnvironmentWholeOrDaemonsWithOverrides) {
  SpawnOptions whole = Prog({"env", "BERTH_B"});
  whole.env = {"BERTH_A=1", "BERTH_B=2"};
  whole.extra_env = {"berth_b=3"};
  EXPECT_EQ(Output(whole).first, "3");
  whole.argv = ChildArgv({"env", "BERTH_SPAWN_WIN_KEEP"});
  EXPECT_EQ(Output(whole).first, "<unset>");  // not the daemon's

  ASSERT_TRUE(SetEnvironmentVariableW(L"BERTH_SPAWN_WIN_KEEP", L"kept"));
  ASSERT_TRUE(SetEnvironmentVariableW(L"BERTH_SPAWN_WIN_OVERRIDE", L"daemon"));
  SpawnOptions inherited = Prog({"env", "BERTH_SPAWN_WIN_KEEP"});
  inherited.extra_env = {"BERTH_SPAWN_WIN_OVERRIDE=mine"};
  EXPECT_EQ(Output(inherited).first, "kept");
  inherited.argv = ChildArgv({"env", "BERTH_SPAWN_WIN_OVERRIDE"});
  EXPECT_EQ(Output(inherited).first, "mine");
  SetEnvironmentVariableW(L"BERTH_SPAWN_WIN_KEEP", nullptr);
  SetEnvironmentVariableW(L"BERTH_SPAWN_WIN_OVERRIDE", nullptr);
}

TEST(SpawnWin, WorkingDirectory) {
  auto dir = TempDir::Create(test_util::SystemTempDir(), "berth-process-cwd-");
  ASSERT_TRUE(dir.ok());
  SpawnOptions o = Prog({"cwd"});
  o.cwd = dir->path();
  std::string got = Output(o).first;
  for (char& c : got) c = c == '\\' ? '/' : c;
  EXPECT_TRUE(CompareStringOrdinal(std::wstring(got.begin(), got.end()).c_str(), -1,
                                   std::wstring(o.cwd.begin(), o.cwd.end()).c_str(), -1,
                                   TRUE) == CSTR_EQUAL)
      << got << " vs " << o.cwd;
}

TEST(SpawnWin, StartFailuresNameTheProgramAndTheStep) {
  SpawnOptions missing;
  missing.argv = {"C:\\nonexistent\\prog.exe"};
  auto r = Spawn(missing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInternal);
  EXPECT_THAT(r.status().message(), HasSubstr("cannot execute C:\\nonexistent\\prog.exe"));

  SpawnOptions bad_cwd = Prog({"exit", "0"});
  bad_cwd.cwd = "C:\\nonexistent\\dir";
  r = Spawn(bad_cwd);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr(": chdir: "));
}

TEST(SpawnWin, RefusesWhatWindowsCannotGive) {
  EXPECT_EQ(Spawn(SpawnOptions{}).status().code(), Code::kInvalidArgument);
  ScopedFd read_end, write_end;
  ASSERT_TRUE(MakePipe(read_end, write_end).ok());
  SpawnOptions above_two = Prog({"exit", "0"});
  above_two.fds = {{3, write_end.get()}};
  auto r = Spawn(above_two);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("child fd 3"));
  SpawnOptions twice = Prog({"exit", "0"});
  twice.fds = {{1, write_end.get()}, {1, read_end.get()}};
  EXPECT_EQ(Spawn(twice).status().code(), Code::kInvalidArgument);
  SpawnOptions closed = Prog({"exit", "0"});
  closed.fds = {{1, 9999}};
  EXPECT_THAT(Spawn(closed).status().message(), HasSubstr("parent fd 9999"));
  SpawnOptions tty = Prog({"exit", "0"});
  tty.new_session = true;
  tty.fds = {{0, read_end.get()}};
  tty.controlling_tty = 0;
  EXPECT_EQ(Spawn(tty).status().code(), Code::kUnimplemented);
  auto forked = ForkRun(Prog({"exit", "0"}), [] { return 0; });
  EXPECT_EQ(forked.status().code(), Code::kUnimplemented);
  EXPECT_THAT(forked.status().message(), HasSubstr(testing::ChildProgram()));
}

TEST(SpawnWin, ChildInheritsExactlyTheHandlesGiven) {
  // An inheritable pipe the child is not given: a child that inherited
  // every inheritable handle could write to it by its value.
  SECURITY_ATTRIBUTES inherit{sizeof(inherit), nullptr, TRUE};
  HANDLE leak_r, leak_w;
  ASSERT_TRUE(CreatePipe(&leak_r, &leak_w, &inherit, 0));
  win::ScopedHandle leak_read(leak_r), leak_write(leak_w);
  const std::string value = std::to_string(reinterpret_cast<uintptr_t>(leak_w));
  auto child = Spawn(Prog({"write-handle", value, "leaked"}));
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  ASSERT_TRUE(child->Wait().ok());
  leak_write.reset();
  char buf[16];
  DWORD n = 0;
  EXPECT_FALSE(ReadFile(leak_read.get(), buf, sizeof(buf), &n, nullptr) && n > 0)
      << "the child wrote through a handle it was not given";

  // What it is given works: stdout, mapped.
  auto [out, st] = Output(Prog({"args", "given"}));
  EXPECT_EQ(out, "given\n");
}

TEST(SpawnWin, SignalsWindowsCannotDeliverAreRefused) {
  auto child = Spawn(Prog({"sleep", "30000"}));
  ASSERT_TRUE(child.ok());
  EXPECT_EQ(child->Signal(15).code(), Code::kUnimplemented);
  EXPECT_TRUE(child->Signal(0).ok());
  EXPECT_FALSE(child->leads_process_group());
  EXPECT_EQ(child->SignalGroup(kSigKill).code(), Code::kFailedPrecondition);
  auto t0 = Child::Clock::now();
  auto early = child->WaitFor(t0 + std::chrono::milliseconds(100));
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->has_value());
  EXPECT_GE(Child::Clock::now() - t0, std::chrono::milliseconds(100));
  EXPECT_FALSE(child->TryWait()->has_value());
  ASSERT_TRUE(child->Signal(kSigKill).ok());
  auto done = child->WaitFor(Child::Clock::now() + std::chrono::seconds(30));
  ASSERT_TRUE(done.ok() && done->has_value());
  EXPECT_EQ((*done)->term_signal, kSigKill);
  EXPECT_EQ((*done)->Describe(), "killed by signal 9");
}

TEST(SpawnWin, KillFromAnotherThreadWhileWaitBlocks) {
  auto child = Spawn(Prog({"sleep", "30000"}));
  ASSERT_TRUE(child.ok());
  std::atomic<bool> started = false;
  Result<ExitStatus> waited = Internal("not waited");
  std::thread waiter([&] {
    started = true;
    waited = child->Wait();
  });
  while (!started) std::this_thread::yield();
  // A Wait that held the child's lock while blocked would deadlock here.
  EXPECT_TRUE(child->Signal(kSigKill).ok());
  waiter.join();
  ASSERT_TRUE(waited.ok()) << waited.status().ToString();
  EXPECT_EQ(waited->term_signal, kSigKill);
}

TEST(SpawnWin, DestroyingAnUnreapedChildKillsItAndItsGroup) {
  auto dir = TempDir::Create(test_util::SystemTempDir(), "berth-process-");
  ASSERT_TRUE(dir.ok());
  const std::string pid_file = dir->path() + "/grandchild.pid";
  ScopedFd read_end, write_end;
  ASSERT_TRUE(MakePipe(read_end, write_end).ok());
  SpawnOptions o = Prog({"grandchild", pid_file});
  o.fds = {{1, write_end.get()}};
  o.new_process_group = true;
  pid_t pid, grandchild;
  {
    auto child = Spawn(o);
    ASSERT_TRUE(child.ok()) << child.status().ToString();
    EXPECT_TRUE(child->leads_process_group());
    write_end.reset();
    char line[8] = {};
    ASSERT_EQ(_read(read_end.get(), line, 8), 8);  // "started\n": the grandchild runs
    pid = child->pid();
    grandchild = testing::ReadPidFile(pid_file);
    ASSERT_TRUE(testing::Running(grandchild));
  }
  EXPECT_TRUE(WaitProcessGone(pid, std::chrono::seconds(10)));
  EXPECT_TRUE(WaitProcessGone(grandchild, std::chrono::seconds(10)));
}

TEST(SpawnWin, MoveAssignOverALiveChildKillsIt) {
  auto first = Spawn(Prog({"sleep", "30000"}));
  auto second = Spawn(Prog({"exit", "4"}));
  ASSERT_TRUE(first.ok() && second.ok());
  const pid_t first_pid = first->pid();
  Child c = std::move(*first);
  EXPECT_FALSE(first->valid());
  c = std::move(*second);
  EXPECT_TRUE(WaitProcessGone(first_pid, std::chrono::seconds(10)));
  EXPECT_EQ(c.Wait()->exit_code, 4);
}

TEST(WaitProcessGoneWin, SeesAnExitAsItHappens) {
  EXPECT_TRUE(WaitProcessGone(-1, std::chrono::milliseconds(1)));
  EXPECT_FALSE(
      WaitProcessGone(static_cast<pid_t>(GetCurrentProcessId()), std::chrono::milliseconds(10)));
  auto child = Spawn(Prog({"sleep", "30000"}));
  ASSERT_TRUE(child.ok());
  EXPECT_FALSE(WaitProcessGone(child->pid(), std::chrono::milliseconds(50)));
  ASSERT_TRUE(child->Signal(kSigKill).ok());
  EXPECT_TRUE(WaitProcessGone(child->pid(), std::chrono::seconds(30)));
}

}  // namespace
}  // namespace berth::process
