// The profiles enforced for real: each test loads a profile into a forked
// child's kernel seccomp filter and makes the syscalls a container would.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "pkg/fs/temp_dir.h"
#include "pkg/seccomp/seccomp_profile.h"
#include "test/unit/seccomp/filter_loader.h"

namespace berth::seccomp {
namespace {

using test_support::RunUnderFilter;

// "" if `result` is -1 with errno `expected`, else what happened instead.
std::string ExpectErrno(const char* what, long result, int expected) {
  if (result == -1 && errno == expected) return "";
  const int err = errno;
  return std::string(what) + ": expected errno " + std::to_string(expected) + ", got result " +
         std::to_string(result) + (result == -1 ? " errno " + std::to_string(err) : "") + "; ";
}

std::string ExpectSuccess(const char* what, long result) {
  if (result != -1) return "";
  return std::string(what) + " failed: " + std::strerror(errno) + "; ";
}

// fork() (clone without namespace flags) and reap a child that exits 7.
std::string ForkWorks() {
  const pid_t pid = fork();
  if (pid == 0) _exit(7);
  if (pid < 0) return std::string("fork failed: ") + std::strerror(errno) + "; ";
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 7) {
    return "forked child did not exit 7; ";
  }
  return "";
}

std::string TestDataPath(const char* name) {
  return std::string(BERTH_TESTDATA_DIR) + "/seccomp/" + name;
}

// Each refusal below has a control run: the same calls under a filter that
// allows everything, loaded the same way, must succeed. Without it an EPERM
// the kernel or the test's own privileges gave would pass for the filter's.
const nlohmann::json kAllowAll = {{"defaultAction", "SCMP_ACT_ALLOW"}};

// `result` is an EPERM refusal when `refused`, else a success.
std::string Expect(bool refused, const char* what, long result) {
  return refused ? ExpectErrno(what, result, EPERM) : ExpectSuccess(what, result);
}

std::string KeyctlAndNamespaceCalls(bool refused) {
  std::string out;
  // KEYCTL_GET_KEYRING_ID (0) of KEY_SPEC_SESSION_KEYRING (-3).
  out += Expect(refused, "keyctl", syscall(SYS_keyctl, 0, -3, 0));
  out += Expect(refused, "add_key", syscall(SYS_add_key, "user", "k", "v", 1, -3));
  out += Expect(refused, "unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
  out += Expect(refused, "unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
  return out;
}

// Raw clone(2) with a namespace flag: the MASKED_EQ argument rule must refuse
// it. A child that does get made leaves at once.
std::string CloneOfNewUserNamespace(bool refused) {
  const long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid(static_cast<pid_t>(pid), nullptr, 0);
  return Expect(refused, "clone(CLONE_NEWUSER)", pid);
}

// ADDR_NO_RANDOMIZE (0x0040000): turning off ASLR is not for containers.
std::string PersonalityWithoutAslr(bool refused) {
  return Expect(refused, "personality(ADDR_NO_RANDOMIZE)", syscall(SYS_personality, 0x0040000UL));
}

TEST(SeccompFilterTest, RuntimeDefaultRefusesKeyctlAndNewUserNamespaces) {
  EXPECT_EQ(RunUnderFilter(RuntimeDefaultProfile({}), [] { return KeyctlAndNamespaceCalls(true); }),
            "");
  EXPECT_EQ(RunUnderFilter(kAllowAll, [] { return KeyctlAndNamespaceCalls(false); }), "")
      << "control run: the calls must succeed without the filter";
}

TEST(SeccompFilterTest, RuntimeDefaultRefusesCloneOfNewUserNamespace) {
  EXPECT_EQ(RunUnderFilter(RuntimeDefaultProfile({}), [] { return CloneOfNewUserNamespace(true); }),
            "");
  EXPECT_EQ(RunUnderFilter(kAllowAll, [] { return CloneOfNewUserNamespace(false); }), "")
      << "control run: the call must succeed without the filter";
}

TEST(SeccompFilterTest, RuntimeDefaultAllowsOrdinaryCalls) {
  Result<TempDir> dir = TempDir::Create("/tmp", "berth-seccomp-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  const std::string path = dir->path() + "/made";
  const std::string report = RunUnderFilter(RuntimeDefaultProfile({}), [&] {
    std::string out;
    out += ExpectSuccess("getpid", getpid());
    out += ExpectSuccess("write", write(STDERR_FILENO, "", 0));
    out += ExpectSuccess("mkdir", mkdir(path.c_str(), 0700));
    out += ExpectSuccess("personality(query)", syscall(SYS_personality, 0xffffffffUL));
    out += ForkWorks();
    return out;
  });
  EXPECT_EQ(report, "");
}

TEST(SeccompFilterTest, RuntimeDefaultAnswersClone3WithEnosys) {
  const std::string report = RunUnderFilter(RuntimeDefaultProfile({}), [] {
    return ExpectErrno("clone3", syscall(SYS_clone3, nullptr, 0), ENOSYS);
  });
  EXPECT_EQ(report, "");
}

TEST(SeccompFilterTest, CapSysAdminLetsClone3ReachTheKernel) {
  // The kernel itself refuses a zero-sized clone_args with EINVAL: seeing
  // that, not ENOSYS, shows the filter let the call through.
  const std::string report = RunUnderFilter(RuntimeDefaultProfile({"CAP_SYS_ADMIN"}), [] {
    return ExpectErrno("clone3", syscall(SYS_clone3, nullptr, 0), EINVAL);
  });
  EXPECT_EQ(report, "");
}

TEST(SeccompFilterTest, RuntimeDefaultRefusesDisallowedPersonality) {
  EXPECT_EQ(RunUnderFilter(RuntimeDefaultProfile({}), [] { return PersonalityWithoutAslr(true); }),
            "");
  EXPECT_EQ(RunUnderFilter(kAllowAll, [] { return PersonalityWithoutAslr(false); }), "")
      << "control run: the call must succeed without the filter";
}

class LocalhostDenyMkdirTest : public ::testing::TestWithParam<const char*> {};

TEST_P(LocalhostDenyMkdirTest, MkdirFailsWithEpermAndOtherCallsWork) {
  Result<nlohmann::json> profile = LoadLocalhostProfile(TestDataPath(GetParam()));
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  Result<TempDir> dir = TempDir::Create("/tmp", "berth-seccomp-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  const std::string path = dir->path() + "/refused";
  const std::string file = dir->path() + "/allowed";
  const std::string report = RunUnderFilter(*profile, [&] {
    std::string out;
    out += ExpectErrno("mkdir", mkdir(path.c_str(), 0700), EPERM);
    out += ExpectErrno("mkdirat", mkdirat(AT_FDCWD, path.c_str(), 0700), EPERM);
    const int fd = open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    out += ExpectSuccess("open(O_CREAT)", fd);
    if (fd >= 0) close(fd);
    out += ExpectSuccess("getpid", getpid());
    return out;
  });
  EXPECT_EQ(report, "");
  struct stat st {};
  EXPECT_NE(stat(path.c_str(), &st), 0) << "the directory was created despite the profile";
  EXPECT_EQ(stat(file.c_str(), &st), 0);
  // Control run: without the profile the same mkdir makes the directory.
  EXPECT_EQ(
      RunUnderFilter(kAllowAll, [&] { return ExpectSuccess("mkdir", mkdir(path.c_str(), 0700)); }),
      "");
  EXPECT_EQ(stat(path.c_str(), &st), 0);
}

INSTANTIATE_TEST_SUITE_P(BothForms, LocalhostDenyMkdirTest,
                         ::testing::Values("deny-mkdir.json", "deny-mkdir-docker.json"));

}  // namespace
}  // namespace berth::seccomp
