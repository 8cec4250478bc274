// Capabilities, resources, stop signals and config validation on their own.
#include <csignal>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/oci/capabilities.h"
#include "pkg/oci/container_internal.h"
#include "pkg/oci/container_spec.h"
#include "pkg/oci/node_profile.h"
#include "test/unit/oci/container_test_util.h"
#include "test/unit/oci/expected_capabilities.h"

namespace berth::oci {
namespace {

using nlohmann::json;
using testing::BaseConfig;
using testing::BasePod;
using testing::ContainerDefaultCapabilities;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::KernelCapabilitiesOfThisMachine;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

runtime::v1::Capability* Caps(runtime::v1::ContainerConfig* c) {
  return c->mutable_linux()->mutable_security_context()->mutable_capabilities();
}

TEST(Capabilities, DefaultsAreTheFourteen) {
  auto caps = EffectiveCapabilities(BaseConfig(), {}, kEveryCapability);
  ASSERT_TRUE(caps.ok());
  EXPECT_THAT(*caps, UnorderedElementsAreArray(ContainerDefaultCapabilities()));
}

TEST(Capabilities, AddAndDropWithOrWithoutPrefix) {
  auto c = BaseConfig();
  Caps(&c)->add_add_capabilities("NET_ADMIN");
  Caps(&c)->add_add_capabilities("cap_sys_time");
  Caps(&c)->add_drop_capabilities("CAP_MKNOD");
  Caps(&c)->add_drop_capabilities("kill");
  auto caps = EffectiveCapabilities(c, {}, kEveryCapability);
  ASSERT_TRUE(caps.ok()) << caps.status().ToString();
  EXPECT_THAT(*caps, Contains("CAP_NET_ADMIN"));
  EXPECT_THAT(*caps, Contains("CAP_SYS_TIME"));
  EXPECT_THAT(*caps, Not(Contains("CAP_MKNOD")));
  EXPECT_THAT(*caps, Not(Contains("CAP_KILL")));
  EXPECT_EQ(caps->size(), 14u);
}

TEST(Capabilities, DropAllThenAddOne) {
  auto c = BaseConfig();
  Caps(&c)->add_drop_capabilities("ALL");
  Caps(&c)->add_add_capabilities("NET_BIND_SERVICE");
  auto caps = EffectiveCapabilities(c, {}, kEveryCapability);
  ASSERT_TRUE(caps.ok());
  EXPECT_THAT(*caps, ElementsAre("CAP_NET_BIND_SERVICE"));
}

TEST(Capabilities, AddAllMinusNothingAndAddWinsOverDrop) {
  auto c = BaseConfig();
  Caps(&c)->add_add_capabilities("ALL");
  Caps(&c)->add_drop_capabilities("SYS_ADMIN");
  auto caps = EffectiveCapabilities(c, {}, kEveryCapability);
  ASSERT_TRUE(caps.ok());
  ASSERT_FALSE(KernelCapabilitiesOfThisMachine().empty()) << "cannot read cap_last_cap";
  EXPECT_EQ(*caps, KernelCapabilitiesOfThisMachine());  // ALL added after the drop
  auto d = BaseConfig();
  Caps(&d)->add_add_capabilities("CHOWN");
  Caps(&d)->add_drop_capabilities("CHOWN");
  EXPECT_THAT(*EffectiveCapabilities(d, {}, kEveryCapability), Contains("CAP_CHOWN"));
}

TEST(Capabilities, UnknownNameIsInvalidArgumentNamingIt) {
  auto c = BaseConfig();
  Caps(&c)->add_drop_capabilities("CHOWN");
  Caps(&c)->add_drop_capabilities("CAP_FLY");
  auto caps = EffectiveCapabilities(c, {}, kEveryCapability);
  ASSERT_FALSE(caps.ok());
  EXPECT_EQ(caps.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(caps.status().message(), HasSubstr("drop_capabilities[1] \"CAP_FLY\""));
  EXPECT_THAT(caps.status().message(), HasSubstr("container \"web\""));
}

TEST(Capabilities, PrivilegedGetsAllAndNeedsPrivilegedPod) {
  auto c = BaseConfig();
  c.mutable_linux()->mutable_security_context()->set_privileged(true);
  EXPECT_EQ(EffectiveCapabilities(c, {}, kEveryCapability).status().code(), Code::kInvalidArgument);
  PodContext pod;
  pod.privileged = true;
  auto caps = EffectiveCapabilities(c, pod, kEveryCapability);
  ASSERT_TRUE(caps.ok());
  ASSERT_FALSE(KernelCapabilitiesOfThisMachine().empty()) << "cannot read cap_last_cap";
  EXPECT_EQ(*caps, KernelCapabilitiesOfThisMachine());
}

// This machine's daemon: everything up to CHECKPOINT_RESTORE except
// CAP_SYS_RESOURCE (bit 24), as in a bounding set that lost it.
constexpr CapabilityMask kNoSysResource = 0x000001fffeffffffULL;

TEST(Capabilities, HeldIsEffectiveAndBoundingTogether) {
  auto held = ParseHeldCapabilities(
      "Name:\tberthd\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
      "CapEff:\t000001ffffffffff\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n");
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(*held, kNoSysResource);
  EXPECT_FALSE(ParseHeldCapabilities("CapEff:\tzz\nCapBnd:\t1\n").ok());
  EXPECT_FALSE(ParseHeldCapabilities("CapEff:\t1\n").ok());
}

TEST(Capabilities, PrivilegedGetsOnlyWhatTheDaemonHolds) {
  auto c = BaseConfig();
  c.mutable_linux()->mutable_security_context()->set_privileged(true);
  PodContext pod;
  pod.privileged = true;
  auto caps = EffectiveCapabilities(c, pod, kNoSysResource);
  ASSERT_TRUE(caps.ok());
  EXPECT_THAT(*caps, Contains("CAP_SYS_ADMIN"));
  EXPECT_THAT(*caps, Not(Contains("CAP_SYS_RESOURCE")));
  EXPECT_THAT(*caps, Contains("CAP_SYS_TIME"));  // the one after it is kept
}

TEST(Capabilities, AddAllAndNamedCapsStayWithinHeldAndReportTheRest) {
  auto c = BaseConfig();
  Caps(&c)->add_add_capabilities("ALL");
  std::vector<std::string> not_held;
  auto caps = EffectiveCapabilities(c, {}, kNoSysResource, &not_held);
  ASSERT_TRUE(caps.ok());
  EXPECT_THAT(*caps, Not(Contains("CAP_SYS_RESOURCE")));
  EXPECT_THAT(*caps, Contains("CAP_NET_ADMIN"));
  EXPECT_TRUE(not_held.empty());  // ALL means "all held": nothing is missing

  auto d = BaseConfig();
  Caps(&d)->add_add_capabilities("SYS_RESOURCE");
  not_held.clear();
  caps = EffectiveCapabilities(d, {}, kNoSysResource, &not_held);
  ASSERT_TRUE(caps.ok());
  EXPECT_THAT(*caps, Not(Contains("CAP_SYS_RESOURCE")));
  EXPECT_THAT(not_held, ElementsAre("CAP_SYS_RESOURCE"));
}

NodeProfile HybridNodeWithout(std::initializer_list<const char*> missing, bool swap = true) {
  NodeProfile n;
  n.probed = true;
  n.cgroups.mode = cgroups::Mode::kHybrid;
  n.cgroups.controllers = {"blkio",   "cpu",    "cpuacct", "cpuset",   "devices", "freezer",
                           "hugetlb", "memory", "net_cls", "net_prio", "pids"};
  for (const char* m : missing) n.cgroups.controllers.erase(m);
  n.cgroups.swap_accounting = swap;
  return n;
}

json KubeletLikeResources() {
  runtime::v1::LinuxContainerResources r;
  r.set_cpu_shares(2);
  r.set_cpu_period(100000);
  r.set_cpu_quota(20000);
  r.set_memory_limit_in_bytes(64 << 20);
  r.set_memory_swap_limit_in_bytes(64 << 20);
  r.set_cpuset_cpus("0");
  auto* h = r.add_hugepage_limits();
  h->set_page_size("2MB");
  h->set_limit(0);
  h = r.add_hugepage_limits();
  h->set_page_size("1GB");
  h->set_limit(0);
  (*r.mutable_unified())["memory.high"] = "max";
  return *ResourcesToOci(r);
}

TEST(FitResources, NoHugetlbControllerDropsHugepageLimitsOnly) {
  json r = KubeletLikeResources();
  auto dropped = FitResourcesToNode(&r, HybridNodeWithout({"hugetlb"}));
  EXPECT_FALSE(r.contains("hugepageLimits"));
  EXPECT_EQ(r["cpu"]["shares"], 2);
  EXPECT_EQ(r["cpu"]["cpus"], "0");
  EXPECT_EQ(r["memory"]["limit"], 64 << 20);
  EXPECT_EQ(r["memory"]["swap"], 64 << 20);
  EXPECT_THAT(dropped, Contains(HasSubstr("hugepageLimits (no hugetlb cgroup controller)")));
}

TEST(FitResources, UnifiedNeedsCgroupV2) {
  json r = KubeletLikeResources();
  auto dropped = FitResourcesToNode(&r, HybridNodeWithout({}));
  EXPECT_FALSE(r.contains("unified"));
  EXPECT_TRUE(r.contains("hugepageLimits"));  // this node has hugetlb
  EXPECT_THAT(dropped, ElementsAre(HasSubstr("unified (the node is not on cgroup v2 (hybrid))")));

  NodeProfile v2;
  v2.probed = true;
  v2.cgroups.mode = cgroups::Mode::kV2;
  v2.cgroups.controllers = {"cpu", "cpuset", "io", "pids"};  // memory not delegated
  json r2 = KubeletLikeResources();
  auto dropped2 = FitResourcesToNode(&r2, v2);
  EXPECT_FALSE(r2.contains("unified"));
  EXPECT_FALSE(r2.contains("memory"));
  EXPECT_FALSE(r2.contains("hugepageLimits"));
  EXPECT_THAT(dropped2, Contains("unified[memory.high] (no memory cgroup controller)"));
}

TEST(FitResources, SwapWithoutAccountingAndMissingCpuControllers) {
  json r = KubeletLikeResources();
  FitResourcesToNode(&r, HybridNodeWithout({"cpuset", "pids"}, /*swap=*/false));
  EXPECT_FALSE(r["memory"].contains("swap"));
  EXPECT_EQ(r["memory"]["limit"], 64 << 20);
  EXPECT_FALSE(r["cpu"].contains("cpus"));
  EXPECT_EQ(r["cpu"]["quota"], 20000);
  json only_cpuset = {{"cpu", {{"cpus", "0"}}}, {"pids", {{"limit", 10}}}};
  FitResourcesToNode(&only_cpuset, HybridNodeWithout({"cpuset", "pids"}));
  EXPECT_EQ(only_cpuset, json::object());
}

TEST(FitResources, MemoryLimitWithoutSwapLimitGetsNoSwapWhereAccounted) {
  json r = {{"memory", {{"limit", 64 << 20}}}};
  EXPECT_TRUE(FitResourcesToNode(&r, HybridNodeWithout({})).empty());
  EXPECT_EQ(r["memory"]["swap"], 64 << 20);
  json no_accounting = {{"memory", {{"limit", 64 << 20}}}};
  FitResourcesToNode(&no_accounting, HybridNodeWithout({}, /*swap=*/false));
  EXPECT_FALSE(no_accounting["memory"].contains("swap"));
  json explicit_swap = {{"memory", {{"limit", 64 << 20}, {"swap", -1}}}};
  FitResourcesToNode(&explicit_swap, HybridNodeWithout({}));
  EXPECT_EQ(explicit_swap["memory"]["swap"], -1);
}

TEST(FitResources, UnprobedProfileChangesNothing) {
  json r = KubeletLikeResources();
  json before = r;
  EXPECT_TRUE(FitResourcesToNode(&r, NodeProfile{}).empty());
  EXPECT_EQ(r, before);
}

TEST(Resources, MapsEveryField) {
  runtime::v1::LinuxContainerResources r;
  r.set_cpu_period(100000);
  r.set_cpu_quota(50000);
  r.set_cpu_shares(256);
  r.set_cpuset_cpus("0-2,4");
  r.set_cpuset_mems("0");
  r.set_memory_limit_in_bytes(64 << 20);
  r.set_memory_swap_limit_in_bytes(128 << 20);
  auto* h = r.add_hugepage_limits();
  h->set_page_size("2MB");
  h->set_limit(4 << 20);
  (*r.mutable_unified())["memory.high"] = "50000000";
  auto oci = ResourcesToOci(r);
  ASSERT_TRUE(oci.ok()) << oci.status().ToString();
  EXPECT_EQ(*oci, json::parse(R"({
    "cpu": {"period": 100000, "quota": 50000, "shares": 256, "cpus": "0-2,4", "mems": "0"},
    "memory": {"limit": 67108864, "swap": 134217728},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
    "unified": {"memory.high": "50000000"}})"));
}

TEST(Resources, EmptyIsEmptyObject) {
  auto oci = ResourcesToOci({});
  ASSERT_TRUE(oci.ok());
  EXPECT_EQ(*oci, json::object());
}

TEST(Resources, BadValuesNamed) {
  runtime::v1::LinuxContainerResources r;
  r.set_cpu_shares(-1);
  EXPECT_THAT(ResourcesToOci(r).status().message(), HasSubstr("cpu_shares"));
  r.Clear();
  r.set_cpuset_cpus("0;rm");
  EXPECT_THAT(ResourcesToOci(r).status().message(), HasSubstr("cpuset_cpus"));
  r.Clear();
  r.set_memory_limit_in_bytes(100);
  r.set_memory_swap_limit_in_bytes(50);
  EXPECT_THAT(ResourcesToOci(r).status().message(), HasSubstr("memory_swap_limit_in_bytes"));
  r.Clear();
  r.add_hugepage_limits()->set_page_size("2MB/../x");
  EXPECT_THAT(ResourcesToOci(r).status().message(), HasSubstr("hugepage_limits[0].page_size"));
  r.Clear();
  (*r.mutable_unified())["../../etc/x"] = "1";
  EXPECT_THAT(ResourcesToOci(r).status().message(), HasSubstr("unified key"));
  r.Clear();
  (*r.mutable_unified())["memory.max"] = "1\nmemory.high=0";
  EXPECT_THAT(ResourcesToOci(r).status().message(), HasSubstr("control characters"));
}

TEST(StopSignal, NamesNumbersAndRealtime) {
  EXPECT_EQ(*ParseStopSignal(""), SIGTERM);
  EXPECT_EQ(*ParseStopSignal("SIGTERM"), SIGTERM);
  EXPECT_EQ(*ParseStopSignal("TERM"), SIGTERM);
  EXPECT_EQ(*ParseStopSignal("sigquit"), SIGQUIT);
  EXPECT_EQ(*ParseStopSignal("SIGWINCH"), SIGWINCH);
  EXPECT_EQ(*ParseStopSignal("9"), 9);
  EXPECT_EQ(*ParseStopSignal("64"), 64);
  EXPECT_EQ(*ParseStopSignal("SIGRTMIN"), 34);
  EXPECT_EQ(*ParseStopSignal("RTMIN+3"), 37);
  EXPECT_EQ(*ParseStopSignal("SIGRTMAX-2"), 62);
  for (const char* bad : {"0", "65", "SIGFOO", "RTMIN+40", "RTMAX+1", "-1", "15x", "SIG"}) {
    auto s = ParseStopSignal(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  }
}

TEST(Validate, GoodConfigPasses) {
  EXPECT_TRUE(ValidateContainerConfig(BaseConfig(), BasePod()).ok());
}

TEST(Validate, RefusesBadInputNamingField) {
  auto c = BaseConfig();
  c.mutable_metadata()->set_name("");
  EXPECT_THAT(ValidateContainerConfig(c, {}).message(), HasSubstr("metadata.name"));

  c = BaseConfig();
  c.add_devices()->set_container_path("dev/x");
  EXPECT_THAT(ValidateContainerConfig(c, {}).message(), HasSubstr("devices[0].container_path"));

  c = BaseConfig();
  auto* m = c.add_mounts();
  m->set_container_path("/a");
  m->set_host_path("/b");
  m->mutable_image()->set_image("busybox");
  EXPECT_EQ(ValidateContainerConfig(c, {}).code(), Code::kUnimplemented);

  c = BaseConfig();
  c.mutable_linux()->mutable_resources()->set_cpu_quota(-5);
  EXPECT_THAT(ValidateContainerConfig(c, {}).message(),
              HasSubstr("container \"web\": resources.cpu_quota"));

  c = BaseConfig();
  c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      runtime::v1::TARGET);
  EXPECT_THAT(ValidateContainerConfig(c, {}).message(), HasSubstr("TARGET is only valid for pid"));
}

TEST(Validate, AppArmorDeprecatedFieldForms) {
  auto c = BaseConfig();
  internal::HostSecurity off;
  internal::HostSecurity on{true, false};
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  c.mutable_linux()->mutable_security_context()->set_apparmor_profile("runtime/default");
  EXPECT_EQ(*internal::AppArmorProfile(c, off), "");
  c.mutable_linux()->mutable_security_context()->set_apparmor_profile("localhost/p1");
  EXPECT_FALSE(internal::AppArmorProfile(c, off).ok());
  EXPECT_EQ(*internal::AppArmorProfile(c, on), "p1");
  c.mutable_linux()->mutable_security_context()->set_apparmor_profile("bogus");
  EXPECT_THAT(internal::AppArmorProfile(c, on).status().message(), HasSubstr("apparmor_profile"));
#pragma GCC diagnostic pop
}

TEST(Propagation, EscapedMountPointsAndOvermounts) {
  TempDir dir = testing::MakeTempDir();
  std::string info = dir.path() + "/mountinfo";
  testing::WriteFile(info,
                     "1 0 8:1 / / rw - ext4 /dev/sda rw\n"
                     "2 1 8:1 / /mnt/with\\040space rw shared:1 - ext4 /dev/sda rw\n"
                     "3 1 8:1 / /mnt/x rw shared:2 - ext4 /dev/sda rw\n"
                     "4 3 8:1 / /mnt/x rw master:2 - ext4 /dev/sda rw\n"
                     "5 1 8:1 / /mnt/xy rw - ext4 /dev/sda rw\n");
  EXPECT_EQ(*internal::PropagationOf("/mnt/with space/a", info), "shared");
  EXPECT_EQ(*internal::PropagationOf("/mnt/x/a", info), "slave");  // the top mount
  EXPECT_EQ(*internal::PropagationOf("/mnt/xy", info), "private");
  EXPECT_EQ(*internal::PropagationOf("/elsewhere", info), "private");
}

}  // namespace
}  // namespace berth::oci
