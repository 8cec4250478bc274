// RegistryBackend: the only door to the Windows registry key that holds gMSA
// credential specs for container runtimes. The real one (windows/) talks to
// HKLM; FakeRegistryBackend keeps values in memory for tests on Linux.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"

namespace berth::platform {

// The key Windows container runtimes read `registry://<name>` credential specs from.
inline constexpr std::string_view kCredentialSpecsKeyPath =
    "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Virtualization\\Containers\\"
    "CredentialSpecs";

// Value names berth creates: this prefix + 80 lowercase hex characters.
inline constexpr std::string_view kCredentialSpecValuePrefix = "k8s-cred-spec-";
inline constexpr std::size_t kCredentialSpecRandomBytes = 40;

// True only for names matching ^k8s-cred-spec-[0-9a-f]{80}$: the names berth owns.
// Backends refuse to create or delete any other name.
bool IsManagedValueName(std::string_view name);

class RegistryBackend {
 public:
  virtual ~RegistryBackend() = default;

  // Human-readable key path for error and audit messages.
  virtual std::string_view KeyPath() const = 0;

  // Writes `data` as a string value named `name` only if no value of that name
  // exists. Returns true when written, false when the name was taken (the
  // existing value is left untouched).
  virtual Result<bool> SetStringIfAbsent(std::string_view name, std::string_view data) = 0;

  // Deletes the value. Returns true when deleted, false when it was already absent.
  virtual Result<bool> DeleteValue(std::string_view name) = 0;

  // Names of every value under the key (managed or not).
  virtual Result<std::vector<std::string>> EnumerateValueNames() = 0;

  // The string data of a value, or nullopt when absent.
  virtual Result<std::optional<std::string>> ReadString(std::string_view name) = 0;
};

}  // namespace berth::platform
