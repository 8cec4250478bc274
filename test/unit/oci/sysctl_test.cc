#include "pkg/oci/sysctl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::oci {
namespace {

using ::testing::HasSubstr;

Status V(std::map<std::string, std::string> m, bool net = true, bool ipc = true) {
  return ValidateSysctls(m, net, ipc);
}

TEST(ValidateSysctls, AcceptsNamespacedSysctls) {
  EXPECT_TRUE(V({{"net.ipv4.ip_forward", "1"},
                 {"net/ipv4/ip_local_port_range", "1024 65000"},
                 {"kernel.shmmax", "1000000"},
                 {"kernel.msgmax", "8192"},
                 {"kernel.sem", "250 32000 32 128"},
                 {"fs.mqueue.msg_max", "10"},
                 {"net.ipv4.conf.all.rp_filter", "2"}})
                  .ok());
  EXPECT_TRUE(V({}).ok());
}

TEST(ValidateSysctls, RefusesNonNamespaced) {
  Status s = V({{"kernel.panic", "1"}});
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("\"kernel.panic\""));
  EXPECT_FALSE(V({{"vm.overcommit_memory", "1"}}).ok());
  EXPECT_FALSE(V({{"kernel.hostname", "x"}}).ok());
  EXPECT_FALSE(V({{"kernel.semx", "1"}}).ok());
}

TEST(ValidateSysctls, NetNeedsOwnNetworkNamespace) {
  Status s = V({{"net.ipv4.ip_forward", "1"}}, /*net=*/false, /*ipc=*/true);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("network namespace"));
  EXPECT_THAT(s.message(), HasSubstr("net.ipv4.ip_forward"));
}

TEST(ValidateSysctls, IpcSysctlsNeedOwnIpcNamespace) {
  for (const char* k : {"kernel.shmmax", "kernel.msgmnb", "kernel.sem", "fs.mqueue.queues_max"}) {
    Status s = V({{k, "1"}}, true, false);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << k;
    EXPECT_THAT(s.message(), HasSubstr("IPC namespace")) << k;
  }
}

TEST(ValidateSysctls, RefusesSmugglingInValue) {
  Status s = V({{"net.ipv4.ip_forward", "b+c=d"}});
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("net.ipv4.ip_forward"));
  EXPECT_FALSE(V({{"net.ipv4.ip_forward", "1\nkernel.panic=1"}}).ok());
  EXPECT_FALSE(V({{"net.ipv4.ip_forward", "1\r"}}).ok());
  EXPECT_FALSE(V({{"net.ipv4.ip_forward", std::string("1\0x", 3)}}).ok());
  EXPECT_FALSE(V({{"net.ipv4.ip_forward", "1+kernel.panic"}}).ok());
}

TEST(ValidateSysctls, RefusesSmugglingInName) {
  Status s = V({{"a=b+c=d", "1"}});
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("a=b+c=d"));
  EXPECT_FALSE(V({{"net.ipv4.ip_forward=1+kernel.panic", "1"}}).ok());
  EXPECT_FALSE(V({{"net.ipv4\nkernel.panic", "1"}}).ok());
  EXPECT_FALSE(V({{"NET.ipv4.ip_forward", "1"}}).ok());
  EXPECT_FALSE(V({{"", "1"}}).ok());
}

TEST(ValidateSysctls, RefusesPathTricks) {
  EXPECT_FALSE(V({{"net/../../etc/passwd", "1"}}).ok());
  EXPECT_FALSE(V({{"net..ipv4", "1"}}).ok());
  EXPECT_FALSE(V({{"net.ipv4.", "1"}}).ok());
  EXPECT_FALSE(V({{"/net/ipv4/ip_forward", "1"}}).ok());
}

}  // namespace
}  // namespace berth::oci
