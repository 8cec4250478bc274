#include "daemon/sandbox_record.h"
#include "daemon/internal_annotations.h"
#include "daemon/state_json_fields.h"

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>
#include <optional>

namespace berth::daemon {

namespace {

constexpr const char* kPrefix = kInternalAnnotationPrefix;
const std::string kConfig = std::string(kPrefix) + "sandbox-config";
const std::string kName = std::string(kPrefix) + "sandbox-name";
const std::string kCreated = std::string(kPrefix) + "created-at";
const std::string kRuntime = std::string(kPrefix) + "runtime";
const std::string kRuntimePath = std::string(kPrefix) + "runtime-path";
const std::string kRuntimeRoot = std::string(kPrefix) + "runtime-root";
const std::string kTrust = std::string(kPrefix) + "trust";
const std::string kReason = std::string(kPrefix) + "route-reason";
const std::string kBundle = std::string(kPrefix) + "bundle";
const std::string kNetns = std::string(kPrefix) + "netns";
const std::string kIpcns = std::string(kPrefix) + "ipcns";
const std::string kUtsns = std::string(kPrefix) + "utsns";
const std::string kShm = std::string(kPrefix) + "shm";
const std::string kId = std::string(kPrefix) + "sandbox-id";

Result<std::string> Need(const std::map<std::string, std::string>& a, const std::string& key) {
  auto it = a.find(key);
  if (it == a.end()) return InvalidArgument("annotation " + key + " is missing");
  return it->second;
}

std::string Optional(const std::map<std::string, std::string>& a, const std::string& key) {
  auto it = a.find(key);
  return it == a.end() ? "" : it->second;
}

// Pod resources are kept in their CRI JSON form (field names as in the proto).
nlohmann::json ResourcesToJson(const runtime::v1::LinuxContainerResources& r) {
  std::string text;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(r, &text, opts);
  return nlohmann::json::parse(text, nullptr, false);
}

Result<std::optional<runtime::v1::LinuxContainerResources>> ResourcesFromJson(
    const nlohmann::json& state, const std::string& key) {
  if (!state.contains(key)) return std::optional<runtime::v1::LinuxContainerResources>();
  runtime::v1::LinuxContainerResources r;
  auto parsed = google::protobuf::util::JsonStringToMessage(state[key].dump(), &r);
  if (!parsed.ok()) {
    return InvalidArgument("state file: \"" + key +
                           "\" is not LinuxContainerResources: " + std::string(parsed.message()));
  }
  return std::optional<runtime::v1::LinuxContainerResources>(std::move(r));
}

}  // namespace

std::map<std::string, std::string> SandboxAnnotations(const Sandbox& s) {
  std::string config_json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(s.config, &config_json, opts);
  return {
      {kId, s.id},
      {kConfig, config_json},
      {kName, s.name},
      {kCreated, std::to_string(s.created_at_ns)},
      {kRuntime, s.runtime_name},
      {kRuntimePath, s.runtime_path},
      {kRuntimeRoot, s.runtime_root},
      {kTrust, s.trust},
      {kReason, s.route_reason},
      {kBundle, s.bundle_dir},
      {kNetns, s.netns_path},
      {kIpcns, s.ipcns_path},
      {kUtsns, s.utsns_path},
      {kShm, s.shm_path},
      // The names other CRI tools and runtimes look for.
      {"io.kubernetes.cri.container-type", "sandbox"},
      {"io.kubernetes.cri.sandbox-id", s.id},
      {"io.kubernetes.cri.sandbox-name", s.config.metadata().name()},
      {"io.kubernetes.cri.sandbox-namespace", s.config.metadata().namespace_()},
      {"io.kubernetes.cri.sandbox-uid", s.config.metadata().uid()},
  };
}

Result<std::shared_ptr<Sandbox>> SandboxFromAnnotations(
    const std::map<std::string, std::string>& a) {
  auto s = std::make_shared<Sandbox>();
  BERTH_ASSIGN_OR_RETURN(s->id, Need(a, kId));
  BERTH_ASSIGN_OR_RETURN(std::string config_json, Need(a, kConfig));
  auto parsed = google::protobuf::util::JsonStringToMessage(config_json, &s->config);
  if (!parsed.ok()) {
    return InvalidArgument("annotation " + kConfig +
                           " is not a PodSandboxConfig: " + std::string(parsed.message()));
  }
  BERTH_ASSIGN_OR_RETURN(s->name, Need(a, kName));
  BERTH_ASSIGN_OR_RETURN(std::string created, Need(a, kCreated));
  try {
    s->created_at_ns = std::stoll(created);
  } catch (...) {
    return InvalidArgument("annotation " + kCreated + " is not a number: " + created);
  }
  BERTH_ASSIGN_OR_RETURN(s->runtime_name, Need(a, kRuntime));
  BERTH_ASSIGN_OR_RETURN(s->runtime_path, Need(a, kRuntimePath));
  BERTH_ASSIGN_OR_RETURN(s->runtime_root, Need(a, kRuntimeRoot));
  BERTH_ASSIGN_OR_RETURN(s->trust, Need(a, kTrust));
  BERTH_ASSIGN_OR_RETURN(s->bundle_dir, Need(a, kBundle));
  s->route_reason = Optional(a, kReason);
  s->netns_path = Optional(a, kNetns);
  s->ipcns_path = Optional(a, kIpcns);
  s->utsns_path = Optional(a, kUtsns);
  s->shm_path = Optional(a, kShm);
  return s;
}

std::string SandboxStateJson(const Sandbox& s) {
  nlohmann::json j = {
      {"state", s.state == runtime::v1::SANDBOX_READY ? "ready" : "notready"},
      {"pid", s.pid},
      {"ips", s.ips},
      {"network_attached", s.network_attached},
  };
  if (s.overhead) j["overhead"] = ResourcesToJson(*s.overhead);
  if (s.resources) j["resources"] = ResourcesToJson(*s.resources);
  return j.dump();
}

Status ApplySandboxStateJson(const std::string& text, Sandbox* s) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("state file is not a JSON object");
  // Everything is read first and assigned at the end: a bad member leaves *s as it was.
  std::string state = "notready";
  BERTH_RETURN_IF_ERROR(ReadStringField(j, "state", &state));
  if (state != "ready" && state != "notready") {
    return InvalidArgument("\"state\" is neither \"ready\" nor \"notready\"");
  }
  int64_t pid = 0;
  BERTH_RETURN_IF_ERROR(ReadIntField(j, "pid", 0, kMaxStatePid, &pid));
  std::vector<std::string> ips;
  BERTH_RETURN_IF_ERROR(ReadStringListField(j, "ips", &ips));
  bool network_attached = false;
  BERTH_RETURN_IF_ERROR(ReadBoolField(j, "network_attached", &network_attached));
  BERTH_ASSIGN_OR_RETURN(auto overhead, ResourcesFromJson(j, "overhead"));
  BERTH_ASSIGN_OR_RETURN(auto resources, ResourcesFromJson(j, "resources"));
  s->state = state == "ready" ? runtime::v1::SANDBOX_READY : runtime::v1::SANDBOX_NOTREADY;
  s->pid = static_cast<int>(pid);
  s->ips = std::move(ips);
  s->network_attached = network_attached;
  s->overhead = std::move(overhead);
  s->resources = std::move(resources);
  return OkStatus();
}

}  // namespace berth::daemon
