// FakeHcsClient: understands the CCG requests HcsCcgInstances sends, keeps
// instances in memory and records every call, for tests on Linux. Shares its
// state through a shared_ptr so a test keeps a handle after handing the client
// over (and a "restarted daemon" can see the instances a crashed one left).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pkg/platform/hcs_client.h"

namespace berth::platform {

struct FakeHcsCall {
  std::string operation;  // "AddInstance", "RemoveInstance" or "Query"
  std::string id;
  std::string transport;
  std::string raw_json;
};

class FakeHcsState {
 public:
  std::vector<FakeHcsCall> Calls() const;
  std::map<std::string, std::string> Instances() const;  // id -> transport
  void FailNextModify(Status status);
  // The next add succeeds but the instance does not show up in queries.
  void HideNextAdd();

 private:
  friend class FakeHcsClient;
  mutable std::mutex mu_;
  std::vector<FakeHcsCall> calls_;                // guarded by mu_
  std::map<std::string, std::string> instances_;  // guarded by mu_
  std::map<std::string, std::string> hidden_;     // guarded by mu_
  std::optional<Status> fail_next_modify_;        // guarded by mu_
  bool hide_next_add_ = false;                    // guarded by mu_
};

class FakeHcsClient final : public HcsClient {
 public:
  explicit FakeHcsClient(std::shared_ptr<FakeHcsState> state) : state_(std::move(state)) {}
  Status ModifyServiceSettings(const std::string& request_json) override;
  Result<std::string> GetServiceProperties(const std::string& query_json) override;

 private:
  std::shared_ptr<FakeHcsState> state_;
};

}  // namespace berth::platform
