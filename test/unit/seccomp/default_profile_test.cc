#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/seccomp/libseccomp_names.h"
#include "pkg/seccomp/profile_parser.h"
#include "pkg/seccomp/seccomp_profile.h"
#include "test/unit/seccomp/plain_allowed.h"

namespace berth::seccomp {
namespace {

using nlohmann::json;
using test_support::PlainAllowed;
using ::testing::ElementsAre;

// Every rule naming `name`.
std::vector<json> RulesFor(const json& profile, const std::string& name) {
  std::vector<json> out;
  for (const json& rule : profile["syscalls"]) {
    for (const json& n : rule["names"]) {
      if (n == name) out.push_back(rule);
    }
  }
  return out;
}

TEST(RuntimeDefaultProfileTest, IsAWellFormedOciSeccompObject) {
  const json profile = RuntimeDefaultProfile({});
  EXPECT_EQ(profile["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(profile["defaultErrnoRet"], 1);
  ASSERT_TRUE(profile["syscalls"].is_array());
  ASSERT_FALSE(profile["syscalls"].empty());
  for (const json& rule : profile["syscalls"]) {
    ASSERT_TRUE(rule["names"].is_array()) << rule;
    EXPECT_FALSE(rule["names"].empty()) << rule;
    EXPECT_TRUE(IsKnownAction(rule["action"].get<std::string>())) << rule;
    for (const json& arg : rule.value("args", json::array())) {
      EXPECT_LE(arg["index"].get<unsigned>(), 5u);
      EXPECT_TRUE(arg["value"].is_number_unsigned());
      EXPECT_TRUE(arg["valueTwo"].is_number_unsigned());
      EXPECT_TRUE(IsKnownOperator(arg["op"].get<std::string>())) << arg;
    }
  }
}

TEST(RuntimeDefaultProfileTest, PassesTheLocalhostValidatorUnchanged) {
  // The strict parser accepts exactly what runc is given: known names,
  // actions, arches and operators, in the OCI field names.
  for (const std::vector<std::string>& caps :
       {std::vector<std::string>{}, std::vector<std::string>{"CAP_ALL"}}) {
    const json profile = RuntimeDefaultProfile(caps);
    Result<json> converted = ConvertProfile(profile, HostContext(CapabilitySet()));
    ASSERT_TRUE(converted.ok()) << converted.status().ToString();
    EXPECT_EQ(*converted, profile);
  }
}

TEST(RuntimeDefaultProfileTest, CoversNativeAndCompatArchitectures) {
  const json profile = RuntimeDefaultProfile({});
  const std::string native = NativeArchName();
  ASSERT_FALSE(native.empty());
  ASSERT_TRUE(profile["architectures"].is_array());
  EXPECT_EQ(profile["architectures"][0], native);
  if (native == "SCMP_ARCH_X86_64") {
    EXPECT_THAT(profile["architectures"].get<std::vector<std::string>>(),
                ElementsAre("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"));
  } else if (native == "SCMP_ARCH_AARCH64") {
    EXPECT_THAT(profile["architectures"].get<std::vector<std::string>>(),
                ElementsAre("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"));
  }
}

TEST(RuntimeDefaultProfileTest, AllowsOrdinarySyscalls) {
  const std::set<std::string> allowed = PlainAllowed(RuntimeDefaultProfile({}));
  for (const char* name :
       {"read",   "write",      "openat",       "close",      "execve",  "mmap",    "futex",
        "getpid", "exit_group", "rt_sigaction", "epoll_wait", "accept4", "sendmsg", "mkdir",
        "wait4",  "getrandom",  "prctl",        "statx",      "fork",    "vfork"}) {
    EXPECT_TRUE(allowed.count(name)) << name;
  }
}

TEST(RuntimeDefaultProfileTest, RefusesPrivilegedSyscallsWithoutCapabilities) {
  const json profile = RuntimeDefaultProfile({});
  for (const char* name : {"keyctl",
                           "add_key",
                           "request_key",
                           "bpf",
                           "kexec_load",
                           "kexec_file_load",
                           "open_by_handle_at",
                           "mount",
                           "umount2",
                           "unshare",
                           "setns",
                           "ptrace",
                           "process_vm_readv",
                           "process_vm_writev",
                           "init_module",
                           "finit_module",
                           "delete_module",
                           "reboot",
                           "swapon",
                           "swapoff",
                           "settimeofday",
                           "clock_settime",
                           "acct",
                           "iopl",
                           "ioperm",
                           "syslog",
                           "perf_event_open",
                           "chroot",
                           "io_uring_setup",
                           "userfaultfd",
                           "uselib",
                           "pivot_root",
                           "fsopen",
                           "move_mount",
                           "sethostname",
                           "vhangup",
                           "mbind",
                           "kcmp"}) {
    for (const json& rule : RulesFor(profile, name)) {
      EXPECT_NE(rule["action"], "SCMP_ACT_ALLOW") << name << " allowed by " << rule;
    }
  }
}

TEST(RuntimeDefaultProfileTest, RestrictsCloneToNoNamespaceFlagsWithoutSysAdmin) {
  const json profile = RuntimeDefaultProfile({});
  const std::vector<json> clone = RulesFor(profile, "clone");
  ASSERT_EQ(clone.size(), 1u);
  EXPECT_EQ(clone[0]["action"], "SCMP_ACT_ALLOW");
  EXPECT_EQ(clone[0]["names"], json::array({"clone"}));
  ASSERT_EQ(clone[0]["args"].size(), 1u);
  const json& arg = clone[0]["args"][0];
  EXPECT_EQ(arg["op"], "SCMP_CMP_MASKED_EQ");
  // NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
  EXPECT_EQ(arg["value"], 0x7E020000u);
  EXPECT_EQ(arg["valueTwo"], 0u);

  const std::vector<json> clone3 = RulesFor(profile, "clone3");
  ASSERT_EQ(clone3.size(), 1u);
  EXPECT_EQ(clone3[0]["action"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(clone3[0]["errnoRet"], 38);  // ENOSYS: libc falls back to clone
}

TEST(RuntimeDefaultProfileTest, RestrictsPersonalityToOrdinaryValues) {
  std::set<uint64_t> values;
  for (const json& rule : RulesFor(RuntimeDefaultProfile({}), "personality")) {
    EXPECT_EQ(rule["action"], "SCMP_ACT_ALLOW");
    ASSERT_EQ(rule["args"].size(), 1u);
    EXPECT_EQ(rule["args"][0]["op"], "SCMP_CMP_EQ");
    values.insert(rule["args"][0]["value"].get<uint64_t>());
  }
  EXPECT_EQ(values, (std::set<uint64_t>{0x0, 0x8, 0x20000, 0x20008, 0xffffffff}));
}

TEST(RuntimeDefaultProfileTest, AllowsSocketExceptVsock) {
  const std::vector<json> socket = RulesFor(RuntimeDefaultProfile({}), "socket");
  ASSERT_EQ(socket.size(), 1u);
  EXPECT_EQ(socket[0]["args"][0]["op"], "SCMP_CMP_NE");
  EXPECT_EQ(socket[0]["args"][0]["value"], 40u);  // AF_VSOCK
}

TEST(RuntimeDefaultProfileTest, CapSysAdminOpensNamespacesAndMounts) {
  const json profile = RuntimeDefaultProfile({"CAP_SYS_ADMIN"});
  const std::set<std::string> allowed = PlainAllowed(profile);
  for (const char* name : {"mount", "umount2", "unshare", "setns", "clone", "clone3", "pivot_root",
                           "sethostname", "bpf", "perf_event_open", "syslog"}) {
    EXPECT_TRUE(allowed.count(name)) << name;
  }
  // clone and clone3 only in the plain allow rule: no argument filter, no ENOSYS.
  EXPECT_EQ(RulesFor(profile, "clone").size(), 1u);
  EXPECT_EQ(RulesFor(profile, "clone3").size(), 1u);
  // Still never allowed.
  for (const char* name : {"keyctl", "kexec_load", "swapon", "ptrace", "init_module"}) {
    EXPECT_FALSE(allowed.count(name)) << name;
  }
}

struct CapabilityCase {
  const char* capability;
  std::vector<const char*> syscalls;
};

class CapabilityGatingTest : public ::testing::TestWithParam<CapabilityCase> {};

TEST_P(CapabilityGatingTest, SyscallsAllowedOnlyWithTheCapability) {
  const std::set<std::string> without = PlainAllowed(RuntimeDefaultProfile({}));
  const std::set<std::string> with = PlainAllowed(RuntimeDefaultProfile({GetParam().capability}));
  for (const char* name : GetParam().syscalls) {
    if (!IsKnownSyscall(name)) continue;  // dropped by design when libseccomp lacks it
    EXPECT_FALSE(without.count(name)) << name;
    EXPECT_TRUE(with.count(name)) << name << " with " << GetParam().capability;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Capabilities, CapabilityGatingTest,
    ::testing::Values(
        CapabilityCase{"CAP_SYS_PTRACE",
                       {"ptrace", "process_vm_readv", "process_vm_writev", "kcmp"}},
        CapabilityCase{"CAP_SYS_MODULE", {"init_module", "finit_module", "delete_module"}},
        CapabilityCase{"CAP_SYS_BOOT", {"reboot"}},
        CapabilityCase{"CAP_SYS_TIME", {"settimeofday", "clock_settime"}},
        CapabilityCase{"CAP_SYS_NICE", {"mbind", "set_mempolicy", "get_mempolicy"}},
        CapabilityCase{"CAP_SYSLOG", {"syslog"}}, CapabilityCase{"CAP_SYS_PACCT", {"acct"}},
        CapabilityCase{"CAP_SYS_RAWIO", {"iopl", "ioperm"}}, CapabilityCase{"CAP_BPF", {"bpf"}},
        CapabilityCase{"CAP_PERFMON", {"perf_event_open"}},
        CapabilityCase{"CAP_SYS_CHROOT", {"chroot"}},
        CapabilityCase{"CAP_SYS_TTY_CONFIG", {"vhangup"}},
        CapabilityCase{"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}}),
    [](const ::testing::TestParamInfo<CapabilityCase>& info) {
      return std::string(info.param.capability);
    });

TEST(RuntimeDefaultProfileTest, AcceptsCapabilityNamesWithoutPrefixInAnyCase) {
  EXPECT_TRUE(PlainAllowed(RuntimeDefaultProfile({"sys_ptrace"})).count("ptrace"));
  EXPECT_TRUE(PlainAllowed(RuntimeDefaultProfile({"SYS_ADMIN"})).count("mount"));
}

TEST(RuntimeDefaultProfileTest, NamesOnlySyscallsTheLocalLibseccompKnows) {
  const json profile = RuntimeDefaultProfile({"CAP_ALL"});
  for (const json& rule : profile["syscalls"]) {
    for (const json& name : rule["names"]) {
      EXPECT_TRUE(IsKnownSyscall(name.get<std::string>())) << name;
    }
  }
}

}  // namespace
}  // namespace berth::seccomp
