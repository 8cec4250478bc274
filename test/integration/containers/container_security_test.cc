// Container security settings on real runc: users and groups from the
// image, read-only rootfs, capabilities, no_new_privs, seccomp, mounts and
// devices; and bad input refused with a clear error, leaving nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "test/integration/containers/container_env.h"

namespace berth::testing {
namespace {

namespace rt = runtime::v1;
namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string SeccompProfile(const std::string& name) {
  return std::string(BERTH_SOURCE_DIR) + "/test/testdata/seccomp/" + name;
}

class ContainerSecurityTest : public ContainerTest {
 protected:
  // Runs `script` in a fresh container of `pod` configured by `tweak`, waits
  // for it to exit and returns its stdout.
  template <typename Tweak>
  std::string RunScript(const std::string& pod, const std::string& name, const std::string& script,
                        Tweak tweak, int* exit_code = nullptr) {
    rt::ContainerConfig c = Config(name, {"/bin/sh", "-c", script});
    tweak(c);
    std::string id = CreateAndStart(pod, c);
    rt::ContainerStatus st = WaitExited(id);
    if (exit_code) *exit_code = st.exit_code();
    return LogText(name);
  }
};

TEST_F(ContainerSecurityTest, UsersAndGroupsResolveAgainstTheImage) {
  std::string pod = RunPod("users");
  auto* none = +[](rt::ContainerConfig&) {};
  EXPECT_EQ(RunScript(pod, "root", "id -u; id -g", none), "0\n0\n");
  EXPECT_EQ(
      RunScript(pod, "uid", "id -u; id -g; echo $HOME",
                [](rt::ContainerConfig& c) {
                  c.mutable_linux()->mutable_security_context()->mutable_run_as_user()->set_value(
                      1002);
                }),
      "1002\n1002\n/home/app\n");
  // A named user: its uid, primary group and the groups listing it (staff).
  EXPECT_EQ(RunScript(pod, "named", "id -u; id -G",
                      [](rt::ContainerConfig& c) {
                        c.mutable_linux()->mutable_security_context()->set_run_as_username("app");
                      }),
            "1002\n1002 50\n");
  // uid:gid with supplemental groups from the request.
  EXPECT_EQ(RunScript(pod, "uidgid", "id -u; id -g; id -G",
                      [](rt::ContainerConfig& c) {
                        auto* sc = c.mutable_linux()->mutable_security_context();
                        sc->mutable_run_as_user()->set_value(1234);
                        sc->mutable_run_as_group()->set_value(4321);
                        sc->add_supplemental_groups(777);
                      }),
            "1234\n4321\n4321 777\n");
  std::string id;
  rt::ContainerConfig ghost = Config("ghost", {"true"});
  ghost.mutable_linux()->mutable_security_context()->set_run_as_username("nosuchuser");
  grpc::Status s = Create(pod, ghost, &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("nosuchuser"));
}

TEST_F(ContainerSecurityTest, ReadOnlyRootfsAndNoNewPrivileges) {
  std::string pod = RunPod("ro");
  int code = 0;
  RunScript(
      pod, "rofs", "touch /newfile",
      [](rt::ContainerConfig& c) {
        c.mutable_linux()->mutable_security_context()->set_readonly_rootfs(true);
      },
      &code);
  EXPECT_NE(code, 0) << "wrote to a read-only rootfs";
  EXPECT_EQ(RunScript(pod, "rwfs", "touch /newfile && echo ok", [](rt::ContainerConfig&) {}),
            "ok\n");
  EXPECT_EQ(RunScript(pod, "nnp", "grep NoNewPrivs /proc/self/status | tr -d '\\t '",
                      [](rt::ContainerConfig& c) {
                        c.mutable_linux()->mutable_security_context()->set_no_new_privs(true);
                      }),
            "NoNewPrivs:1\n");
}

TEST_F(ContainerSecurityTest, CapabilitiesAddAndDropShowInProcStatus) {
  std::string pod = RunPod("caps");
  const std::string script = "grep CapEff /proc/self/status | tr -d '\\t '";
  // drop ALL + add NET_ADMIN: only bit 12.
  EXPECT_EQ(RunScript(pod, "netadmin", script,
                      [](rt::ContainerConfig& c) {
                        auto* caps =
                            c.mutable_linux()->mutable_security_context()->mutable_capabilities();
                        caps->add_drop_capabilities("ALL");
                        caps->add_add_capabilities("NET_ADMIN");
                      }),
            "CapEff:0000000000001000\n");
  EXPECT_EQ(RunScript(pod, "nocaps", script,
                      [](rt::ContainerConfig& c) {
                        c.mutable_linux()
                            ->mutable_security_context()
                            ->mutable_capabilities()
                            ->add_drop_capabilities("ALL");
                      }),
            "CapEff:0000000000000000\n");
  std::string id;
  rt::ContainerConfig bad = Config("badcap", {"true"});
  bad.mutable_linux()->mutable_security_context()->mutable_capabilities()->add_add_capabilities(
      "CAP_FLY");
  grpc::Status s = Create(pod, bad, &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("CAP_FLY"));
}

// CapEff & CapBnd of a process, as 16 hex digits (what "CapEff:" shows).
std::string HeldCapabilitiesOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  uint64_t eff = 0, bnd = 0;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) == 0) eff = std::stoull(line.substr(7), nullptr, 16);
    if (line.rfind("CapBnd:", 0) == 0) bnd = std::stoull(line.substr(7), nullptr, 16);
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(eff & bnd));
  return buf;
}

