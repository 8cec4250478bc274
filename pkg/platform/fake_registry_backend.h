// FakeRegistryBackend: an in-memory stand-in for the CredentialSpecs key, for
// tests on Linux. Applies the same name rules as the real backend and can be
// told to fail the next write or delete.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "pkg/platform/registry_backend.h"

namespace berth::platform {

class FakeRegistryBackend final : public RegistryBackend {
 public:
  std::string_view KeyPath() const override { return kCredentialSpecsKeyPath; }
  Result<bool> SetStringIfAbsent(std::string_view name, std::string_view data) override;
  Result<bool> DeleteValue(std::string_view name) override;
  Result<std::vector<std::string>> EnumerateValueNames() override;
  Result<std::optional<std::string>> ReadString(std::string_view name) override;

  // Test hooks.
  // Puts a value in place without the name rules (another program's value).
  void Seed(std::string name, std::string data);
  void FailNextSet(Status status);
  void FailNextDelete(Status status);
  std::map<std::string, std::string> Values() const;
  int set_calls() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> values_;  // guarded by mu_
  std::optional<Status> fail_next_set_;        // guarded by mu_
  std::optional<Status> fail_next_delete_;     // guarded by mu_
  int set_calls_ = 0;                          // guarded by mu_
};

// A backend that forwards to `registry`, so the registry outlives a store
// (the host's registry across a daemon crash and restart, in tests).
std::unique_ptr<RegistryBackend> ForwardingTo(std::shared_ptr<FakeRegistryBackend> registry);

}  // namespace berth::platform
