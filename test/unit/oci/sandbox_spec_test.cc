#include "pkg/oci/sandbox_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

// Portable: BuildSandboxSpec is also tested under Wine (test/windows/
// runtime.cmake). What reads the host (/proc/self/oom_score_adj) is in
// own_oom_score_adj_test.cc, the infra rootfs in infra_rootfs_test.cc.
namespace berth::oci {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const std::string kId(64, 'a');

SandboxSpecOptions Base() {
  SandboxSpecOptions o;
  o.id = kId;
  o.rootfs = "/var/lib/berth/infra-rootfs";
  o.hostname = "web-1";
  o.net_ns_path = "/run/berth/ns/net/" + kId;
  o.ipc_ns_path = "/run/berth/ns/ipc/" + kId;
  o.uts_ns_path = "/run/berth/ns/uts/" + kId;
  o.shm_path = "/run/berth/shm/" + kId;
  o.own_oom_score_adj = 0;
  o.annotations = {{"io.kubernetes.cri.sandbox-name", "web"}};
  return o;
}

const json* FindNs(const json& spec, const std::string& type) {
  for (const auto& ns : spec["linux"]["namespaces"]) {
    if (ns["type"] == type) return &ns;
  }
  return nullptr;
}

const json* FindMount(const json& spec, const std::string& dest) {
  for (const auto& m : spec["mounts"]) {
    if (m["destination"] == dest) return &m;
  }
  return nullptr;
}

TEST(SandboxSpec, PodNamespacesJoinedByPath) {
  auto spec = BuildSandboxSpec(Base());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  const json& s = *spec;
  EXPECT_EQ((*FindNs(s, "network"))["path"], "/run/berth/ns/net/" + kId);
  EXPECT_EQ((*FindNs(s, "ipc"))["path"], "/run/berth/ns/ipc/" + kId);
  EXPECT_EQ((*FindNs(s, "uts"))["path"], "/run/berth/ns/uts/" + kId);
  ASSERT_NE(FindNs(s, "pid"), nullptr);
  EXPECT_FALSE(FindNs(s, "pid")->contains("path"));
  ASSERT_NE(FindNs(s, "mount"), nullptr);
  EXPECT_EQ(s["hostname"], "web-1");
  EXPECT_EQ((*FindMount(s, "/sys"))["type"], "sysfs");
  EXPECT_NE(FindMount(s, "/dev/mqueue"), nullptr);
}

TEST(SandboxSpec, ShapeOfProcessRootAndSecurity) {
  auto spec = BuildSandboxSpec(Base());
  ASSERT_TRUE(spec.ok());
  const json& s = *spec;
  EXPECT_EQ(s["process"]["args"], json({"/pause"}));
  EXPECT_EQ(s["process"]["noNewPrivileges"], true);
  EXPECT_EQ(s["process"]["user"]["uid"], 0);
  for (const char* set : {"bounding", "effective", "inheritable", "permitted", "ambient"}) {
    EXPECT_TRUE(s["process"]["capabilities"][set].empty()) << set;
  }
  EXPECT_EQ(s["root"]["path"], "/var/lib/berth/infra-rootfs");
  EXPECT_EQ(s["root"]["readonly"], true);
  EXPECT_FALSE(s["linux"].contains("seccomp"));
  EXPECT_EQ(s["annotations"]["io.kubernetes.cri.sandbox-name"], "web");
  const json* shm = FindMount(s, "/dev/shm");
  ASSERT_NE(shm, nullptr);
  EXPECT_EQ((*shm)["source"], "/run/berth/shm/" + kId);
  EXPECT_EQ((*shm)["type"], "bind");
  for (const char* d : {"/proc", "/dev", "/dev/pts", "/sys"}) EXPECT_NE(FindMount(s, d), nullptr);
  EXPECT_EQ(s["linux"]["cgroupsPath"], "/berth/berth-" + kId);
}

TEST(SandboxSpec, HostNamespacesAreOmitted) {
  SandboxSpecOptions o = Base();
  o.net_ns_path.clear();
  o.ipc_ns_path.clear();
  o.uts_ns_path.clear();
  o.hostname.clear();
  o.host_pid = true;
  o.shm_path = "/dev/shm";
  auto spec = BuildSandboxSpec(o);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  for (const char* t : {"network", "ipc", "uts", "pid"}) EXPECT_EQ(FindNs(*spec, t), nullptr) << t;
  EXPECT_NE(FindNs(*spec, "mount"), nullptr);
  EXPECT_FALSE(spec->contains("hostname"));
  EXPECT_EQ((*FindMount(*spec, "/sys"))["type"], "bind");
  EXPECT_EQ(FindMount(*spec, "/dev/mqueue"), nullptr);
}

TEST(SandboxSpec, HostnameWithHostUtsRefused) {
  SandboxSpecOptions o = Base();
  o.uts_ns_path.clear();
  auto spec = BuildSandboxSpec(o);
  EXPECT_EQ(spec.status().code(), Code::kInvalidArgument);
}

TEST(SandboxSpec, OomScoreAdjClampedToOwn) {
  SandboxSpecOptions o = Base();
  o.own_oom_score_adj = -500;
  o.oom_score_adj = -998;
  EXPECT_EQ((*BuildSandboxSpec(o))["process"]["oomScoreAdj"], -500);
  o.oom_score_adj = 100;
  EXPECT_EQ((*BuildSandboxSpec(o))["process"]["oomScoreAdj"], 100);
  o.oom_score_adj = -998;
  o.clamp_oom_score_adj = false;
  EXPECT_EQ((*BuildSandboxSpec(o))["process"]["oomScoreAdj"], -998);
  o.oom_score_adj = -1001;
  EXPECT_EQ(BuildSandboxSpec(o).status().code(), Code::kInvalidArgument);
}

TEST(SandboxSpec, SysctlsSeccompUserPassed) {
  SandboxSpecOptions o = Base();
  o.sysctls = {{"net.ipv4.ip_forward", "1"}};
  o.seccomp = json{{"defaultAction", "SCMP_ACT_ALLOW"}};
  o.uid = 65535;
  o.gid = 65534;
  o.additional_gids = {5, 6};
  auto spec = BuildSandboxSpec(o);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ((*spec)["linux"]["sysctl"]["net.ipv4.ip_forward"], "1");
  EXPECT_EQ((*spec)["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ALLOW");
  EXPECT_EQ((*spec)["process"]["user"]["uid"], 65535);
  EXPECT_EQ((*spec)["process"]["user"]["gid"], 65534);
  EXPECT_EQ((*spec)["process"]["user"]["additionalGids"], json({5, 6}));
}

TEST(SandboxSpec, CgroupsPathPerManager) {
  EXPECT_EQ(*SandboxCgroupsPath(CgroupManager::kCgroupfs, "/kubepods/pod1", kId),
            "/kubepods/pod1/berth-" + kId);
  EXPECT_EQ(*SandboxCgroupsPath(CgroupManager::kCgroupfs, "/kubepods/", kId),
            "/kubepods/berth-" + kId);
  EXPECT_EQ(*SandboxCgroupsPath(CgroupManager::kCgroupfs, "", kId), "/berth/berth-" + kId);
  EXPECT_EQ(*SandboxCgroupsPath(CgroupManager::kSystemd, "kubepods-pod1.slice", kId),
            "kubepods-pod1.slice:berth:" + kId);
  EXPECT_EQ(*SandboxCgroupsPath(CgroupManager::kSystemd, "", kId), "system.slice:berth:" + kId);
  EXPECT_FALSE(SandboxCgroupsPath(CgroupManager::kCgroupfs, "kubepods", kId).ok());
  EXPECT_FALSE(SandboxCgroupsPath(CgroupManager::kCgroupfs, "/a/../b", kId).ok());
  EXPECT_FALSE(SandboxCgroupsPath(CgroupManager::kSystemd, "/kubepods", kId).ok());
  EXPECT_FALSE(SandboxCgroupsPath(CgroupManager::kSystemd, "a:b.slice", kId).ok());
  EXPECT_FALSE(SandboxCgroupsPath(CgroupManager::kCgroupfs, "/k", "../x").ok());
}

TEST(SandboxSpec, RefusesRelativePaths) {
  SandboxSpecOptions o = Base();
  o.net_ns_path = "ns/net";
  EXPECT_EQ(BuildSandboxSpec(o).status().code(), Code::kInvalidArgument);
  o = Base();
  o.rootfs = "rootfs";
  EXPECT_EQ(BuildSandboxSpec(o).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth::oci
