#include "pkg/oci/container_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test/unit/oci/container_test_util.h"
#include "test/unit/oci/expected_capabilities.h"

namespace berth::oci {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace berth::oci::testing;

class ContainerSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteAccounts(root_.path());
    std::filesystem::create_directories(volumes_.path());
    WriteFile(mountinfo_, "1 0 8:1 / / rw,relatime - ext4 /dev/sda rw\n");
    o_.id = kCtrId;
    o_.name = "web";
    o_.rootfs = root_.path();
    o_.volumes_dir = volumes_.path();
    o_.config = BaseConfig();
    o_.image.cmd = {"/bin/server"};
    o_.pod = BasePod();
    o_.own_oom_score_adj = 0;
    o_.mountinfo_path = mountinfo_;
    o_.apparmor_enabled = false;
    o_.selinux_enabled = false;
  }
  json Build() {
    auto spec = BuildContainerSpec(o_);
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    return spec.ok() ? *spec : json();
  }
  Status BuildError() {
    auto spec = BuildContainerSpec(o_);
    EXPECT_FALSE(spec.ok());
    return spec.ok() ? OkStatus() : spec.status();
  }
  runtime::v1::LinuxContainerSecurityContext* Sc() {
    return o_.config.mutable_linux()->mutable_security_context();
  }
  static const json* FindMount(const json& spec, const std::string& dest) {
    for (const auto& m : spec["mounts"]) {
      if (m["destination"] == dest) return &m;
    }
    return nullptr;
  }
  static const json* FindNs(const json& spec, const std::string& type) {
    for (const auto& ns : spec["linux"]["namespaces"]) {
      if (ns["type"] == type) return &ns;
    }
    return nullptr;
  }
  static std::string Env(const json& spec, const std::string& key) {
    for (const auto& e : spec["process"]["env"]) {
      std::string s = e;
      if (s.starts_with(key + "=")) return s.substr(key.size() + 1);
    }
    return "<unset>";
  }

  TempDir root_ = MakeTempDir();
  TempDir volumes_ = MakeTempDir();
  TempDir scratch_ = MakeTempDir();
  std::string mountinfo_ = scratch_.path() + "/mountinfo";
  ContainerSpecOptions o_;
};

// --- args ---

TEST_F(ContainerSpecTest, ArgsImageEntrypointPlusCmd) {
  o_.image.entrypoint = {"/entry", "-x"};
  o_.image.cmd = {"serve"};
  EXPECT_EQ(Build()["process"]["args"], json({"/entry", "-x", "serve"}));
}

TEST_F(ContainerSpecTest, ArgsCriCommandReplacesEntrypointAndCmd) {
  o_.image.entrypoint = {"/entry"};
  o_.image.cmd = {"serve"};
  o_.config.add_command("/bin/sh");
  EXPECT_EQ(Build()["process"]["args"], json({"/bin/sh"}));
  o_.config.add_args("-c");
  o_.config.add_args("true");
  EXPECT_EQ(Build()["process"]["args"], json({"/bin/sh", "-c", "true"}));
}

TEST_F(ContainerSpecTest, ArgsCriArgsReplaceOnlyCmd) {
  o_.image.entrypoint = {"/entry"};
  o_.image.cmd = {"serve"};
  o_.config.add_args("migrate");
  EXPECT_EQ(Build()["process"]["args"], json({"/entry", "migrate"}));
}

TEST_F(ContainerSpecTest, NothingToRunIsInvalidArgument) {
  o_.image.cmd.clear();
  Status s = BuildError();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("container \"web\": command"));
}

// --- env ---

