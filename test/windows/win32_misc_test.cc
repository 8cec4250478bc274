// Windows-only pieces: error text, conversions, BCrypt randomness, the
// platform factory and the HCS client's behaviour where vmcompute.dll is absent.
#include <windows.h>

#include <gtest/gtest.h>

#include <vector>

#include "pkg/platform/listen_endpoint.h"
#include "pkg/platform/platform.h"
#include "pkg/platform/windows/hcs_client_windows.h"
#include "pkg/platform/windows/win32_error.h"

namespace berth::platform::win {
namespace {

TEST(Win32ErrorTest, FormatMessageTextAndCode) {
  const std::string text = Win32ErrorText(ERROR_ACCESS_DENIED);
  EXPECT_NE(text.find("(error 5)"), std::string::npos) << text;
  EXPECT_GT(text.size(), std::string("(error 5)").size() + 3)
      << text;  // has words, not just a code
  Status s = Win32Error("registry key X: set value y", ERROR_ACCESS_DENIED);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message().rfind("registry key X: set value y: ", 0), 0u) << s.message();
}

TEST(Win32ErrorTest, StrictUtfConversions) {
  EXPECT_EQ(*Utf8ToWide("caf\xc3\xa9"), L"caf\u00e9");
  EXPECT_EQ(*WideToUtf8(L"caf\u00e9"), "caf\xc3\xa9");
  EXPECT_FALSE(Utf8ToWide("\xff").ok());
  const wchar_t lone_surrogate[] = {0xd800, 0};
  EXPECT_FALSE(WideToUtf8(lone_surrogate).ok());
}

TEST(PlatformWindowsTest, BcryptRandomFills) {
  auto random = SystemRandomSource();
  std::vector<std::uint8_t> a(64), b(64);
  ASSERT_TRUE(random->Fill(a).ok());
  ASSERT_TRUE(random->Fill(b).ok());
  EXPECT_NE(a, b);
}

TEST(PlatformWindowsTest, FactoryGivesRealServices) {
  EXPECT_TRUE(GmsaSupported());
  EXPECT_EQ(HostPlatform(), TargetPlatform::kWindows);
  MemoryAuditLogger audit;
  auto services = MakePlatformServices(audit);
  ASSERT_TRUE(services.ok()) << services.status().ToString();
  auto value = services->credential_specs->Create("abc", R"({"a":1})");
  ASSERT_TRUE(value.ok()) << value.status().ToString();
  EXPECT_TRUE(services->credential_specs->Remove("abc", value->value_name).ok());
}

// Wine ships no vmcompute.dll; a real Windows host without the Containers
// feature behaves the same. CCG must then fail cleanly, naming the DLL.
TEST(PlatformWindowsTest, CcgWithoutVmcomputeIsFailedPrecondition) {
  HMODULE probe = LoadLibraryExW(L"vmcompute.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
  const bool host_has_hcs = probe != nullptr;
  if (probe != nullptr) FreeLibrary(probe);
  auto client = LoadVmcomputeHcsClient();
  if (host_has_hcs) {  // a real Windows host with the Containers feature
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return;
  }
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(client.status().message().find("vmcompute.dll"), std::string::npos);

  MemoryAuditLogger audit;
  auto services = MakePlatformServices(audit);
  ASSERT_TRUE(services.ok());
  auto inst = services->ccg_instances->Add("abc", R"({"a":1})", CcgTransport::kLrpc);
  EXPECT_EQ(inst.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(inst.status().message().find("vmcompute.dll"), std::string::npos);
}

}  // namespace
}  // namespace berth::platform::win
