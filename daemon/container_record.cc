#include "daemon/internal_annotations.h"
#include "daemon/container_record.h"

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {

constexpr const char* kPrefix = kInternalAnnotationPrefix;
std::string Key(const char* name) { return std::string(kPrefix) + name; }
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
    case rt::CONTAINER_CREATED: return "created";
    case rt::CONTAINER_RUNNING: return "running";
    case rt::CONTAINER_EXITED: return "exited";
    default: return "unknown";
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
  return {
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
}

Result<std::shared_ptr<Container>> ContainerFromAnnotations(
    const std::map<std::string, std::string>& a) {
  auto c = std::make_shared<Container>();
  BERTH_ASSIGN_OR_RETURN(c->id, Need(a, kId));
  BERTH_ASSIGN_OR_RETURN(std::string config_json, Need(a, kConfig));
  if (auto parsed = google::protobuf::util::JsonStringToMessage(config_json, &c->config);
      !parsed.ok()) {
    return InvalidArgument("annotation " + kConfig + " is not a ContainerConfig: " +
                           std::string(parsed.message()));
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
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("state file is not JSON");
  try {
    c->state = StateFromName(j.value("state", ""));
    c->pid = j.value("pid", 0);
    c->started_at_ns = j.value("started_at", int64_t{0});
    c->finished_at_ns = j.value("finished_at", int64_t{0});
    c->exit_code = j.value("exit_code", 0);
    c->reason = j.value("reason", "");
    c->message = j.value("message", "");
    if (j.contains("resources") && j["resources"].is_object()) {
      rt::LinuxContainerResources r;
      if (google::protobuf::util::JsonStringToMessage(j["resources"].dump(), &r).ok()) {
        c->resources = r;
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("state file has a field of the wrong type: ") + e.what());
  }
  return OkStatus();
}

void RecordProcessUser(const nlohmann::json& process, Container* c) {
  const nlohmann::json user = process.value("user", nlohmann::json::object());
  c->uid = user.value("uid", int64_t{0});
  c->gid = user.value("gid", int64_t{0});
  c->supplemental_gids = user.value("additionalGids", std::vector<int64_t>{});
}

}  // namespace berth::daemon