TEST_F(ContainerSpecTest, EnvImageThenCriWithDefaults) {
  o_.image.env = {"A=image", "B=image"};
  auto* e = o_.config.add_envs();
  e->set_key("B");
  e->set_value("cri");
  e = o_.config.add_envs();
  e->set_key("C");
  e->set_value("x=y");
  json spec = Build();
  EXPECT_EQ(
      spec["process"]["env"],
      json({"HOSTNAME=web-1", "A=image", "B=cri", "C=x=y",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"}));
}

TEST_F(ContainerSpecTest, EnvImagePathAndHomeKept) {
  o_.image.env = {"PATH=/opt/bin", "HOME=/data"};
  json spec = Build();
  EXPECT_EQ(Env(spec, "PATH"), "/opt/bin");
  EXPECT_EQ(Env(spec, "HOME"), "/data");
}

TEST_F(ContainerSpecTest, EnvHomeFromPasswdOfTheUser) {
  Sc()->mutable_run_as_user()->set_value(1002);
  EXPECT_EQ(Env(Build(), "HOME"), "/home/app");
}

TEST_F(ContainerSpecTest, EnvTermWithTty) {
  o_.config.set_tty(true);
  json spec = Build();
  EXPECT_EQ(Env(spec, "TERM"), "xterm");
  EXPECT_EQ(spec["process"]["terminal"], true);
}

TEST_F(ContainerSpecTest, EnvBadKeysRefused) {
  o_.image.env = {"NOEQUALS"};
  EXPECT_THAT(BuildError().message(), HasSubstr("image env[0]"));
  o_.image.env.clear();
  auto* e = o_.config.add_envs();
  e->set_key("A=B");
  EXPECT_THAT(BuildError().message(), HasSubstr("envs[0].key"));
}

// --- cwd ---

TEST_F(ContainerSpecTest, CwdPrecedence) {
  EXPECT_EQ(Build()["process"]["cwd"], "/");
  o_.image.working_dir = "/srv";
  EXPECT_EQ(Build()["process"]["cwd"], "/srv");
  o_.config.set_working_dir("/work");
  EXPECT_EQ(Build()["process"]["cwd"], "/work");
  o_.config.set_working_dir("rel");
  EXPECT_THAT(BuildError().message(), HasSubstr("working_dir"));
}

// --- user in the spec ---

TEST_F(ContainerSpecTest, UserAndGroupsInProcess) {
  o_.image.user = "web";
  json spec = Build();
  EXPECT_EQ(spec["process"]["user"]["uid"], 1003);
  EXPECT_EQ(spec["process"]["user"]["gid"], 1500);
  EXPECT_EQ(spec["process"]["user"]["additionalGids"], json({50, 63}));
}

// --- namespaces ---

TEST_F(ContainerSpecTest, NamespacesPodPid) {
  json spec = Build();
  EXPECT_EQ((*FindNs(spec, "network"))["path"], o_.pod.net_ns_path);
  EXPECT_EQ((*FindNs(spec, "ipc"))["path"], o_.pod.ipc_ns_path);
  EXPECT_EQ((*FindNs(spec, "uts"))["path"], o_.pod.uts_ns_path);
  EXPECT_EQ((*FindNs(spec, "pid"))["path"], "/proc/4242/ns/pid");
  ASSERT_NE(FindNs(spec, "mount"), nullptr);
  EXPECT_EQ(spec["hostname"], "web-1");
}

TEST_F(ContainerSpecTest, NamespacesContainerPid) {
  Sc()->mutable_namespace_options()->set_pid(runtime::v1::CONTAINER);
  json spec = Build();
  ASSERT_NE(FindNs(spec, "pid"), nullptr);
  EXPECT_FALSE(FindNs(spec, "pid")->contains("path"));
}

TEST_F(ContainerSpecTest, NamespacesNodePidNeedsHostPidPod) {
  Sc()->mutable_namespace_options()->set_pid(runtime::v1::NODE);
  EXPECT_THAT(BuildError().message(), HasSubstr("namespace_options.pid is NODE"));
  o_.pod.host_pid = true;
  o_.pod.pid_ns_path.clear();
  EXPECT_EQ(FindNs(Build(), "pid"), nullptr);
}

TEST_F(ContainerSpecTest, NamespacesTargetPid) {
  Sc()->mutable_namespace_options()->set_pid(runtime::v1::TARGET);
  EXPECT_THAT(BuildError().message(), HasSubstr("target_id is empty"));
  Sc()->mutable_namespace_options()->set_target_id("c0ffee");
  EXPECT_THAT(BuildError().message(), HasSubstr("was not resolved"));
  o_.target_pid_ns_path = "/proc/777/ns/pid";
  EXPECT_EQ((*FindNs(Build(), "pid"))["path"], "/proc/777/ns/pid");
}

// Under gVisor the pod's PID namespace is the sandbox's own (no entry);
// a path would be a key owned by the pod's first container.
TEST_F(ContainerSpecTest, NamespacesPodPidOnGvisorIsTheSandboxs) {
  o_.pod.runtime_kind = RuntimeKind::kGvisor;
  json spec = Build();
  EXPECT_EQ(FindNs(spec, "pid"), nullptr);
  EXPECT_EQ((*FindNs(spec, "network"))["path"], o_.pod.net_ns_path);
  Sc()->mutable_namespace_options()->set_pid(runtime::v1::CONTAINER);
  spec = Build();
  ASSERT_NE(FindNs(spec, "pid"), nullptr);
  EXPECT_FALSE(FindNs(spec, "pid")->contains("path"));
  Sc()->mutable_namespace_options()->set_pid(runtime::v1::TARGET);
  Sc()->mutable_namespace_options()->set_target_id("c0ffee");
  o_.target_pid_ns_path = "/proc/777/ns/pid";
  Status s = BuildError();
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("not available on a gVisor runtime"));
}

TEST_F(ContainerSpecTest, NamespacesHostNetworkAndUts) {
  o_.pod.net_ns_path.clear();
  o_.pod.uts_ns_path.clear();
  o_.pod.ipc_ns_path.clear();
  json spec = Build();
  EXPECT_EQ(FindNs(spec, "network"), nullptr);
  EXPECT_EQ(FindNs(spec, "uts"), nullptr);
  EXPECT_EQ(FindNs(spec, "ipc"), nullptr);
  EXPECT_FALSE(spec.contains("hostname"));
  EXPECT_EQ(FindMount(spec, "/dev/mqueue"), nullptr);
  EXPECT_EQ((*FindMount(spec, "/sys"))["type"], "bind");
}

// --- cgroups, resources, oom ---

TEST_F(ContainerSpecTest, CgroupsPathUnderPodParent) {
  EXPECT_EQ(Build()["linux"]["cgroupsPath"], "/kubepods/pod1/berth-" + kCtrId);
  o_.pod.cgroup_manager = CgroupManager::kSystemd;
  o_.pod.cgroup_parent = "kubepods-pod1.slice";
  EXPECT_EQ(Build()["linux"]["cgroupsPath"], "kubepods-pod1.slice:berth:" + kCtrId);
}

TEST_F(ContainerSpecTest, ResourcesInSpecWithDeviceRules) {
  auto* r = o_.config.mutable_linux()->mutable_resources();
  r->set_cpu_shares(512);
  r->set_memory_limit_in_bytes(1 << 20);
  json spec = Build();
  EXPECT_EQ(spec["linux"]["resources"]["cpu"]["shares"], 512);
  EXPECT_EQ(spec["linux"]["resources"]["memory"]["limit"], 1 << 20);
  EXPECT_EQ(spec["linux"]["resources"]["devices"][0], json({{"allow", false}, {"access", "rwm"}}));
}

TEST_F(ContainerSpecTest, OomScoreAdjClampedToOwn) {
  o_.config.mutable_linux()->mutable_resources()->set_oom_score_adj(-500);
  o_.own_oom_score_adj = -100;
  EXPECT_EQ(Build()["process"]["oomScoreAdj"], -100);
  o_.clamp_oom_score_adj = false;
  EXPECT_EQ(Build()["process"]["oomScoreAdj"], -500);
  o_.config.mutable_linux()->mutable_resources()->set_oom_score_adj(1001);
  EXPECT_THAT(BuildError().message(), HasSubstr("oom_score_adj"));
}

// --- security ---

TEST_F(ContainerSpecTest, DefaultCapabilitiesInBoundingEffectivePermitted) {
  json caps = Build()["process"]["capabilities"];
  EXPECT_THAT(caps["bounding"].get<std::vector<std::string>>(),
              ::testing::UnorderedElementsAreArray(ContainerDefaultCapabilities()));
  EXPECT_EQ(caps["bounding"], caps["effective"]);
  EXPECT_EQ(caps["bounding"], caps["permitted"]);
  EXPECT_EQ(caps["inheritable"], json::array());
  EXPECT_EQ(caps["ambient"], json::array());
  EXPECT_THAT(caps["bounding"].get<std::vector<std::string>>(), Contains("CAP_NET_BIND_SERVICE"));
  EXPECT_THAT(caps["bounding"].get<std::vector<std::string>>(), Not(Contains("CAP_SYS_ADMIN")));
}

TEST_F(ContainerSpecTest, MaskedPathsDefaultsCriGivenAndPrivileged) {
  json spec = Build();
  EXPECT_THAT(spec["linux"]["maskedPaths"].get<std::vector<std::string>>(),
              Contains("/proc/kcore"));
  EXPECT_THAT(spec["linux"]["readonlyPaths"].get<std::vector<std::string>>(),
              Contains("/proc/sys"));
  Sc()->add_masked_paths("/proc/custom");
  Sc()->add_readonly_paths("/proc/ro");
  spec = Build();
  EXPECT_EQ(spec["linux"]["maskedPaths"], json({"/proc/custom"}));
  EXPECT_EQ(spec["linux"]["readonlyPaths"], json({"/proc/ro"}));
  Sc()->set_privileged(true);
  o_.pod.privileged = true;
  spec = Build();
  EXPECT_EQ(spec["linux"]["maskedPaths"], json::array());
  EXPECT_EQ(spec["linux"]["readonlyPaths"], json::array());
}

TEST_F(ContainerSpecTest, PrivilegedGetsEverything) {
  Sc()->set_privileged(true);
  o_.pod.privileged = true;
  json spec = Build();
  EXPECT_GT(spec["process"]["capabilities"]["bounding"].size(), 30u);
  EXPECT_THAT(spec["process"]["capabilities"]["bounding"].get<std::vector<std::string>>(),
              Contains("CAP_SYS_ADMIN"));
  EXPECT_EQ(spec["linux"]["resources"]["devices"],
            json::array({{{"allow", true}, {"access", "rwm"}}}));
  bool has_null = false;
  for (const auto& d : spec["linux"]["devices"]) has_null = has_null || d["path"] == "/dev/null";
  EXPECT_TRUE(has_null);
  EXPECT_THAT((*FindMount(spec, "/sys"))["options"].get<std::vector<std::string>>(),
              Contains("rw"));
  EXPECT_THAT((*FindMount(spec, "/sys/fs/cgroup"))["options"].get<std::vector<std::string>>(),
              Contains("rw"));
}

// runsc 20221219 refuses "unknown capability" CAP_PERFMON and later ones.
TEST_F(ContainerSpecTest, PrivilegedOnGvisorGetsOnlyTheCapabilitiesGvisorKnows) {
  Sc()->set_privileged(true);
  o_.pod.privileged = true;
  o_.pod.runtime_kind = RuntimeKind::kGvisor;
  auto caps = Build()["process"]["capabilities"]["bounding"].get<std::vector<std::string>>();
  EXPECT_THAT(caps, Contains("CAP_SYS_ADMIN"));
  EXPECT_THAT(caps, Contains("CAP_AUDIT_READ"));
  EXPECT_THAT(caps, Not(Contains("CAP_PERFMON")));
  EXPECT_THAT(caps, Not(Contains("CAP_BPF")));
  o_.pod.runtime_kind = RuntimeKind::kRuncCompatible;
  EXPECT_THAT(Build()["process"]["capabilities"]["bounding"].get<std::vector<std::string>>(),
              Contains("CAP_PERFMON"));
}

TEST_F(ContainerSpecTest, PrivilegedContainerInUnprivilegedPodRefused) {
  Sc()->set_privileged(true);
  Status s = BuildError();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("privileged"));
}

TEST_F(ContainerSpecTest, UnprivilegedSysAndCgroupReadOnly) {
  json spec = Build();
  EXPECT_THAT((*FindMount(spec, "/sys"))["options"].get<std::vector<std::string>>(),
              Contains("ro"));
  EXPECT_THAT((*FindMount(spec, "/sys/fs/cgroup"))["options"].get<std::vector<std::string>>(),
              Contains("ro"));
  EXPECT_EQ((*FindMount(spec, "/dev/shm"))["source"], o_.pod.shm_path);
  ASSERT_NE(FindMount(spec, "/dev/mqueue"), nullptr);
}

TEST_F(ContainerSpecTest, ReadOnlyRootfsAndNoNewPrivs) {
  EXPECT_EQ(Build()["root"], json({{"path", root_.path()}, {"readonly", false}}));
  Sc()->set_readonly_rootfs(true);
  Sc()->set_no_new_privs(true);
  json spec = Build();
  EXPECT_EQ(spec["root"]["readonly"], true);
  EXPECT_EQ(spec["process"]["noNewPrivileges"], true);
  EXPECT_THAT((*FindMount(spec, "/etc/hosts"))["options"].get<std::vector<std::string>>(),
              Contains("ro"));
}

TEST_F(ContainerSpecTest, PodSysctlsAndSeccompPlaced) {
  o_.pod.sysctls = {{"net.ipv4.ip_forward", "1"}};
  o_.seccomp = json{{"defaultAction", "SCMP_ACT_ERRNO"}};
  json spec = Build();
  EXPECT_EQ(spec["linux"]["sysctl"], json({{"net.ipv4.ip_forward", "1"}}));
  EXPECT_EQ(spec["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
}

TEST_F(ContainerSpecTest, AppArmorLocalhostNeedsAppArmor) {
  Sc()->mutable_apparmor()->set_profile_type(runtime::v1::SecurityProfile::Localhost);
  Sc()->mutable_apparmor()->set_localhost_ref("localhost/my-profile");
  Status s = BuildError();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("AppArmor is not enabled on this host"));
  o_.apparmor_enabled = true;
  EXPECT_EQ(Build()["process"]["apparmorProfile"], "my-profile");
}

TEST_F(ContainerSpecTest, AppArmorRuntimeDefaultWithoutAppArmorIsNothing) {
  Sc()->mutable_apparmor()->set_profile_type(runtime::v1::SecurityProfile::RuntimeDefault);
  EXPECT_FALSE(Build()["process"].contains("apparmorProfile"));
}

TEST_F(ContainerSpecTest, SelinuxOptionsIgnoredWhenSelinuxOff) {
  Sc()->mutable_selinux_options()->set_type("spc_t");
  EXPECT_FALSE(Build()["process"].contains("selinuxLabel"));
  o_.selinux_enabled = true;
  EXPECT_EQ(Build()["process"]["selinuxLabel"], "system_u:system_r:spc_t:s0");
}

TEST_F(ContainerSpecTest, CdiDevicesUnimplemented) {
  o_.config.add_cdi_devices()->set_name("vendor.com/gpu=0");
  Status s = BuildError();
  EXPECT_EQ(s.code(), Code::kUnimplemented);
  EXPECT_THAT(s.message(), HasSubstr("CDI devices are not supported yet"));
}

// --- mounts ---

TEST_F(ContainerSpecTest, PodFilesMountedUnlessCriTargetsThem) {
  json spec = Build();
  EXPECT_EQ((*FindMount(spec, "/etc/hosts"))["source"], o_.pod.hosts_file);
  EXPECT_EQ((*FindMount(spec, "/etc/resolv.conf"))["source"], o_.pod.resolv_conf_file);
  EXPECT_EQ((*FindMount(spec, "/etc/hostname"))["source"], o_.pod.hostname_file);
  auto* m = o_.config.add_mounts();
  m->set_container_path("/etc/hosts");
  m->set_host_path(scratch_.path() + "/kubelet-hosts");
  WriteFile(scratch_.path() + "/kubelet-hosts", "127.0.0.1 localhost\n");
  spec = Build();
  int count = 0;
  for (const auto& mm : spec["mounts"]) count += mm["destination"] == "/etc/hosts";
  EXPECT_EQ(count, 1);
  EXPECT_EQ((*FindMount(spec, "/etc/hosts"))["source"], scratch_.path() + "/kubelet-hosts");
}

TEST_F(ContainerSpecTest, ImageVolumesGetAnonymousDirectories) {
  o_.image.volumes = {"/data", "/cache/", "/data", "/cri"};
  auto* m = o_.config.add_mounts();
  m->set_container_path("/cri");
  m->set_host_path(scratch_.path() + "/cri");
  json spec = Build();
  const json* data = FindMount(spec, "/data");
  ASSERT_NE(data, nullptr);
  std::string src = (*data)["source"];
  EXPECT_TRUE(src.starts_with(volumes_.path() + "/"));
  EXPECT_TRUE(std::filesystem::is_directory(src));
  EXPECT_THAT((*data)["options"].get<std::vector<std::string>>(), Contains("rw"));
  ASSERT_NE(FindMount(spec, "/cache"), nullptr);
  EXPECT_NE((*FindMount(spec, "/cache"))["source"], src);
  EXPECT_EQ((*FindMount(spec, "/cri"))["source"], scratch_.path() + "/cri");
  int count = 0;
  for (const auto& mm : spec["mounts"]) count += mm["destination"] == "/data";
  EXPECT_EQ(count, 1);
  o_.image.volumes = {"relative"};
  EXPECT_THAT(BuildError().message(), HasSubstr("image volume"));
}

TEST_F(ContainerSpecTest, CriMountCreatesMissingHostDirAndSortsParentsFirst) {
  auto* child = o_.config.add_mounts();
  child->set_container_path("/data/logs");
  child->set_host_path(scratch_.path() + "/new/logs");
  child->set_readonly(true);
  auto* parent = o_.config.add_mounts();
  parent->set_container_path("/data");
  parent->set_host_path(scratch_.path() + "/new/data");
  json spec = Build();
  EXPECT_TRUE(std::filesystem::is_directory(scratch_.path() + "/new/logs"));
  std::vector<std::string> order;
  for (const auto& m : spec["mounts"]) order.push_back(m["destination"]);
  auto pos = [&](const std::string& d) {
    return std::find(order.begin(), order.end(), d) - order.begin();
  };
  EXPECT_LT(pos("/data"), pos("/data/logs"));
  EXPECT_EQ((*FindMount(spec, "/data/logs"))["options"], json({"rbind", "rprivate", "ro"}));
  EXPECT_EQ((*FindMount(spec, "/data"))["options"], json({"rbind", "rprivate", "rw"}));
}

TEST_F(ContainerSpecTest, CriMountPathsChecked) {
  auto* m = o_.config.add_mounts();
  m->set_container_path("rel/x");
  m->set_host_path("/tmp");
  EXPECT_THAT(BuildError().message(),
              HasSubstr("container \"web\": mounts[0].container_path \"rel/x\""));
  m->set_container_path("/x");
  m->set_host_path("/tmp/../etc");
  EXPECT_THAT(BuildError().message(), HasSubstr("mounts[0].host_path"));
}

TEST_F(ContainerSpecTest, RecursiveReadOnly) {
  auto* m = o_.config.add_mounts();
  m->set_container_path("/x");
  m->set_host_path(scratch_.path());
  m->set_recursive_read_only(true);
  EXPECT_THAT(BuildError().message(), HasSubstr("recursive_read_only needs readonly"));
  m->set_readonly(true);
  EXPECT_EQ((*FindMount(Build(), "/x"))["options"], json({"rbind", "rprivate", "rro"}));
  o_.supports_recursive_read_only = false;
  EXPECT_THAT(BuildError().message(), HasSubstr("cannot make mounts recursively read-only"));
}

TEST_F(ContainerSpecTest, PropagationMapsAndIsCheckedAgainstHost) {
  std::string base = std::filesystem::canonical(scratch_.path());
  std::filesystem::create_directories(base + "/shared/a");
  std::filesystem::create_directories(base + "/slave/a");
  std::filesystem::create_directories(base + "/priv/a");
  WriteFile(mountinfo_,
            "1 0 8:1 / / rw,relatime - ext4 /dev/sda rw\n"
            "2 1 8:1 / " +
                base +
                "/shared rw shared:7 - ext4 /dev/sda rw\n"
                "3 1 8:1 / " +
                base +
                "/slave rw master:7 - ext4 /dev/sda rw\n"
                "4 1 8:1 / " +
                base + "/priv rw - ext4 /dev/sda rw\n");
  auto* m = o_.config.add_mounts();
  m->set_container_path("/m");
  m->set_host_path(base + "/shared/a");
  m->set_propagation(runtime::v1::PROPAGATION_BIDIRECTIONAL);
  json spec = Build();
  EXPECT_EQ((*FindMount(spec, "/m"))["options"], json({"rbind", "rshared", "rw"}));
  EXPECT_EQ(spec["linux"]["rootfsPropagation"], "rshared");

  m->set_host_path(base + "/slave/a");
  Status s = BuildError();
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr(base + "/slave/a"));

  m->set_propagation(runtime::v1::PROPAGATION_HOST_TO_CONTAINER);
  spec = Build();
  EXPECT_EQ((*FindMount(spec, "/m"))["options"], json({"rbind", "rslave", "rw"}));
  EXPECT_EQ(spec["linux"]["rootfsPropagation"], "rslave");

  m->set_host_path(base + "/priv/a");
  s = BuildError();
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("private"));
  m->set_propagation(runtime::v1::PROPAGATION_BIDIRECTIONAL);
  EXPECT_EQ(BuildError().code(), Code::kFailedPrecondition);

  m->set_propagation(runtime::v1::PROPAGATION_PRIVATE);
  spec = Build();
  EXPECT_EQ((*FindMount(spec, "/m"))["options"], json({"rbind", "rprivate", "rw"}));
  EXPECT_FALSE(spec["linux"].contains("rootfsPropagation"));
}

