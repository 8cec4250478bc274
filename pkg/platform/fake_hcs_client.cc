#include "pkg/platform/fake_hcs_client.h"

#include <nlohmann/json.hpp>

namespace berth::platform {

using nlohmann::json;

std::vector<FakeHcsCall> FakeHcsState::Calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

std::map<std::string, std::string> FakeHcsState::Instances() const {
  std::lock_guard lock(mu_);
  return instances_;
}

void FakeHcsState::FailNextModify(Status status) {
  std::lock_guard lock(mu_);
  fail_next_modify_ = std::move(status);
}

void FakeHcsState::HideNextAdd() {
  std::lock_guard lock(mu_);
  hide_next_add_ = true;
}

Status FakeHcsClient::ModifyServiceSettings(const std::string& request_json) {
  const json doc = json::parse(request_json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || doc.value("PropertyType", "") != "ContainerCredentialGuard" ||
      !doc.contains("Settings") || !doc["Settings"].is_object()) {
    return InvalidArgument("fake HCS: malformed modification request");
  }
  const json& settings = doc["Settings"];
  FakeHcsCall call;
  call.operation = settings.value("Operation", "");
  call.raw_json = request_json;
  if (settings.contains("OperationDetails") && settings["OperationDetails"].is_object()) {
    call.id = settings["OperationDetails"].value("Id", "");
    call.transport = settings["OperationDetails"].value("Transport", "");
  }
  auto& s = *state_;
  std::lock_guard lock(s.mu_);
  s.calls_.push_back(call);
  if (s.fail_next_modify_) {
    Status failed = std::move(*s.fail_next_modify_);
    s.fail_next_modify_.reset();
    return failed;
  }
  if (call.operation == "AddInstance") {
    if (s.instances_.contains(call.id) || s.hidden_.contains(call.id)) {
      return AlreadyExists("fake HCS: instance " + call.id + " exists");
    }
    auto& target = s.hide_next_add_ ? s.hidden_ : s.instances_;
    s.hide_next_add_ = false;
    target[call.id] = call.transport;
    return OkStatus();
  }
  if (call.operation == "RemoveInstance") {
    if (s.instances_.erase(call.id) + s.hidden_.erase(call.id) == 0) {
      return NotFound("fake HCS: no instance " + call.id);
    }
    return OkStatus();
  }
  return InvalidArgument("fake HCS: unknown operation " + call.operation);
}

Result<std::string> FakeHcsClient::GetServiceProperties(const std::string& query_json) {
  auto& s = *state_;
  std::lock_guard lock(s.mu_);
  s.calls_.push_back({"Query", "", "", query_json});
  json instances = json::array();
  for (const auto& [id, transport] : s.instances_) {
    json inst = {{"Id", id},
                 {"CredentialGuard",
                  {{"Cookie", "00ff"}, {"RpcEndpoint", "ep-" + id}, {"Transport", transport}}}};
    if (transport == "HvSocket") inst["HvSocketConfig"] = {{"ServiceId", "svc-" + id}};
    instances.push_back(std::move(inst));
  }
  json info = json::object();
  info["Instances"] = std::move(instances);
  json doc = json::object();
  doc["Properties"] = json::array({std::move(info)});
  return doc.dump();
}

}  // namespace berth::platform
