#include "pkg/oci/subprocess.h"

#include <fcntl.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::oci {
namespace {

using ::testing::HasSubstr;

TEST(RunProcess, CapturesOutputAndExitCode) {
  ProcessSpec s;
  s.argv = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"};
  auto r = RunProcess(s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_FALSE(r->success());
  EXPECT_EQ(r->Describe(), "exit status 3");
}

TEST(RunProcess, NoShellArgumentsStayLiteral) {
  ProcessSpec s;
  s.argv = {"/bin/echo", "$(id)", "a;b"};
  auto r = RunProcess(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "$(id) a;b\n");
}

TEST(RunProcess, StdinAndEnv) {
  ProcessSpec s;
  s.argv = {"/bin/sh", "-c", "cat; printf %s \"$BERTH_X\""};
  s.stdin_data = std::string(200000, 'x');
  s.extra_env = {"BERTH_X=y"};
  auto r = RunProcess(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, std::string(200000, 'x') + "y");
}

TEST(RunProcess, TimeoutKillsChildAndItsGroup) {
  ProcessSpec s;
  s.argv = {"/bin/sh", "-c", "echo started >&2; sleep 30 & wait"};
  s.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto r = RunProcess(s);
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  EXPECT_THAT(r.status().message(), HasSubstr("/bin/sh timed out"));
  EXPECT_THAT(r.status().message(), HasSubstr("started"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(RunProcess, OutputIsBounded) {
  ProcessSpec s;
  s.argv = {"/bin/sh", "-c", "head -c 100000 /dev/zero"};
  s.output_limit = 1000;
  auto r = RunProcess(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out.size(), 1000u);
  EXPECT_TRUE(r->out_truncated);
}

TEST(RunProcess, MissingProgramIsError) {
  ProcessSpec s;
  s.argv = {"/nonexistent/prog"};
  auto r = RunProcess(s);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("cannot execute /nonexistent/prog"));
}

TEST(RunProcess, PassFdsAndNothingElseLeaks) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);  // deliberately without O_CLOEXEC
  int leak = open("/dev/null", O_RDONLY);  // also without O_CLOEXEC
  ProcessSpec s;
  // fd 3 is the pipe's write end; nothing above 3 may be open.
  s.argv = {"/bin/sh", "-c", "echo hi >&3; ls /proc/self/fd"};
  s.pass_fds = {p[1]};
  auto r = RunProcess(s);
  close(p[1]);
  ASSERT_TRUE(r.ok());
  char buf[16] = {};
  ASSERT_EQ(read(p[0], buf, sizeof(buf)), 3);
  EXPECT_STREQ(buf, "hi\n");
  close(p[0]);
  close(leak);
  // ls itself opens one fd for the directory it lists.
  std::string fds = r->out;
  int count = 0;
  for (char c : fds) count += c == '\n';
  EXPECT_LE(count, 5) << fds;  // 0 1 2 3 + ls's own
}

TEST(QuoteForMessage, EscapesAndCuts) {
  EXPECT_EQ(QuoteForMessage("a\nb\"c"), "\"a\\x0ab\\\"c\"");
  EXPECT_EQ(QuoteForMessage("abcdef", 3), "\"abc...\"");
}

TEST(WaitProcessGone, GoneAndAlive) {
  EXPECT_TRUE(WaitProcessGone(-1, std::chrono::milliseconds(1)));
  EXPECT_FALSE(WaitProcessGone(getpid(), std::chrono::milliseconds(10)));
}

}  // namespace
}  // namespace berth::oci
