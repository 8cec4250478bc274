// The Windows answers of what is Linux-only by nature (systemd's protocols,
// cgroups, namespaces, seccomp): the true empty answer where the daemon asks
// unconditionally, Unimplemented naming the object otherwise.
#include <stdlib.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/cgroups/host_cgroups.h"
#include "pkg/cgroups/pod_resources.h"
#include "pkg/ns/pinned_namespaces.h"
#include "pkg/seccomp/seccomp_profile.h"
#include "pkg/service_manager/notify.h"
#include "pkg/service_manager/socket_activation.h"
#include "pkg/stats/cgroup_stats.h"
#include "test/windows/fs_win_test_util.h"

namespace berth {
namespace {

using ::testing::HasSubstr;

TEST(LinuxOnlyWin, NotifyWithoutNotifySocketIsNothingToDo) {
  ASSERT_EQ(_putenv_s("NOTIFY_SOCKET", ""), 0);
  EXPECT_TRUE(service_manager::Notify("READY=1").ok());
  ASSERT_EQ(_putenv_s("NOTIFY_SOCKET", "/run/systemd/notify"), 0);
  Status s = service_manager::Notify("READY=1");
  EXPECT_EQ(s.code(), Code::kUnimplemented);
  EXPECT_THAT(s.message(), HasSubstr("NOTIFY_SOCKET=/run/systemd/notify"));
  ASSERT_EQ(_putenv_s("NOTIFY_SOCKET", ""), 0);
}

TEST(LinuxOnlyWin, SocketActivationHandsNothingOverAndClearsTheVariables) {
  EXPECT_EQ(*service_manager::TakeActivatedSocket(), -1);
  ASSERT_EQ(_putenv_s("LISTEN_PID", "1234"), 0);
  ASSERT_EQ(_putenv_s("LISTEN_FDS", "1"), 0);
  auto taken = service_manager::TakeActivatedSocket();
  EXPECT_EQ(taken.status().code(), Code::kUnimplemented);
  EXPECT_THAT(taken.status().message(), HasSubstr("LISTEN_PID=1234"));
  EXPECT_EQ(getenv("LISTEN_PID"), nullptr);
  EXPECT_EQ(getenv("LISTEN_FDS"), nullptr);
}

TEST(LinuxOnlyWin, ThisHostHasNoCgroupsAndPodLimitsAreRefused) {
  cgroups::HostCgroups host = cgroups::ProbeHostCgroups();
  EXPECT_TRUE(host.controllers.empty());
  EXPECT_TRUE(host.memory_root.empty());
  EXPECT_FALSE(host.swap_accounting);
  EXPECT_EQ(cgroups::DetectLayout().status().code(), Code::kUnimplemented);
  Status s = cgroups::ApplyResources(
      {}, "/kubepods/pod1",
      cgroups::Resources{
          .cpu_shares = 2, .cpu_quota = 0, .cpu_period = 0, .memory_limit_bytes = 0});
  EXPECT_EQ(s.code(), Code::kUnimplemented);
  EXPECT_THAT(s.message(), HasSubstr("/kubepods/pod1"));
  // The path rules are shared.
  EXPECT_EQ(*cgroups::PodCgroupPath("a-b.slice", true), "/a.slice/a-b.slice");
  stats::CgroupReader reader({});
  EXPECT_EQ(reader.Read("/kubepods/pod1").status().code(), Code::kUnimplemented);
}

using LinuxOnlyWinFs = test_util::FsWinTest;

TEST_F(LinuxOnlyWinFs, NamespacesAreNeverPinnedAndAbsentPinsUnpin) {
  auto pinned =
      ns::PinNamespaces(dir_->path(), "pod1", ns::PinRequest{.net = true, .hostname = ""});
  EXPECT_EQ(pinned.status().code(), Code::kUnimplemented);
  EXPECT_THAT(pinned.status().message(), HasSubstr("pod1"));
  // What restore asks for every pod: nothing there, nothing to do.
  EXPECT_TRUE(
      ns::UnpinNamespaces(ns::PinnedPaths{ns::PinPath(dir_->path(), "net", "pod1"), "", ""}).ok());
  const std::string there = Path("pin");
  std::ofstream(there) << "";
  EXPECT_EQ(ns::UnpinNamespace(there).code(), Code::kUnimplemented);
}

TEST(LinuxOnlyWin, SeccompFiltersNothingAndRefusesProfiles) {
  using seccomp::ProfileType;
  EXPECT_FALSE(seccomp::ProfileFor(ProfileType::kUnconfined, "", false, {})->has_value());
  EXPECT_FALSE(seccomp::ProfileFor(ProfileType::kRuntimeDefault, "", true, {})->has_value());
  auto runtime_default = seccomp::ProfileFor(ProfileType::kRuntimeDefault, "", false, {});
  EXPECT_EQ(runtime_default.status().code(), Code::kUnimplemented);
  EXPECT_THAT(runtime_default.status().message(), HasSubstr("RuntimeDefault"));
  auto localhost = seccomp::LoadLocalhostProfile("C:/profiles/p.json");
  EXPECT_EQ(localhost.status().code(), Code::kUnimplemented);
  EXPECT_THAT(localhost.status().message(), HasSubstr("C:/profiles/p.json"));
}

}  // namespace
}  // namespace berth