// "All capabilities" is all berthd holds: on this machine the bounding set
// lacks CAP_SYS_RESOURCE, and asking runc for it fails the container.
TEST_F(ContainerSecurityTest, AllCapabilitiesAndPrivilegedGetWhatBerthdHolds) {
  const std::string held = HeldCapabilitiesOf(d_->pid());
  const std::string script = "grep CapEff /proc/self/status | tr -d '\\t '";
  std::string pod = RunPod("allcaps", nullptr, /*privileged=*/true);
  EXPECT_EQ(RunScript(pod, "addall", script,
                      [](rt::ContainerConfig& c) {
                        c.mutable_linux()
                            ->mutable_security_context()
                            ->mutable_capabilities()
                            ->add_add_capabilities("ALL");
                      }),
            "CapEff:" + held + "\n");
  EXPECT_EQ(RunScript(pod, "privileged", script,
                      [](rt::ContainerConfig& c) {
                        c.mutable_linux()->mutable_security_context()->set_privileged(true);
                      }),
            "CapEff:" + held + "\n");
}

// What the kubelet sends for every container: hugepage limits for each page
// size the node has (limit 0 on most), and `unified` on memory-QoS nodes.
// Where the node cannot set them (no hugetlb hierarchy, not cgroup v2) they
// are left out with a log line; the container runs.
TEST_F(ContainerSecurityTest, LimitsTheNodeCannotSetAreLeftOutAndTheContainerRuns) {
  std::string pod = RunPod("limits");
  rt::ContainerConfig c = Config("kubeletish", {"/bin/sh", "-c", "echo up"});
  auto* r = c.mutable_linux()->mutable_resources();
  r->set_memory_limit_in_bytes(64 << 20);
  r->set_cpu_shares(2);
  for (const char* size : {"2MB", "1GB"}) {
    auto* h = r->add_hugepage_limits();
    h->set_page_size(size);
    h->set_limit(0);
  }
  (*r->mutable_unified())["memory.high"] = "max";
  std::string id = CreateAndStart(pod, c);
  rt::ContainerStatus st = WaitExited(id);
  EXPECT_EQ(st.exit_code(), 0);
  EXPECT_EQ(LogText("kubeletish"), "up\n");

  // Status verbose info shows what was probed, and matches this node.
  rt::StatusRequest req;
  req.set_verbose(true);
  rt::StatusResponse resp;
  ASSERT_TRUE(d_->runtime().Status(Ctx().get(), req, &resp).ok());
  auto node = nlohmann::json::parse(resp.info().at("node"));
  bool hugetlb_mounted = false;
  std::ifstream cgroups("/proc/cgroups");
  std::string name;
  int hierarchy = 0;
  std::string rest;
  while (cgroups >> name) {
    if (name[0] == '#') {
      std::getline(cgroups, rest);
      continue;
    }
    cgroups >> hierarchy;
    std::getline(cgroups, rest);
    if (name == "hugetlb" && hierarchy != 0) hugetlb_mounted = true;
  }
  const auto& controllers = node["cgroup"]["controllers"];
  const bool v2 = node["cgroup"]["mode"] == "v2";
  if (!v2) {
    EXPECT_EQ(std::find(controllers.begin(), controllers.end(), "hugetlb") != controllers.end(),
              hugetlb_mounted);
  }
  EXPECT_EQ(node["capabilities"]["held"].size() + node["capabilities"]["not_held"].size(),
            static_cast<size_t>(std::stoi(ReadFirstLine("/proc/sys/kernel/cap_last_cap")) + 1));
  if (!hugetlb_mounted && !v2) {
    EXPECT_THAT(d_->Log(), HasSubstr("hugepageLimits (no hugetlb cgroup controller)"));
  }
}

