// PullImage: normalize the reference, then pull it once however many callers
// ask for it at the same time (single flight); the download itself is in
// image_download.cc.
//
// Cancellation: each flight's pull runs on its own thread, and every caller,
// the first one included, only waits for it. A caller whose RPC is cancelled
// or passes its deadline stops waiting at once and answers Cancelled or
// DeadlineExceeded; the pull goes on while any caller still waits, and is
// cancelled (its partial downloads and unpacks removed) when the last one
// leaves. A cancelled flight is taken out of the map at once, so a later
// pull of the same image starts afresh instead of joining a dying one.
#include <spdlog/spdlog.h>

#include <thread>

#include "daemon/call_context.h"
#include "daemon/image_manager.h"
#include "daemon/validate.h"
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

// How often a waiting caller looks at its own cancellation: gRPC's sync server
// cannot notify, so the caller's token is polled.
constexpr auto kCancelPoll = std::chrono::milliseconds(20);

}  // namespace

Status ImageManager::PullImage(const runtime::v1::PullImageRequest& req,
                               runtime::v1::PullImageResponse* resp, const CancelToken& cancel) {
  if (req.has_auth()) BERTH_RETURN_IF_ERROR(CheckAuthConfig(req.auth()));
  std::optional<registry::AuthConfig> auth;
  if (req.has_auth()) auth = FromCri(req.auth());
  BERTH_ASSIGN_OR_RETURN(std::string id,
                         Pull(req.image().image(), auth ? &*auth : nullptr, cancel));
  // As containerd does: the image ID, which every later call accepts.
  resp->set_image_ref(id);
  return OkStatus();
}

Result<std::string> ImageManager::Pull(std::string_view raw_ref,
                                       const registry::AuthConfig* request_auth,
                                       const CancelToken& cancel) {
  if (raw_ref.empty()) return InvalidArgument("PullImage: image reference is empty");
  // ParseReference names the (sanitized) reference and the rule it breaks.
  BERTH_ASSIGN_OR_RETURN(registry::Reference ref, registry::ParseReference(raw_ref));

  // 1. Join a pull of the same reference with the same credentials, or start one.
  //    (Different credentials may see different content, so they do not share.)
  std::string key = ref.String();
  if (request_auth != nullptr && !request_auth->empty()) {
    key += " " + registry::AuthFingerprint(*request_auth);
  }
  std::unique_lock lock(flights_mu_);
  std::shared_ptr<Flight>& slot = flights_[key];
  if (slot) {
    spdlog::debug("pull {}: joining the pull in flight", ref.String());
  } else {
    slot = std::make_shared<Flight>();
    StartFlight(key, slot, ref, request_auth);
  }
  std::shared_ptr<Flight> flight = slot;

  // 2. Wait for the outcome, or for this caller to give up. Meanwhile the
  //    call is at whatever step the download is (for the slow-call log).
  ++flight->waiters;
  while (!flight_done_.wait_for(lock, kCancelPoll, [&] { return flight->result.has_value(); })) {
    const std::string step = flight->progress->step();
    CallStep(step.empty() ? "wait for the pull (single flight)" : step);
    if (!cancel.cancelled()) continue;
    // The last caller to leave cancels the pull; nobody joins it after that.
    if (--flight->waiters == 0) {
      spdlog::info("pull {}: every caller left; cancelling the download", ref.String());
      flight->cancel.Cancel();
      if (auto it = flights_.find(key); it != flights_.end() && it->second == flight) {
        flights_.erase(it);
      }
    }
    return cancel.Check("pull " + ref.String());
  }
  --flight->waiters;
  return *flight->result;
}

void ImageManager::StartFlight(const std::string& key, std::shared_ptr<Flight> flight,
                               const registry::Reference& ref,
                               const registry::AuthConfig* request_auth) {
  std::optional<registry::AuthConfig> auth;
  if (request_auth != nullptr) auth = *request_auth;
  ++flights_running_;
  // Not the starting call's thread-wide state (its log prefix, its cancel):
  // the pull belongs to every caller waiting for it, and only the flight's
  // own token stops it. Its log lines carry a request id of its own.
  flight->progress = std::make_shared<CallContext>("ImageService.PullImage (single flight)");
  CallObjects objects;
  objects.image = ref.String();
  flight->progress->SetObjects(std::move(objects));
  // Logged in the starting call, so its id leads to the download's.
  spdlog::debug("pull {}: downloading as req={}", ref.String(), flight->progress->request_id());
  std::thread([this, key, flight, ref, auth = std::move(auth)] {
    CallScope scope(flight->progress);
    std::atomic<uint64_t> downloaded{0};
    Result<std::string> result =
        PullOnce(ref, auth ? &*auth : nullptr, flight->cancel.token(), downloaded);
    if (!result.ok()) spdlog::warn("{}", result.status().ToString());
    if (metrics_) {
      metrics_->RecordImagePull(downloaded, result.ok() ? "" : CodeName(result.status().code()));
    }
    std::lock_guard lock(flights_mu_);
    flight->result = std::move(result);
    if (auto it = flights_.find(key); it != flights_.end() && it->second == flight) {
      flights_.erase(it);
    }
    --flights_running_;
    // Under the lock: once it is released, ~ImageManager may go ahead.
    flight_done_.notify_all();
  }).detach();
}

void ImageManager::CancelFlightsAndWait() {
  std::unique_lock lock(flights_mu_);
  for (auto& [key, flight] : flights_) flight->cancel.Cancel();
  flight_done_.wait(lock, [&] { return flights_running_ == 0; });
}

}  // namespace berth::daemon
