// PodSandboxStatus and ListPodSandbox: answered from memory under the shared
// lock, never waiting on a runtime or CNI call.
#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "daemon/label_selector.h"
#include "daemon/server.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {

// Copies what both the status and the list entry show. Caller holds the lock.
void FillCommon(const Sandbox& s, rt::PodSandboxState state, rt::PodSandbox* out) {
  out->set_id(s.id);
  *out->mutable_metadata() = s.config.metadata();
  out->set_state(state);
  out->set_created_at(s.created_at_ns);
  *out->mutable_labels() = s.config.labels();
  *out->mutable_annotations() = s.config.annotations();
  out->set_runtime_handler(s.runtime_name);
}

}  // namespace

Status Server::PodSandboxStatus(const rt::PodSandboxStatusRequest& req,
                                rt::PodSandboxStatusResponse* resp) {
  if (req.pod_sandbox_id().empty()) return InvalidArgument("pod_sandbox_id is required");
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Sandbox> s, sandboxes_.Get(req.pod_sandbox_id()));
  sandboxes_.Read([&] {
    rt::PodSandboxStatus* st = resp->mutable_status();
    rt::PodSandbox common;
    FillCommon(*s, s->state, &common);
    st->set_id(common.id());
    *st->mutable_metadata() = common.metadata();
    st->set_state(common.state());
    st->set_created_at(common.created_at());
    *st->mutable_labels() = common.labels();
    *st->mutable_annotations() = common.annotations();
    st->set_runtime_handler(common.runtime_handler());
    if (!s->ips.empty()) {
      st->mutable_network()->set_ip(s->ips[0]);
      for (size_t i = 1; i < s->ips.size(); ++i) {
        st->mutable_network()->add_additional_ips()->set_ip(s->ips[i]);
      }
    }
    *st->mutable_linux()->mutable_namespaces()->mutable_options() =
        s->config.linux().security_context().namespace_options();
    if (!req.verbose()) return;
    std::string config_json;
    google::protobuf::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(s->config, &config_json, opts);
    nlohmann::json info = {
        {"runtime",
         {{"name", s->runtime_name},
          {"path", s->runtime_path},
          {"root", s->runtime_root},
          {"trust", s->trust},
          {"reason", s->route_reason}}},
        {"pid", s->pid},
        {"netns_path", s->netns_path},
        {"bundle", s->bundle_dir},
        {"stage", s->stage},
        {"config", nlohmann::json::parse(config_json, nullptr, false)},
    };
    // The pod resources of the last UpdatePodSandboxResources, as recorded.
    for (const auto& [key, value] :
         {std::pair{"overhead", &s->overhead}, std::pair{"resources", &s->resources}}) {
      if (!value->has_value()) continue;
      std::string text;
      (void)google::protobuf::util::MessageToJsonString(**value, &text, opts);
      info[key] = nlohmann::json::parse(text, nullptr, false);
    }
    (*resp->mutable_info())["info"] = info.dump();
  });
  return OkStatus();
}

std::vector<std::shared_ptr<Sandbox>> Server::ListCandidates(const rt::PodSandboxFilter& f) {
  std::string id_filter;
  if (!f.id().empty()) {
    Result<std::shared_ptr<Sandbox>> one = sandboxes_.Get(f.id());
    if (!one.ok()) return {};  // a filter that matches nothing lists nothing
    id_filter = (*one)->id;
  }
  std::vector<std::shared_ptr<Sandbox>> all = sandboxes_.List();
  // IDs and labels are fixed at creation: no lock needed to look.
  std::erase_if(all, [&](const std::shared_ptr<Sandbox>& s) {
    return (!id_filter.empty() && s->id != id_filter) ||
           !LabelsMatch(f.label_selector(), s->config.labels());
  });
  return all;
}

namespace {
// The rest of the filter. Caller holds the store's lock.
bool Listed(const Sandbox& s, const rt::PodSandboxFilter& f) {
  if (!s.stage.empty()) return false;  // still being created: not there yet
  return !f.has_state() || f.state().state() == s.state;
}
}  // namespace

Status Server::ListPodSandbox(const rt::ListPodSandboxRequest& req,
                              rt::ListPodSandboxResponse* resp) {
  std::vector<std::shared_ptr<Sandbox>> all = ListCandidates(req.filter());
  resp->mutable_items()->Reserve(static_cast<int>(all.size()));  // as ListContainers
  sandboxes_.Read([&] {
    for (const auto& s : all) {
      if (Listed(*s, req.filter())) FillCommon(*s, s->state, resp->add_items());
    }
  });
  return OkStatus();
}

Status Server::ListPodSandboxEncoded(const rt::ListPodSandboxRequest& req, std::string* encoded) {
  std::vector<std::shared_ptr<Sandbox>> all = ListCandidates(req.filter());
  sandboxes_.Read([&] {
    for (const auto& s : all) {
      if (!Listed(*s, req.filter())) continue;
      s->list_entry.AppendTo<rt::PodSandbox>(
          s->state, rt::ListPodSandboxResponse::kItemsFieldNumber, encoded,
          [&](rt::PodSandbox* entry) { FillCommon(*s, s->state, entry); });
    }
  });
  return OkStatus();
}

}  // namespace berth::daemon