TEST_F(ContainerSecurityTest, SeccompRuntimeDefaultAndLocalhostProfilesAreEnforced) {
  std::string pod = RunPod("seccomp");
  int code = -1;
  // RuntimeDefault refuses a new user namespace even to root.
  std::string out = RunScript(
      pod, "default", "unshare -U true && echo allowed || echo refused",
      [](rt::ContainerConfig& c) {
        c.mutable_linux()->mutable_security_context()->mutable_seccomp()->set_profile_type(
            rt::SecurityProfile::RuntimeDefault);
      });
  EXPECT_EQ(out, "refused\n");
  out = RunScript(pod, "unconfined", "mkdir /tmp/d && echo made", [](rt::ContainerConfig&) {});
  EXPECT_EQ(out, "made\n");
  out = RunScript(
      pod, "local", "mkdir /tmp/d && echo made || echo denied",
      [](rt::ContainerConfig& c) {
        auto* p = c.mutable_linux()->mutable_security_context()->mutable_seccomp();
        p->set_profile_type(rt::SecurityProfile::Localhost);
        p->set_localhost_ref(SeccompProfile("deny-mkdir.json"));
      },
      &code);
  EXPECT_EQ(out, "denied\n");
  rt::ContainerConfig bad = Config("badprofile", {"true"});
  auto* p = bad.mutable_linux()->mutable_security_context()->mutable_seccomp();
  p->set_profile_type(rt::SecurityProfile::Localhost);
  p->set_localhost_ref(SeccompProfile("unknown-syscall.json"));
  grpc::Status s = Create(pod, bad, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("unknown-syscall.json"));
}

TEST_F(ContainerSecurityTest, MountsDevicesAndPropagation) {
  std::string pod = RunPod("mounts");
  const std::string host = tmp_.Sub("shared-data");
  fs::create_directories(host);
  std::ofstream(host + "/hello.txt") << "from host\n";
  const std::string missing = tmp_.Sub("created-for-you");
  std::string out = RunScript(pod, "mnt",
                              "cat /data/hello.txt; touch /ro/x 2>/dev/null || echo ro-refused; ls "
                              "-d /made; ls -l /dev/mynull | cut -c1",
                              [&](rt::ContainerConfig& c) {
                                auto* m = c.add_mounts();
                                m->set_container_path("/data");
                                m->set_host_path(host);
                                m->set_propagation(rt::PROPAGATION_PRIVATE);
                                auto* ro = c.add_mounts();
                                ro->set_container_path("/ro");
                                ro->set_host_path(host);
                                ro->set_readonly(true);
                                auto* made = c.add_mounts();
                                made->set_container_path("/made");
                                made->set_host_path(missing);
                                auto* dev = c.add_devices();
                                dev->set_host_path("/dev/null");
                                dev->set_container_path("/dev/mynull");
                                dev->set_permissions("rwm");
                              });
  EXPECT_EQ(out, "from host\nro-refused\n/made\nc\n");
  EXPECT_TRUE(fs::is_directory(missing)) << "a missing host path is created as a directory";
  // Bidirectional needs a shared host mount; a path on a private mount is refused.
  const std::string priv = tmp_.Sub("private-mnt");
  fs::create_directories(priv);
  ASSERT_EQ(RunCommand({"/usr/bin/mount", "-t", "tmpfs", "tmpfs", priv}).exit_code, 0);
  ASSERT_EQ(RunCommand({"/usr/bin/mount", "--make-private", priv}).exit_code, 0);
  rt::ContainerConfig c = Config("shared", {"true"});
  auto* m = c.add_mounts();
  m->set_container_path("/shared");
  m->set_host_path(priv);
  m->set_propagation(rt::PROPAGATION_BIDIRECTIONAL);
  grpc::Status s = Create(pod, c, nullptr);
  RunCommand({"/usr/bin/umount", priv});
  EXPECT_NE(s.error_code(), grpc::StatusCode::OK);
  EXPECT_THAT(s.error_message(), HasSubstr(priv));
}

