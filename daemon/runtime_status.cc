// Status and RuntimeConfig: readiness conditions and the cgroup driver.
#include <unistd.h>

#include "daemon/server.h"

namespace berth::daemon {

namespace {

bool IsExecutable(const std::string& path) {
  return access(path.c_str(), X_OK) == 0;
}

// RuntimeReady needs conmon and every configured OCI runtime binary.
void CheckRuntime(const config::Config& c, runtime::v1::RuntimeCondition* cond) {
  cond->set_type("RuntimeReady");
  cond->set_status(true);
  std::string missing;
  if (!IsExecutable(c.conmon)) missing = "conmon (" + c.conmon + ")";
  for (const auto& [name, r] : c.runtimes) {
    if (!IsExecutable(r.path)) {
      missing += (missing.empty() ? "" : ", ") + ("runtime " + name + " (" + r.path + ")");
    }
  }
  if (missing.empty()) return;
  cond->set_status(false);
  cond->set_reason("RuntimeBinaryMissing");
  cond->set_message("not executable: " + missing);
}

// NetworkReady follows the watched CNI conf dir.
void CheckNetwork(const cni::NetworkStatus& net, runtime::v1::RuntimeCondition* cond) {
  cond->set_type("NetworkReady");
  cond->set_status(net.ready);
  if (net.ready) return;
  cond->set_reason("NetworkPluginNotReady");
  cond->set_message(net.reason);
}

}  // namespace

Status Server::RuntimeStatus(const runtime::v1::StatusRequest& req,
                             runtime::v1::StatusResponse* resp) {
  CheckRuntime(config_, resp->mutable_status()->add_conditions());
  CheckNetwork(network_->GetStatus(), resp->mutable_status()->add_conditions());
  for (const auto& [name, r] : config_.runtimes) {
    runtime::v1::RuntimeHandler* h = resp->add_runtime_handlers();
    h->set_name(name);
    // Reported as probed: a runtime that did not answer `features` claims nothing.
    auto f = features_.find(name);
    if (f == features_.end()) continue;
    h->mutable_features()->set_recursive_read_only_mounts(f->second.recursive_read_only);
    h->mutable_features()->set_user_namespaces(f->second.user_namespaces && f->second.idmap_mounts);
  }
  if (req.verbose()) {
    (*resp->mutable_info())["config"] = config::ToJson(config_);
    // What the specs are built within, as probed at start-up.
    nlohmann::json node = node_.ToJson();
    for (const auto& [name, f] : features_) {
      nlohmann::json raw = nlohmann::json::parse(f.raw, nullptr, false);
      node["runtime_features"][name] = raw.is_discarded() ? nlohmann::json(f.raw) : raw;
    }
    for (const auto& [name, r] : config_.runtimes) {
      auto id = runtime_ids_.find(r.path);
      if (id == runtime_ids_.end()) continue;
      node["runtimes"][name] = {{"kind", oci::RuntimeKindName(id->second.kind)},
                                {"version", id->second.version},
                                {"features_reported", features_.count(name) > 0}};
    }
    (*resp->mutable_info())["node"] = node.dump();
  }
  return OkStatus();
}

Status Server::RuntimeConfig(const runtime::v1::RuntimeConfigRequest&,
                             runtime::v1::RuntimeConfigResponse* resp) {
  resp->mutable_linux()->set_cgroup_driver(SystemdCgroups() ? runtime::v1::CgroupDriver::SYSTEMD
                                                            : runtime::v1::CgroupDriver::CGROUPFS);
  return OkStatus();
}

}  // namespace berth::daemon
