// The runtime side on Windows: pkg/fs's volume mount points, killing a
// process by pid (what KillExecProcess does to an exec'd command), and the
// answers of the Linux-only objects (conmon, descriptor-relative removal,
// rootfs-relative reads, overlay rootfs mounts): Unimplemented, naming the
// object and what does it on Windows, never a fake success.
#include <windows.h>

#include <gtest/gtest.h>

#include <string>

#include "pkg/fs/mount.h"
#include "pkg/fs/mountinfo.h"
#include "pkg/fs/remove_tree.h"
#include "pkg/image/layer_store.h"
#include "pkg/oci/conmon.h"
#include "pkg/oci/host_process_kill.h"
#include "pkg/oci/rootfs_file.h"
#include "pkg/oci/sandbox_spec.h"
#include "test/windows/fs_win_test_util.h"

namespace berth {
namespace {

using test_util::FsWinTest;

// The system drive's root, where a volume is mounted.
std::string SystemDriveRoot() {
  char buf[MAX_PATH + 1];
  const UINT n = ::GetWindowsDirectoryA(buf, sizeof buf);
  return std::string(buf, n).substr(0, 3);  // "C:\"
}

void ExpectLinuxOnly(const Status& s, const std::string& names) {
  EXPECT_EQ(s.code(), Code::kUnimplemented) << s.ToString();
  EXPECT_NE(s.message().find(names), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("Linux-only"), std::string::npos) << s.message();
}

using RuntimeMountWinTest = FsWinTest;

TEST_F(RuntimeMountWinTest, DriveRootIsAMountPointAndAPlainDirectoryIsNot) {
  Result<bool> root = IsMountPoint(SystemDriveRoot());
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_TRUE(*root);
  Result<bool> dir = IsMountPoint(dir_->path());
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_FALSE(*dir);
  Result<bool> missing = IsMountPoint(Path("missing"));
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_FALSE(*missing);
  EXPECT_EQ(IsMountPoint("").status().code(), Code::kInvalidArgument);
}

TEST_F(RuntimeMountWinTest, UnmountLeavesAVolumeMountPointAloneWithAnError) {
  // Nothing is mounted on a plain directory: done.
  EXPECT_TRUE(Unmount(dir_->path()).ok());
  EXPECT_TRUE(UnmountRecursive(dir_->path()).ok());
  // A volume is: berth does not remove it, and says so.
  Status s = Unmount(SystemDriveRoot());
  EXPECT_EQ(s.code(), Code::kUnimplemented) << s.ToString();
  EXPECT_NE(s.message().find("volume"), std::string::npos) << s.message();
  // RootfsMount unmounts the same way.
  EXPECT_TRUE(image::RootfsMount(dir_->path()).Unmount().ok());
  EXPECT_EQ(image::RootfsMount(SystemDriveRoot()).Unmount().code(), Code::kUnimplemented);
}

TEST_F(RuntimeMountWinTest, MountAndDescriptorRelativeRemovalAreLinuxOnly) {
  Result<MountGuard> m = Mount("shm", Path("shm"), "tmpfs");
  ExpectLinuxOnly(m.status(), "tmpfs shm on " + Path("shm"));
  // A pod's /dev/shm (RunPodSandbox's step 6) the same way.
  ExpectLinuxOnly(MountRestrictedTmpfs("shm", Path("shm"), "size=64m").status(), "tmpfs shm on");
  ExpectLinuxOnly(RemoveTreeAt(3, "x", "layer entry x"), "layer entry x");
  ExpectLinuxOnly(ReadMountInfo().status(), "/proc/self/mountinfo");
  ExpectLinuxOnly(oci::ReadFileInRoot(dir_->path(), "/etc/passwd", 4096).status(), "/etc/passwd");
  ExpectLinuxOnly(oci::PrepareInfraRootfs(Path("rootfs"), "berth-pause.exe"),
                  "infra rootfs " + Path("rootfs"));
  // The infra spec's default clamp reads berthd's own OOM score: none here.
  ExpectLinuxOnly(oci::ReadOwnOomScoreAdj().status(), "oom_score_adj");
}

// (Create is the same answer; it takes an OciRuntime, whose pkg/process is
// not in the Windows build yet.)
TEST(ConmonWinTest, ItsControlsAreLinuxOnlyAndNameHcs) {
  Status reopen =
      oci::ConmonDriver::ReopenLog("C:/bundles/c1", "C:/logs/c1.log", std::chrono::seconds(1));
  ExpectLinuxOnly(reopen, "reopen the log of the container in C:/bundles/c1: conmon");
  EXPECT_NE(reopen.message().find("Host Compute Service"), std::string::npos);
  ExpectLinuxOnly(oci::ConmonDriver::ResizeTerminal("C:/bundles/c1", 24, 80),
                  "resize the terminal of the container in C:/bundles/c1: conmon");
}

// A child that waits for input that never comes, on a pipe this test holds.
class BlockedChild {
 public:
  BlockedChild() {
    SECURITY_ATTRIBUTES inherit{sizeof inherit, nullptr, TRUE};
    EXPECT_TRUE(::CreatePipe(&stdin_read_, &stdin_write_, &inherit, 0));
    ::SetHandleInformation(stdin_write_, HANDLE_FLAG_INHERIT, 0);
    STARTUPINFOW si{};
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = stdin_read_;
    si.hStdOutput = ::GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = ::GetStdHandle(STD_ERROR_HANDLE);
    wchar_t system_dir[MAX_PATH + 1];
    const UINT n = ::GetSystemDirectoryW(system_dir, MAX_PATH);
    std::wstring cmd = std::wstring(system_dir, n) + L"\\cmd.exe";
    std::wstring line = L"cmd.exe /c set /p never=";
    EXPECT_TRUE(::CreateProcessW(cmd.c_str(), line.data(), nullptr, nullptr, TRUE, CREATE_NO_WINDOW,
                                 nullptr, nullptr, &si, &info_))
        << ::GetLastError();
  }
  ~BlockedChild() {
    if (info_.hProcess != nullptr) {
      ::TerminateProcess(info_.hProcess, 1);
      ::CloseHandle(info_.hProcess);
      ::CloseHandle(info_.hThread);
    }
    ::CloseHandle(stdin_read_);
    ::CloseHandle(stdin_write_);
  }
  HANDLE process() const { return info_.hProcess; }
  DWORD pid() const { return info_.dwProcessId; }

 private:
  HANDLE stdin_read_ = nullptr, stdin_write_ = nullptr;
  PROCESS_INFORMATION info_{};
};

TEST(HostProcessKillWinTest, KillsTheProcessThePidNames) {
  BlockedChild child;
  ASSERT_NE(child.process(), nullptr);
  // Still waiting for its input: it runs until killed.
  ASSERT_EQ(::WaitForSingleObject(child.process(), 200), static_cast<DWORD>(WAIT_TIMEOUT));
  oci::KillHostProcess(static_cast<pid_t>(child.pid()));
  ASSERT_EQ(::WaitForSingleObject(child.process(), 10000), WAIT_OBJECT_0);
  DWORD code = 0;
  ASSERT_TRUE(::GetExitCodeProcess(child.process(), &code));
  EXPECT_EQ(code, 137u);  // what a Linux runtime reports for SIGKILL
}

}  // namespace
}  // namespace berth