TEST_F(ContainerSecurityTest, BadInputIsRefusedNamingTheFieldAndLeavesNothing) {
  std::string pod = RunPod("bad");
  struct Case {
    std::string what;
    std::function<void(rt::CreateContainerRequest&)> tweak;
    grpc::StatusCode code;
    std::string mention;
  };
  const std::vector<Case> cases = {
      {"missing sandbox", [](auto& r) { r.set_pod_sandbox_id(std::string(64, 'e')); },
       grpc::StatusCode::NOT_FOUND, "eeee"},
      {"absent image",
       [](auto& r) { r.mutable_config()->mutable_image()->set_image("127.0.0.1:1/none:tag"); },
       grpc::StatusCode::NOT_FOUND, "127.0.0.1:1/none:tag"},
      {"relative container path",
       [](auto& r) {
         auto* m = r.mutable_config()->add_mounts();
         m->set_container_path("rel/path");
         m->set_host_path("/tmp");
       },
       grpc::StatusCode::INVALID_ARGUMENT, "rel/path"},
      {"bad device",
       [](auto& r) {
         auto* d = r.mutable_config()->add_devices();
         d->set_host_path("/etc/hostname");
         d->set_container_path("/dev/x");
         d->set_permissions("rw");
       },
       grpc::StatusCode::INVALID_ARGUMENT, "/etc/hostname"},
      {"unknown capability",
       [](auto& r) {
         r.mutable_config()
             ->mutable_linux()
             ->mutable_security_context()
             ->mutable_capabilities()
             ->add_add_capabilities("NOPE");
       },
       grpc::StatusCode::INVALID_ARGUMENT, "NOPE"},
      {"absolute log path", [](auto& r) { r.mutable_config()->set_log_path("/var/log/x.log"); },
       grpc::StatusCode::INVALID_ARGUMENT, "log_path"},
      {"missing name", [](auto& r) { r.mutable_config()->mutable_metadata()->set_name(""); },
       grpc::StatusCode::INVALID_ARGUMENT, "name"},
      {"privileged in unprivileged pod",
       [](auto& r) {
         r.mutable_config()->mutable_linux()->mutable_security_context()->set_privileged(true);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "privileged"},
  };
  for (const auto& c : cases) {
    rt::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod);
    *req.mutable_config() = Config("victim", {"true"});
    c.tweak(req);
    rt::CreateContainerResponse resp;
    grpc::Status s = d_->runtime().CreateContainer(Ctx().get(), req, &resp);
    EXPECT_EQ(s.error_code(), c.code) << c.what << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(c.mention)) << c.what;
  }
  // Nothing was left: no container, no directory, and the name is free.
  rt::ListContainersResponse all;
  ASSERT_TRUE(d_->runtime().ListContainers(Ctx().get(), {}, &all).ok());
  EXPECT_EQ(all.containers_size(), 0);
  std::error_code ec;
  EXPECT_TRUE(fs::is_empty(d_->dir().Sub("root/containers"), ec));
  std::string id;
  EXPECT_TRUE(Create(pod, Config("victim", {"true"}), &id).ok());
}

}  // namespace
}  // namespace berth::testing
