// Sub-protocol lists, negotiation and remote-command versions. The server's
// use of them over HTTP (403, repeated headers) is in stream_server_test.cc.
#include "pkg/streaming/protocol.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::streaming {
namespace {

using Strings = std::vector<std::string>;

TEST(ProtocolTest, SplitsCommaSeparatedAndRepeatedValues) {
  EXPECT_EQ(SplitProtocolList({"v4.channel.k8s.io, v3.channel.k8s.io", "channel.k8s.io"}),
            (Strings{"v4.channel.k8s.io", "v3.channel.k8s.io", "channel.k8s.io"}));
  EXPECT_EQ(SplitProtocolList({" \ta ,, b\t", "", ",", "c"}), (Strings{"a", "b", "c"}));
  EXPECT_EQ(SplitProtocolList({}), Strings{});
}

TEST(ProtocolTest, ClientOrderWins) {
  const Strings& ours = SpdyRemoteCommandProtocols();
  // We list v5 first; a client that prefers v2 gets v2.
  EXPECT_EQ(Negotiate({"v2.channel.k8s.io", "v5.channel.k8s.io"}, ours), "v2.channel.k8s.io");
  EXPECT_EQ(Negotiate({"v9.channel.k8s.io", "v3.channel.k8s.io", "v4.channel.k8s.io"}, ours),
            "v3.channel.k8s.io");
}

TEST(ProtocolTest, NothingInCommonIsNothing) {
  EXPECT_EQ(Negotiate({"v9.channel.k8s.io", "SPDY/3.1"}, SpdyRemoteCommandProtocols()),
            std::nullopt);
  EXPECT_EQ(Negotiate({}, SpdyRemoteCommandProtocols()), std::nullopt);
  // Port-forward and exec protocols are not interchangeable.
  EXPECT_EQ(Negotiate({"v4.channel.k8s.io"}, SpdyPortForwardProtocols()), std::nullopt);
  EXPECT_EQ(Negotiate({"portforward.k8s.io"}, SpdyRemoteCommandProtocols()), std::nullopt);
  // Matching is exact.
  EXPECT_EQ(Negotiate({"V4.CHANNEL.K8S.IO"}, SpdyRemoteCommandProtocols()), std::nullopt);
}

TEST(ProtocolTest, WeSpeakWhatTheKubeletOffers) {
  EXPECT_EQ(SpdyRemoteCommandProtocols(),
            (Strings{"v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io",
                     "v2.channel.k8s.io", "channel.k8s.io"}));
  EXPECT_EQ(SpdyPortForwardProtocols(), Strings{"portforward.k8s.io"});
}

TEST(ProtocolTest, RemoteCommandVersionOfEachProtocol) {
  EXPECT_EQ(RemoteCommandVersion("v5.channel.k8s.io"), 5);
  EXPECT_EQ(RemoteCommandVersion("v4.channel.k8s.io"), 4);
  EXPECT_EQ(RemoteCommandVersion("v3.channel.k8s.io"), 3);
  EXPECT_EQ(RemoteCommandVersion("v2.channel.k8s.io"), 2);
  EXPECT_EQ(RemoteCommandVersion("channel.k8s.io"), 1);
  EXPECT_EQ(RemoteCommandVersion("base64.channel.k8s.io"), 1);
}

}  // namespace
}  // namespace berth::streaming
