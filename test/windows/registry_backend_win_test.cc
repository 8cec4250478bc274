// The CredentialSpecs key in Wine's real registry: create, enumerate, delete,
// the stale sweep, and that foreign values survive it.
#include <windows.h>

#include <gtest/gtest.h>

#include <algorithm>

#include "pkg/platform/credential_spec_store.h"
#include "pkg/platform/windows/win32_registry_backend.h"

namespace berth::platform::win {
namespace {

constexpr std::string_view kSpec =
    R"({"CmsPlugins":["ActiveDirectory"],"DomainJoinConfig":{"DnsName":"contoso.example","Note":"caf\u00e9 \u00fc"}})";

std::string Managed(char hex) {
  return std::string(kCredentialSpecValuePrefix) + std::string(80, hex);
}

// Writes and reads values with raw Win32 calls, independently of the code under test.
struct RawKey {
  RawKey() {
    EXPECT_EQ(RegOpenKeyExW(HKEY_LOCAL_MACHINE, kCredentialSpecsSubKey, 0,
                            KEY_ALL_ACCESS | KEY_WOW64_64KEY, &key),
              ERROR_SUCCESS);
  }
  ~RawKey() { RegCloseKey(key); }
  void Set(const std::string& name, const std::wstring& data) {
    const std::wstring w = *Utf8ToWide(name);
    ASSERT_EQ(RegSetValueExW(key, w.c_str(), 0, REG_SZ, reinterpret_cast<const BYTE*>(data.c_str()),
                             static_cast<DWORD>((data.size() + 1) * sizeof(wchar_t))),
              ERROR_SUCCESS);
  }
  bool Exists(const std::string& name) {
    const std::wstring w = *Utf8ToWide(name);
    return RegQueryValueExW(key, w.c_str(), nullptr, nullptr, nullptr, nullptr) == ERROR_SUCCESS;
  }
  std::wstring Get(const std::string& name) {
    const std::wstring w = *Utf8ToWide(name);
    wchar_t buf[4096] = {};
    DWORD bytes = sizeof(buf) - sizeof(wchar_t);
    DWORD type = 0;
    if (RegQueryValueExW(key, w.c_str(), nullptr, &type, reinterpret_cast<BYTE*>(buf), &bytes) !=
        ERROR_SUCCESS) {
      return L"<absent>";
    }
    return type == REG_SZ ? std::wstring(buf) : L"<not a string>";
  }
  void Delete(const std::string& name) { RegDeleteValueW(key, Utf8ToWide(name)->c_str()); }
  HKEY key = nullptr;
};

struct RegistryFixture : ::testing::Test {
  void SetUp() override {
    auto opened = Win32RegistryBackend::Open();
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    backend = std::move(*opened);
    raw = std::make_unique<RawKey>();
  }
  void TearDown() override {
    // Leave the key empty of managed values for the next test.
    auto names = backend->EnumerateValueNames();
    if (names.ok()) {
      for (const auto& n : *names) {
        if (IsManagedValueName(n)) (void)backend->DeleteValue(n);
      }
    }
  }
  std::unique_ptr<Win32RegistryBackend> backend;
  std::unique_ptr<RawKey> raw;
};

TEST_F(RegistryFixture, CreateEnumerateReadDelete) {
  const std::string name = Managed('a');
  auto created = backend->SetStringIfAbsent(name, kSpec);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(*created);
  EXPECT_TRUE(raw->Exists(name));

  auto names = backend->EnumerateValueNames();
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_NE(std::find(names->begin(), names->end(), name), names->end());

  auto data = backend->ReadString(name);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  ASSERT_TRUE(data->has_value());
  EXPECT_EQ(**data, kSpec);

  auto deleted = backend->DeleteValue(name);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_TRUE(*deleted);
  EXPECT_FALSE(raw->Exists(name));
  auto again = backend->DeleteValue(name);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

TEST_F(RegistryFixture, StoresUtf16SoNonAsciiSurvives) {
  const std::string name = Managed('b');
  ASSERT_TRUE(backend->SetStringIfAbsent(name, "{\"n\":\"caf\xc3\xa9\"}").ok());
  EXPECT_EQ(raw->Get(name), L"{\"n\":\"caf\u00e9\"}");
}

TEST_F(RegistryFixture, ExistingValueIsNeverOverwritten) {
  const std::string name = Managed('c');
  raw->Set(name, L"original");
  auto created = backend->SetStringIfAbsent(name, kSpec);
  ASSERT_TRUE(created.ok());
  EXPECT_FALSE(*created);
  EXPECT_EQ(raw->Get(name), L"original");
}

TEST_F(RegistryFixture, ForeignNamesAreRefused) {
  for (std::string_view bad : {"DockerCredSpec", "k8s-cred-spec-abc", "..\\..\\Run"}) {
    EXPECT_EQ(backend->SetStringIfAbsent(bad, "{}").status().code(), Code::kInvalidArgument);
    EXPECT_EQ(backend->DeleteValue(bad).status().code(), Code::kInvalidArgument);
  }
}

TEST_F(RegistryFixture, StoreCreatesRandomValueAndRemovesIt) {
  MemoryAuditLogger audit;
  auto opened = Win32RegistryBackend::Open();
  ASSERT_TRUE(opened.ok());
  RegistryCredentialSpecStore store(std::move(*opened), SystemRandomSource(), audit);
  auto value = store.Create("abc123", kSpec);
  ASSERT_TRUE(value.ok()) << value.status().ToString();
  EXPECT_TRUE(IsManagedValueName(value->value_name));
  EXPECT_EQ(value->uri, "registry://" + value->value_name);
  EXPECT_TRUE(raw->Exists(value->value_name));
  ASSERT_TRUE(store.Remove("abc123", value->value_name).ok());
  EXPECT_FALSE(raw->Exists(value->value_name));
  EXPECT_TRUE(store.Remove("abc123", value->value_name).ok());  // absent: still success
  for (const auto& line : audit.Lines())
    EXPECT_EQ(line.find("DomainJoinConfig"), std::string::npos);
}

TEST_F(RegistryFixture, StaleSweepRemovesOnlyManagedNamesNotInUse) {
  const std::vector<std::string> foreign = {
      "DockerCredSpec",
      "k8s-cred-spec-" + std::string(79, 'a'),
      "k8s-cred-spec-" + std::string(80, 'A'),
      "k8s-cred-spec-" + std::string(81, 'a'),
  };
  for (const auto& n : foreign) raw->Set(n, L"{}");
  raw->Set(Managed('1'), L"{}");
  raw->Set(Managed('2'), L"{}");

  MemoryAuditLogger audit;
  auto opened = Win32RegistryBackend::Open();
  ASSERT_TRUE(opened.ok());
  RegistryCredentialSpecStore store(std::move(*opened), SystemRandomSource(), audit);
  raw->Set(Managed('3'), L"{}");  // a restored container's, not started yet
  auto removed = store.RemoveStale({Managed('3')});
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 2u);
  EXPECT_FALSE(raw->Exists(Managed('1')));
  EXPECT_FALSE(raw->Exists(Managed('2')));
  EXPECT_TRUE(raw->Exists(Managed('3')));
  raw->Delete(Managed('3'));
  for (const auto& n : foreign) {
    EXPECT_TRUE(raw->Exists(n)) << n;
    raw->Delete(n);
  }
  EXPECT_EQ(audit.Lines().size(), 2u);
}

}  // namespace
}  // namespace berth::platform::win