// --- devices ---

TEST_F(ContainerSpecTest, DeviceNullAddedWithCgroupRule) {
  auto* d = o_.config.add_devices();
  d->set_container_path("/dev/mynull");
  d->set_host_path("/dev/null");
  d->set_permissions("rw");
  json spec = Build();
  ASSERT_EQ(spec["linux"]["devices"].size(), 1u);
  EXPECT_EQ(spec["linux"]["devices"][0]["path"], "/dev/mynull");
  EXPECT_EQ(spec["linux"]["devices"][0]["type"], "c");
  EXPECT_EQ(spec["linux"]["devices"][0]["major"], 1);
  EXPECT_EQ(spec["linux"]["devices"][0]["minor"], 3);
  EXPECT_EQ(spec["linux"]["resources"]["devices"][1],
            json({{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rw"}}));
}

TEST_F(ContainerSpecTest, DeviceNotADeviceOrMissingRefused) {
  auto* d = o_.config.add_devices();
  d->set_container_path("/dev/x");
  d->set_host_path("/etc/passwd");
  Status s = BuildError();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("devices[0].host_path \"/etc/passwd\" is not a device node"));
  d->set_host_path("/dev/does-not-exist-berth");
  EXPECT_THAT(BuildError().message(), HasSubstr("does not exist"));
  d->set_host_path("/dev/null");
  d->set_permissions("rwx");
  EXPECT_THAT(BuildError().message(), HasSubstr("permissions"));
}

}  // namespace
}  // namespace berth::oci
