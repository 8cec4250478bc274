#include "pkg/ns/pinned_namespaces.h"

#include <gtest/gtest.h>

namespace berth::ns {
namespace {

TEST(PinPath, Layout) {
  EXPECT_EQ(PinPath("/run/berth", "net", "abc"), "/run/berth/ns/net/abc");
}

TEST(PinNamespaces, RefusesBadPodId) {
  for (const char* id : {"", "../x", "a/b", "a b"}) {
    auto r = PinNamespaces("/run/berth-test", id, {true, false, false, ""});
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << id;
  }
}

TEST(PinNamespaces, RefusesBadHostname) {
  auto r = PinNamespaces("/run/berth-test", "abc", {false, false, true, "bad host"});
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  r = PinNamespaces("/run/berth-test", "abc", {true, false, false, "host"});
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);  // hostname without UTS
  r = PinNamespaces("relative", "abc", {true, false, false, ""});
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
}

TEST(PinNamespaces, NothingRequestedPinsNothing) {
  auto r = PinNamespaces("/run/berth-test-nothing", "abc", {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->net.empty() && r->ipc.empty() && r->uts.empty());
}

TEST(UnpinNamespace, MissingAndEmptyAreFine) {
  EXPECT_TRUE(UnpinNamespace("").ok());
  EXPECT_TRUE(UnpinNamespace("/tmp/berth-no-such-pin-file").ok());
  EXPECT_TRUE(UnpinNamespaces({}).ok());
}

}  // namespace
}  // namespace berth::ns
