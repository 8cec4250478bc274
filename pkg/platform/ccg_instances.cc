#include "pkg/platform/ccg_instances.h"

#include <exception>
#include <nlohmann/json.hpp>

#include "pkg/platform/credential_spec_store.h"

namespace berth::platform {
namespace {

using nlohmann::json;

// HCS schema names (schema 2.1+): ModificationRequest{PropertyType, Settings},
// ContainerCredentialGuardOperationRequest{Operation, OperationDetails}.
constexpr std::string_view kPropertyType = "ContainerCredentialGuard";
constexpr std::string_view kAuditKey = "HCS:ContainerCredentialGuard";

std::string ModificationJson(std::string_view operation, json details) {
  json doc = {
      {"PropertyType", kPropertyType},
      {"Settings", {{"Operation", operation}, {"OperationDetails", std::move(details)}}},
  };
  return doc.dump();
}

}  // namespace

std::string CcgAddRequestJson(std::string_view id, std::string_view spec, CcgTransport transport) {
  return ModificationJson("AddInstance",
                          {{"Id", id},
                           {"CredentialSpec", spec},
                           {"Transport", transport == CcgTransport::kLrpc ? "LRPC" : "HvSocket"}});
}

std::string CcgRemoveRequestJson(std::string_view id) {
  return ModificationJson("RemoveInstance", {{"Id", id}});
}

std::string CcgQueryJson() {
  return json{{"PropertyTypes", {kPropertyType}}}.dump();
}

Result<std::vector<CcgInstance>> ParseCcgInstances(const std::string& properties_json) {
  try {
    const json doc = json::parse(properties_json, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
      return Internal("HCS service properties: not a JSON object");
    }
    // One entry per requested property type; we ask for exactly one.
    const auto props = doc.find("Properties");
    if (props == doc.end() || !props->is_array() || props->size() != 1) {
      return Internal("HCS service properties: expected exactly one Properties entry");
    }
    const json& info = (*props)[0];
    std::vector<CcgInstance> out;
    if (!info.is_object()) return Internal("HCS service properties: entry is not an object");
    const auto instances = info.find("Instances");
    if (instances == info.end() || instances->is_null()) return out;  // none running
    if (!instances->is_array()) return Internal("HCS service properties: Instances not an array");
    for (const json& item : *instances) {
      if (!item.is_object()) continue;
      const auto id = item.find("Id");
      if (id == item.end() || !id->is_string()) continue;
      CcgInstance inst;
      inst.id = id->get<std::string>();
      if (auto it = item.find("CredentialGuard"); it != item.end()) inst.state_json = it->dump();
      if (auto it = item.find("HvSocketConfig"); it != item.end() && !it->is_null()) {
        inst.hv_socket_json = it->dump();
      }
      out.push_back(std::move(inst));
    }
    return out;
  } catch (const std::exception& e) {
    return Internal(std::string("HCS service properties: ") + e.what());
  }
}

HcsCcgInstances::HcsCcgInstances(std::unique_ptr<HcsClient> client, AuditLogger& audit)
    : client_(std::move(client)), audit_(audit) {}

Result<std::vector<CcgInstance>> HcsCcgInstances::List() {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(std::string props, client_->GetServiceProperties(CcgQueryJson()));
  return ParseCcgInstances(props);
}

Result<std::optional<CcgInstance>> HcsCcgInstances::FindLocked(std::string_view container_id) {
  BERTH_ASSIGN_OR_RETURN(std::string props, client_->GetServiceProperties(CcgQueryJson()));
  BERTH_ASSIGN_OR_RETURN(std::vector<CcgInstance> all, ParseCcgInstances(props));
  for (CcgInstance& inst : all) {
    if (inst.id == container_id) return std::optional<CcgInstance>(std::move(inst));
  }
  return std::optional<CcgInstance>();
}

Result<std::optional<CcgInstance>> HcsCcgInstances::Find(std::string_view container_id) {
  BERTH_RETURN_IF_ERROR(ValidateContainerId(container_id));
  std::lock_guard lock(mu_);
  return FindLocked(container_id);
}

Result<CcgInstance> HcsCcgInstances::Add(std::string_view container_id, std::string_view spec,
                                         CcgTransport transport) {
  BERTH_RETURN_IF_ERROR(ValidateContainerId(container_id));
  const std::string ctx = "container " + std::string(container_id) + ": CCG instance";
  if (Status s = ValidateCredentialSpec(spec); !s.ok()) return s.WithContext(ctx);
  std::lock_guard lock(mu_);

  // 1. Refuse to stack a second instance on one container.
  BERTH_ASSIGN_OR_RETURN(std::optional<CcgInstance> existing, FindLocked(container_id));
  if (existing) return AlreadyExists(ctx + " already exists");

  // 2. Ask HCS to create it.
  Status added = client_->ModifyServiceSettings(CcgAddRequestJson(container_id, spec, transport));
  audit_.Record({"ccg-add", kAuditKey, container_id, container_id,
                 added.ok() ? "ok" : CodeName(added.code())});
  if (!added.ok()) return added.WithContext(ctx + " add");

  // 3. HCS does not answer with the instance: find it among the running ones.
  Result<std::optional<CcgInstance>> found = FindLocked(container_id);
  if (found.ok() && *found) return std::move(**found);

  // Created but not visible (or the query failed): release so nothing leaks.
  Status undo = client_->ModifyServiceSettings(CcgRemoveRequestJson(container_id));
  audit_.Record({"ccg-release", kAuditKey, container_id, container_id,
                 undo.ok() ? "ok" : CodeName(undo.code())});
  if (!found.ok()) return found.status().WithContext(ctx + " query after add");
  return Internal(ctx + " was added but HCS does not list it");
}

Status HcsCcgInstances::Release(std::string_view container_id) {
  BERTH_RETURN_IF_ERROR(ValidateContainerId(container_id));
  const std::string ctx = "container " + std::string(container_id) + ": CCG instance";
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(std::optional<CcgInstance> existing, FindLocked(container_id));
  if (!existing) {
    audit_.Record({"ccg-release", kAuditKey, container_id, container_id, "absent"});
    return OkStatus();
  }
  Status removed = client_->ModifyServiceSettings(CcgRemoveRequestJson(container_id));
  audit_.Record({"ccg-release", kAuditKey, container_id, container_id,
                 removed.ok() ? "ok" : CodeName(removed.code())});
  if (!removed.ok()) return removed.WithContext(ctx + " release");
  return OkStatus();
}

}  // namespace berth::platform
