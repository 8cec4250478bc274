#include "daemon/container_record.h"
#include "daemon/internal_annotations.h"
#include "daemon/platform_hooks.h"
#include "daemon/state_json_fields.h"

#include <google/protobuf/util/json_util.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {

constexpr const char* kPrefix = kInternalAnnotationPrefix;
std::string Key(const char* name) {
  return std::string(kPrefix) + name;
}
const std::string kId = Key("container-id");
const std::string kConfig = Key("container-config");
const std::string kName = Key("container-name");
const std::string kSandbox = Key("sandbox-id");
const std::string kImageId = Key("image-id");
const std::string kImageName = Key("image-name");
const std::string kImageRef = Key("image-ref");
const std::string kCreated = Key("created-at");
const std::string kBundle = Key("bundle");
const std::string kLogPath = Key("log-path");
const std::string kRuntime = Key("runtime");
const std::string kRuntimePath = Key("runtime-path");
const std::string kRuntimeRoot = Key("runtime-root");
const std::string kStopSignal = Key("stop-signal");

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

Result<std::string> Need(const std::map<std::string, std::string>& a, const std::string& key) {
  auto it = a.find(key);
  if (it == a.end()) return InvalidArgument("annotation " + key + " is missing");
  return it->second;
}

Result<int64_t> NeedNumber(const std::map<std::string, std::string>& a, const std::string& key) {
  BERTH_ASSIGN_OR_RETURN(std::string text, Need(a, key));
  try {
    size_t used = 0;
    int64_t v = std::stoll(text, &used);
    if (used == text.size()) return v;
  } catch (...) {
  }
  return InvalidArgument("annotation " + key + " is not a number: " + text);
}

const char* StateName(rt::ContainerState s) {
  switch (s) {
    case rt::CONTAINER_CREATED:
      return "created";
    case rt::CONTAINER_RUNNING:
      return "running";
    case rt::CONTAINER_EXITED:
      return "exited";
    default:
      return "unknown";
  }
}

rt::ContainerState StateFromName(const std::string& s) {
  if (s == "created") return rt::CONTAINER_CREATED;
  if (s == "running") return rt::CONTAINER_RUNNING;
  if (s == "exited") return rt::CONTAINER_EXITED;
  return rt::CONTAINER_UNKNOWN;
}

}  // namespace

std::map<std::string, std::string> ContainerAnnotations(const Container& c) {
  std::map<std::string, std::string> out = {
      {kId, c.id},
      {kConfig, ToJson(c.config)},
      {kName, c.name},
      {kSandbox, c.sandbox_id},
      {kImageId, c.image_id},
      {kImageName, c.image_name},
      {kImageRef, c.image_ref},
      {kCreated, std::to_string(c.created_at_ns)},
      {kBundle, c.bundle_dir},
      {kLogPath, c.log_path},
      {kRuntime, c.runtime_name},
      {kRuntimePath, c.runtime_path},
      {kRuntimeRoot, c.runtime_root},
      {kStopSignal, std::to_string(c.stop_signal)},
      {"io.kubernetes.cri.container-type", "container"},
      {"io.kubernetes.cri.container-name", c.config.metadata().name()},
      {"io.kubernetes.cri.sandbox-id", c.sandbox_id},
      {"io.kubernetes.cri.image-name", c.image_name},
  };
  out.insert(c.platform_annotations.begin(), c.platform_annotations.end());
  return out;
}

Result<std::shared_ptr<Container>> ContainerFromAnnotations(
    const std::map<std::string, std::string>& a) {
  auto c = std::make_shared<Container>();
  BERTH_ASSIGN_OR_RETURN(c->id, Need(a, kId));
  BERTH_ASSIGN_OR_RETURN(std::string config_json, Need(a, kConfig));
  if (auto parsed = google::protobuf::util::JsonStringToMessage(config_json, &c->config);
      !parsed.ok()) {
    return InvalidArgument("annotation " + kConfig +
                           " is not a ContainerConfig: " + std::string(parsed.message()));
  }
  BERTH_ASSIGN_OR_RETURN(c->name, Need(a, kName));
  BERTH_ASSIGN_OR_RETURN(c->sandbox_id, Need(a, kSandbox));
  BERTH_ASSIGN_OR_RETURN(c->image_id, Need(a, kImageId));
  BERTH_ASSIGN_OR_RETURN(c->image_name, Need(a, kImageName));
  BERTH_ASSIGN_OR_RETURN(c->image_ref, Need(a, kImageRef));
  BERTH_ASSIGN_OR_RETURN(c->created_at_ns, NeedNumber(a, kCreated));
  BERTH_ASSIGN_OR_RETURN(c->bundle_dir, Need(a, kBundle));
  BERTH_ASSIGN_OR_RETURN(c->log_path, Need(a, kLogPath));
  BERTH_ASSIGN_OR_RETURN(c->runtime_name, Need(a, kRuntime));
  BERTH_ASSIGN_OR_RETURN(c->runtime_path, Need(a, kRuntimePath));
  BERTH_ASSIGN_OR_RETURN(c->runtime_root, Need(a, kRuntimeRoot));
  BERTH_ASSIGN_OR_RETURN(int64_t signal, NeedNumber(a, kStopSignal));
  c->stop_signal = static_cast<int>(signal);
  c->resources = c->config.linux().resources();
  c->platform_annotations = PlatformAnnotationsOf(a);
  return c;
}

