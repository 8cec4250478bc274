#include "pkg/platform/listen_endpoint.h"

#include <gtest/gtest.h>

namespace berth::platform {
namespace {

TEST(ListenEndpointTest, WindowsAcceptsNamedPipes) {
  EXPECT_TRUE(IsValidListenEndpoint("npipe:////./pipe/berth", TargetPlatform::kWindows));
  EXPECT_TRUE(IsValidListenEndpoint("npipe:////./pipe/berth-cri_1.x", TargetPlatform::kWindows));
  EXPECT_EQ(*NamedPipePath("npipe:////./pipe/berth"), "\\\\.\\pipe\\berth");
}

TEST(ListenEndpointTest, WindowsRejectsEverythingElse) {
  for (std::string_view bad :
       {"", "/run/berth/berth.sock", "unix:///run/berth.sock", "npipe:////./pipe/",
        "npipe://./pipe/berth", "npipe:////./pipe/a/b", "npipe:////./pipe/a\\b",
        "npipe:////./pipe/a\nb", "tcp://127.0.0.1:1234"}) {
    Status s = ValidateListenEndpoint(bad, TargetPlatform::kWindows);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(
      IsValidListenEndpoint("npipe:////./pipe/" + std::string(257, 'x'), TargetPlatform::kWindows));
  EXPECT_FALSE(NamedPipePath("/run/berth.sock").ok());
}

TEST(ListenEndpointTest, LinuxAcceptsAbsoluteSocketPaths) {
  EXPECT_TRUE(IsValidListenEndpoint("/run/berth/berth.sock", TargetPlatform::kLinux));
  EXPECT_TRUE(IsValidListenEndpoint("unix:///run/berth/berth.sock", TargetPlatform::kLinux));
  for (std::string_view bad : {"", "berth.sock", "unix://rel.sock", "npipe:////./pipe/berth",
                               "/run/berth/", "/run/\x01.sock"}) {
    EXPECT_FALSE(IsValidListenEndpoint(bad, TargetPlatform::kLinux)) << bad;
  }
  EXPECT_FALSE(IsValidListenEndpoint("/" + std::string(200, 'x'), TargetPlatform::kLinux));
}

TEST(ListenEndpointTest, ErrorNamesTheEndpoint) {
  Status s = ValidateListenEndpoint("tcp://x", TargetPlatform::kWindows);
  EXPECT_NE(s.message().find("tcp://x"), std::string::npos);
  EXPECT_NE(s.message().find("npipe"), std::string::npos);
}

}  // namespace
}  // namespace berth::platform
