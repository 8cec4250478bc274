// Win32RegistryBackend: the CredentialSpecs key in HKLM's 64-bit view, via the
// Reg*W APIs. The key is fixed; value names outside the managed pattern are
// refused for writes and deletes, so this class cannot be pointed elsewhere.
#pragma once

#include <memory>

#include "pkg/platform/registry_backend.h"
#include "pkg/platform/windows/win32_error.h"

namespace berth::platform::win {

class Win32RegistryBackend final : public RegistryBackend {
 public:
  // Opens (creating if missing) the CredentialSpecs key. Needs administrator rights.
  static Result<std::unique_ptr<Win32RegistryBackend>> Open();

  std::string_view KeyPath() const override { return kCredentialSpecsKeyPath; }
  Result<bool> SetStringIfAbsent(std::string_view name, std::string_view data) override;
  Result<bool> DeleteValue(std::string_view name) override;
  Result<std::vector<std::string>> EnumerateValueNames() override;
  Result<std::optional<std::string>> ReadString(std::string_view name) override;

 private:
  explicit Win32RegistryBackend(UniqueHkey key) : key_(std::move(key)) {}
  Status Fail(std::string_view what, std::string_view name, LSTATUS code) const;

  UniqueHkey key_;  // immutable after Open; the Reg* calls are thread-safe
};

// The key path below HKLM, as the W APIs want it.
inline constexpr wchar_t kCredentialSpecsSubKey[] =
    L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Virtualization\\Containers\\"
    L"CredentialSpecs";

}  // namespace berth::platform::win