std::string ContainerStateJson(const Container& c) {
  nlohmann::json j = {
      {"state", StateName(c.state)},
      {"pid", c.pid},
      {"started_at", c.started_at_ns},
      {"finished_at", c.finished_at_ns},
      {"exit_code", c.exit_code},
      {"reason", c.reason},
      {"message", c.message},
      {"resources", nlohmann::json::parse(ToJson(c.resources), nullptr, false)},
  };
  return j.dump();
}

Status ApplyContainerStateJson(const std::string& text, Container* c) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("state file is not a JSON object");
  // Everything is read first and assigned at the end: a bad member leaves *c as it was.
  std::string state;
  BERTH_RETURN_IF_ERROR(ReadStringField(j, "state", &state));
  const rt::ContainerState parsed_state = StateFromName(state);
  if (parsed_state == rt::CONTAINER_UNKNOWN) {
    return InvalidArgument("\"state\" is not created, running or exited");
  }
  int64_t pid = 0, started = 0, finished = 0, exit_code = 0;
  constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();
  BERTH_RETURN_IF_ERROR(ReadIntField(j, "pid", 0, kMaxStatePid, &pid));
  BERTH_RETURN_IF_ERROR(ReadIntField(j, "started_at", 0, kMaxTime, &started));
  BERTH_RETURN_IF_ERROR(ReadIntField(j, "finished_at", 0, kMaxTime, &finished));
  BERTH_RETURN_IF_ERROR(ReadIntField(j, "exit_code", std::numeric_limits<int32_t>::min(),
                                     std::numeric_limits<int32_t>::max(), &exit_code));
  std::string reason, message;
  BERTH_RETURN_IF_ERROR(ReadStringField(j, "reason", &reason));
  BERTH_RETURN_IF_ERROR(ReadStringField(j, "message", &message));
  std::optional<rt::LinuxContainerResources> resources;
  if (auto it = j.find("resources"); it != j.end()) {
    rt::LinuxContainerResources r;
    if (!it->is_object() || !google::protobuf::util::JsonStringToMessage(it->dump(), &r).ok()) {
      return InvalidArgument("\"resources\" is not LinuxContainerResources");
    }
    resources = std::move(r);
  }
  c->state = parsed_state;
  c->pid = static_cast<int>(pid);
  c->started_at_ns = started;
  c->finished_at_ns = finished;
  c->exit_code = static_cast<int32_t>(exit_code);
  c->reason = std::move(reason);
  c->message = std::move(message);
  if (resources) c->resources = std::move(*resources);
  return OkStatus();
}

Status ApplyProcessUser(const nlohmann::json& process, Container* c) {
  if (!process.is_object()) return InvalidArgument("\"process\" is not an object");
  auto user = process.find("user");
  if (user == process.end()) return OkStatus();
  if (!user->is_object()) return InvalidArgument("\"process.user\" is not an object");
  // IDs are uint32 in the OCI spec.
  constexpr int64_t kMaxId = std::numeric_limits<uint32_t>::max();
  int64_t uid = 0, gid = 0;
  std::vector<int64_t> gids;
  BERTH_RETURN_IF_ERROR(ReadIntField(*user, "uid", 0, kMaxId, &uid).WithContext("process.user"));
  BERTH_RETURN_IF_ERROR(ReadIntField(*user, "gid", 0, kMaxId, &gid).WithContext("process.user"));
  BERTH_RETURN_IF_ERROR(
      ReadIntListField(*user, "additionalGids", 0, kMaxId, &gids).WithContext("process.user"));
  c->uid = uid;
  c->gid = gid;
  c->supplemental_gids = std::move(gids);
  return OkStatus();
}

void RecordProcessUser(const nlohmann::json& process, Container* c) {
  // Only used on a spec berth has just built, whose types are right.
  (void)ApplyProcessUser(process, c);
}

}  // namespace berth::daemon
