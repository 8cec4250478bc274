// ContainerStatus and ListContainers: answered from memory under the shared
// lock, never waiting on a runtime call (verbose status also reads the
// container's config.json).
#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "daemon/label_selector.h"
#include "daemon/server.h"
#include "pkg/fs/atomic_file.h"

namespace berth::daemon {

namespace rt = runtime::v1;

namespace {

// Caller holds the store's lock.
void FillListEntry(const Container& c, rt::Container* out) {
  out->set_id(c.id);
  out->set_pod_sandbox_id(c.sandbox_id);
  *out->mutable_metadata() = c.config.metadata();
  out->mutable_image()->set_image(c.image_name);
  out->mutable_image()->set_user_specified_image(c.config.image().image());
  out->set_image_ref(c.image_ref);
  out->set_image_id(c.image_id);
  out->set_state(c.state);
  out->set_created_at(c.created_at_ns);
  *out->mutable_labels() = c.config.labels();
  *out->mutable_annotations() = c.config.annotations();
}

}  // namespace

Result<std::shared_ptr<Container>> Server::CreatedContainer(const std::string& id) {
  if (id.empty()) return InvalidArgument("container_id is required");
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, containers_.Get(id));
  // Not there yet for clients (as ListContainers hides it) until created.
  if (std::string stage = containers_.Read([&] { return c->stage; }); !stage.empty()) {
    return NotFound("container " + c->id + " is still being created (stage: " + stage + ")");
  }
  return c;
}

Status Server::ContainerStatus(const rt::ContainerStatusRequest& req,
                               rt::ContainerStatusResponse* resp) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<Container> c, CreatedContainer(req.container_id()));
  int pid = 0;
  containers_.Read([&] {
    const Container& k = *c;
    rt::ContainerStatus* st = resp->mutable_status();
    st->set_id(k.id);
    *st->mutable_metadata() = k.config.metadata();
    st->set_state(k.state);
    st->set_created_at(k.created_at_ns);
    st->set_started_at(k.started_at_ns);
    st->set_finished_at(k.finished_at_ns);
    st->set_exit_code(k.exit_code);
    st->mutable_image()->set_image(k.image_name);
    st->mutable_image()->set_user_specified_image(k.config.image().image());
    st->set_image_ref(k.image_ref);
    st->set_image_id(k.image_id);
    st->set_reason(k.reason);
    st->set_message(k.message);
    *st->mutable_labels() = k.config.labels();
    *st->mutable_annotations() = k.config.annotations();
    *st->mutable_mounts() = k.config.mounts();
    st->set_log_path(k.log_path);
    *st->mutable_resources()->mutable_linux() = k.resources;
    rt::LinuxContainerUser* user = st->mutable_user()->mutable_linux();
    user->set_uid(k.uid);
    user->set_gid(k.gid);
    for (int64_t g : k.supplemental_gids) user->add_supplemental_groups(g);
    st->set_stop_signal(static_cast<rt::Signal>(k.stop_signal));
    pid = k.pid;
  });
  if (!req.verbose()) return OkStatus();
  // The shape crictl inspect prints: pid, sandbox, runtime and the spec.
  Result<std::string> spec_text = ReadFile(c->bundle_dir + "/config.json");
  nlohmann::json info = {
      {"sandboxID", c->sandbox_id},
      {"pid", pid},
      {"name", c->name},
      {"bundle", c->bundle_dir},
      {"runtime",
       {{"name", c->runtime_name}, {"path", c->runtime_path}, {"root", c->runtime_root}}},
      {"runtimeSpec", spec_text.ok() ? nlohmann::json::parse(*spec_text, nullptr, false)
                                     : nlohmann::json(nullptr)},
  };
  (*resp->mutable_info())["info"] = info.dump();
  return OkStatus();
}

std::vector<std::shared_ptr<Container>> Server::ListCandidates(const rt::ContainerFilter& f) {
  std::string id_filter, sandbox_filter;
  if (!f.id().empty()) {
    Result<std::shared_ptr<Container>> one = containers_.Get(f.id());
    if (!one.ok()) return {};  // a filter that matches nothing lists nothing
    id_filter = (*one)->id;
  }
  if (!f.pod_sandbox_id().empty()) {
    Result<std::shared_ptr<Sandbox>> pod = sandboxes_.Get(f.pod_sandbox_id());
    if (!pod.ok()) return {};
    sandbox_filter = (*pod)->id;
  }
  std::vector<std::shared_ptr<Container>> all = containers_.List();
  // IDs, pods and labels are fixed at creation: no lock needed to look.
  std::erase_if(all, [&](const std::shared_ptr<Container>& c) {
    return (!id_filter.empty() && c->id != id_filter) ||
           (!sandbox_filter.empty() && c->sandbox_id != sandbox_filter) ||
           !LabelsMatch(f.label_selector(), c->config.labels());
  });
  return all;
}

namespace {
// The rest of the filter. Caller holds the store's lock.
bool Listed(const Container& c, const rt::ContainerFilter& f) {
  if (!c.stage.empty()) return false;  // still being created: not there yet
  return !f.has_state() || f.state().state() == c.state;
}
}  // namespace

Status Server::ListContainers(const rt::ListContainersRequest& req,
                              rt::ListContainersResponse* resp) {
  std::vector<std::shared_ptr<Container>> all = ListCandidates(req.filter());
  // Room for every entry at once: growing the array step by step costs a
  // reallocation (and, for glibc, a consolidation of freed chunks) per step.
  resp->mutable_containers()->Reserve(static_cast<int>(all.size()));
  containers_.Read([&] {
    for (const auto& c : all) {
      if (Listed(*c, req.filter())) FillListEntry(*c, resp->add_containers());
    }
  });
  return OkStatus();
}

Status Server::ListContainersEncoded(const rt::ListContainersRequest& req, std::string* encoded) {
  std::vector<std::shared_ptr<Container>> all = ListCandidates(req.filter());
  containers_.Read([&] {
    for (const auto& c : all) {
      if (!Listed(*c, req.filter())) continue;
      c->list_entry.AppendTo<rt::Container>(
          c->state, rt::ListContainersResponse::kContainersFieldNumber, encoded,
          [&](rt::Container* entry) { FillListEntry(*c, entry); });
    }
  });
  return OkStatus();
}

}  // namespace berth::daemon
