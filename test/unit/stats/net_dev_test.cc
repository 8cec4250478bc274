#include "pkg/stats/net_dev.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace berth::stats {
namespace {

// A pod's /proc/<pid>/net/dev as the kernel writes it; the counters of eth0
// are wide enough to touch the colon.
constexpr char kPodNetDev[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo:     560       8    0    0    0     0          0         0      560       8    0    "
    "0    0     0       0          0\n"
    "  eth0:12345678901   91532    3    0    0     0          0         0   826414    6104    "
    "7    0    0     0       0          0\n"
    "  net1:    1296      16    0    2    0     0          0         0      656       8    0    "
    "0    0     0       0          0\n";

TEST(ParseNetDevTest, ReadsEveryInterfaceInOrder) {
  Result<std::vector<InterfaceStats>> got = ParseNetDev(kPodNetDev);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].name, "lo");
  const InterfaceStats& eth0 = (*got)[1];
  EXPECT_EQ(eth0.name, "eth0");
  EXPECT_EQ(eth0.rx_bytes, 12345678901u);
  EXPECT_EQ(eth0.rx_errors, 3u);
  EXPECT_EQ(eth0.tx_bytes, 826414u);
  EXPECT_EQ(eth0.tx_errors, 7u);
  const InterfaceStats& net1 = (*got)[2];
  EXPECT_EQ(net1.name, "net1");
  EXPECT_EQ(net1.rx_bytes, 1296u);
  EXPECT_EQ(net1.rx_errors, 0u);  // the 2 is drops, not errors
  EXPECT_EQ(net1.tx_bytes, 656u);
}

TEST(ParseNetDevTest, AMalformedLineIsAnError) {
  Result<std::vector<InterfaceStats>> got = ParseNetDev("  eth0: 1 2 3\n");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(got.status().message(), ::testing::HasSubstr("eth0: 1 2 3"));
  EXPECT_FALSE(ParseNetDev(": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n").ok());  // no name
}

TEST(ReadNetDevTest, OwnNamespaceHasLoopback) {
  Result<std::vector<InterfaceStats>> got = ReadNetDev(getpid());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  bool lo = false;
  for (const auto& i : *got) lo = lo || i.name == "lo";
  EXPECT_TRUE(lo);
  EXPECT_FALSE(ReadNetDev(0).ok());
}

}  // namespace
}  // namespace berth::stats
