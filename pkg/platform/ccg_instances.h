// CcgInstances: Container Credential Guard instances for HCS v2 containers.
// A CCG instance is a host-side broker that gives a container its gMSA
// identity; HCS keeps it until told to remove it (or until vmcompute exits),
// so every Add must be paired with a Release, even across daemon crashes.
// The instance ID is the container ID.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/platform/audit_log.h"
#include "pkg/platform/hcs_client.h"

namespace berth::platform {

enum class CcgTransport {
  kLrpc,      // process-isolated container: local RPC
  kHvSocket,  // hypervisor-isolated container: RPC over HvSocket
};

struct CcgInstance {
  std::string id;              // equals the container ID
  std::string state_json;      // "CredentialGuard" object, for the container's HCS document
  std::string hv_socket_json;  // "HvSocketConfig" object, empty when absent
};

class CcgInstances {
 public:
  virtual ~CcgInstances() = default;
  // Creates the instance for `container_id` from `spec` and returns it as HCS reports it.
  // AlreadyExists when the container already has one.
  virtual Result<CcgInstance> Add(std::string_view container_id, std::string_view spec,
                                  CcgTransport transport) = 0;
  // The instance for `container_id`, or nullopt.
  virtual Result<std::optional<CcgInstance>> Find(std::string_view container_id) = 0;
  // Every instance HCS knows about.
  virtual Result<std::vector<CcgInstance>> List() = 0;
  // Removes the container's instance; an absent instance is success.
  virtual Status Release(std::string_view container_id) = 0;
};

// Request documents (exposed for tests; they carry the spec, so never log them).
std::string CcgAddRequestJson(std::string_view id, std::string_view spec, CcgTransport transport);
std::string CcgRemoveRequestJson(std::string_view id);
std::string CcgQueryJson();
// Parses a service-properties document answering CcgQueryJson().
Result<std::vector<CcgInstance>> ParseCcgInstances(const std::string& properties_json);

class HcsCcgInstances final : public CcgInstances {
 public:
  HcsCcgInstances(std::unique_ptr<HcsClient> client, AuditLogger& audit);

  Result<CcgInstance> Add(std::string_view container_id, std::string_view spec,
                          CcgTransport transport) override;
  Result<std::optional<CcgInstance>> Find(std::string_view container_id) override;
  Result<std::vector<CcgInstance>> List() override;
  Status Release(std::string_view container_id) override;

 private:
  Result<std::optional<CcgInstance>> FindLocked(std::string_view container_id);

  // Serializes add-query-find and find-remove so two calls for one container
  // cannot interleave; HCS calls are short and in-process (no child process).
  std::mutex mu_;
  std::unique_ptr<HcsClient> client_;  // guarded by mu_
  AuditLogger& audit_;
};

}  // namespace berth::platform
