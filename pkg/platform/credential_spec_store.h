// CredentialSpecStore: hands a gMSA credential spec to a Windows container
// runtime through the registry, the way the kubelet's Windows runtime did:
// the JSON spec becomes a string value under the CredentialSpecs key and the
// runtime is told `credentialspec=registry://<value name>`. The value only has
// to live until the container has started.
#pragma once

#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "pkg/base/status.h"
#include "pkg/platform/audit_log.h"
#include "pkg/platform/random_source.h"
#include "pkg/platform/registry_backend.h"

namespace berth::platform {

struct CredentialSpecValue {
  std::string value_name;  // k8s-cred-spec-<80 hex>
  std::string uri;         // registry://<value_name>, what the runtime reads
};

class CredentialSpecStore {
 public:
  virtual ~CredentialSpecStore() = default;

  // Validates `spec` (JSON object, within the registry's value size limit) and
  // stores it under a fresh random name. Never overwrites an existing value.
  virtual Result<CredentialSpecValue> Create(std::string_view container_id,
                                             std::string_view spec) = 0;

  // Removes a value created by Create. Removing an absent value succeeds.
  virtual Status Remove(std::string_view container_id, std::string_view value_name) = 0;

  // Removes every managed value left behind (by a crash) except those named in
  // `in_use`, the values of restored containers not started yet, which their
  // start still needs; returns how many it removed. Values whose names do not
  // match the managed pattern are never touched.
  virtual Result<std::size_t> RemoveStale(const std::set<std::string>& in_use) = 0;
};

// Registry value data limit we enforce, in bytes of UTF-16 including the
// terminating NUL. Microsoft's "Registry element size limits" page documents a
// value's data as limited by available memory in the latest hive format and
// 1 MB in the standard format; we take the portable bound of 1 MB (1,048,576
// bytes). Specs are a few hundred bytes in practice.
inline constexpr std::size_t kMaxRegistryValueDataBytes = 1024 * 1024;

// How many fresh names Create tries before giving up on collisions.
inline constexpr int kMaxValueNameAttempts = 8;

// Bytes the spec occupies as REG_SZ data (UTF-16 plus terminator), or
// InvalidArgument when `utf8` is not valid UTF-8.
Result<std::size_t> RegistryStringDataBytes(std::string_view utf8);

// InvalidArgument unless `spec` is one JSON object within the size limit.
// Messages never quote the spec.
Status ValidateCredentialSpec(std::string_view spec);

// InvalidArgument unless `id` is 1-128 characters of [A-Za-z0-9_.-].
Status ValidateContainerId(std::string_view id);

// The real store: any RegistryBackend (Win32 on Windows, the fake in tests).
class RegistryCredentialSpecStore final : public CredentialSpecStore {
 public:
  RegistryCredentialSpecStore(std::unique_ptr<RegistryBackend> backend,
                              std::unique_ptr<RandomSource> random, AuditLogger& audit);

  Result<CredentialSpecValue> Create(std::string_view container_id, std::string_view spec) override;
  Status Remove(std::string_view container_id, std::string_view value_name) override;
  Result<std::size_t> RemoveStale(const std::set<std::string>& in_use) override;

  RegistryBackend& backend() { return *backend_; }

 private:
  Result<std::string> NewValueName();
  Result<bool> DeleteAudited(std::string_view op, std::string_view container_id,
                             std::string_view value_name);

  std::unique_ptr<RegistryBackend> backend_;
  std::unique_ptr<RandomSource> random_;
  AuditLogger& audit_;
};

}  // namespace berth::platform
