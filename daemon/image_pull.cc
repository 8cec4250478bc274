// PullImage: normalize the reference, then pull it once however many callers
// ask for it at the same time (single flight); the download itself is in
// image_download.cc.
#include <spdlog/spdlog.h>

#include "daemon/image_manager.h"
#include "pkg/metrics/daemon_metrics.h"
#include "pkg/registry/reference.h"

namespace berth::daemon {

namespace {

registry::AuthConfig FromCri(const runtime::v1::AuthConfig& a) {
  registry::AuthConfig c;
  c.username = a.username();
  c.password = a.password();
  c.auth = a.auth();
  c.identity_token = a.identity_token();
  c.registry_token = a.registry_token();
  return c;
}

}  // namespace

Status ImageManager::PullImage(const runtime::v1::PullImageRequest& req,
                               runtime::v1::PullImageResponse* resp) {
  std::optional<registry::AuthConfig> auth;
  if (req.has_auth()) auth = FromCri(req.auth());
  BERTH_ASSIGN_OR_RETURN(std::string id, Pull(req.image().image(), auth ? &*auth : nullptr));
  // As containerd does: the image ID, which every later call accepts.
  resp->set_image_ref(id);
  return OkStatus();
}

Result<std::string> ImageManager::Pull(std::string_view raw_ref,
                                       const registry::AuthConfig* request_auth) {
  if (raw_ref.empty()) return InvalidArgument("PullImage: image reference is empty");
  // ParseReference names the (sanitized) reference and the rule it breaks.
  BERTH_ASSIGN_OR_RETURN(registry::Reference ref, registry::ParseReference(raw_ref));

  // 1. Join a pull of the same reference with the same credentials, or lead one.
  //    (Different credentials may see different content, so they do not share.)
  std::string key = ref.String();
  if (request_auth != nullptr && !request_auth->empty()) {
    key += " " + registry::AuthFingerprint(*request_auth);
  }
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::unique_lock lock(flights_mu_);
    auto& slot = flights_[key];
    if (!slot) {
      slot = std::make_shared<Flight>();
      leader = true;
    }
    flight = slot;
    if (!leader) {
      spdlog::debug("pull {}: joining the pull in flight", ref.String());
      flight_done_.wait(lock, [&] { return flight->result.has_value(); });
      return *flight->result;
    }
  }

  // 2. Lead: pull, publish the outcome to the followers, retire the flight.
  std::atomic<uint64_t> downloaded{0};
  Result<std::string> result = PullOnce(ref, request_auth, downloaded);
  if (!result.ok()) spdlog::warn("{}", result.status().ToString());
  if (metrics_) {
    metrics_->RecordImagePull(downloaded, result.ok() ? "" : CodeName(result.status().code()));
  }
  {
    std::lock_guard lock(flights_mu_);
    flight->result = result;
    flights_.erase(key);
  }
  flight_done_.notify_all();
  return result;
}

}  // namespace berth::daemon
