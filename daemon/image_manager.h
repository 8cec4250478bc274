// ImageManager: berthd's image side. Owns the layer and image stores, the
// registry client and the credential resolver, and implements the CRI
// ImageService handlers, one RPC family per file:
//   image_pull.cc (PullImage, single flight), image_download.cc (one pull's
//   downloads), image_list.cc (ListImages, StreamImages, CRI Image fields),
//   image_status.cc, image_remove.cc, image_fs_info.cc.
//
// On disk, under <root>/image/: layers/ and images/ (the stores) and
// downloads/ (blobs of pulls in flight; emptied at Open and after each pull).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/cancel.h"
#include "pkg/base/status.h"
#include "pkg/config/config.h"
#include "pkg/credentials/credential_resolver.h"
#include "pkg/image/image_store.h"
#include "pkg/image/layer_store.h"
#include "pkg/registry/registry_client.h"
#include "runtime/v1/api.pb.h"

namespace berth::metrics {
class DaemonMetrics;
}

namespace berth::daemon {

class CallContext;

class ImageManager {
 public:
  static Result<std::unique_ptr<ImageManager>> Open(const config::Config& config);
  ~ImageManager();

  // True when a container uses the image (such an image cannot be removed).
  // Called without the store's lock; it must not call back into the manager.
  void SetInUseCheck(image::ImageStore::InUseFn in_use);
  // Where pulls are counted (set before serving; null = nowhere).
  void SetMetrics(metrics::DaemonMetrics* metrics) { metrics_ = metrics; }

  // --- CRI handlers ---
  // `cancel` is the call's: once cancelled, the call answers at once (see image_pull.cc).
  Status PullImage(const runtime::v1::PullImageRequest& req, runtime::v1::PullImageResponse* resp,
                   const CancelToken& cancel);
  Status ListImages(const runtime::v1::ListImagesRequest& req,
                    runtime::v1::ListImagesResponse* resp);
  Status ImageStatus(const runtime::v1::ImageStatusRequest& req,
                     runtime::v1::ImageStatusResponse* resp);
  Status RemoveImage(const runtime::v1::RemoveImageRequest& req,
                     runtime::v1::RemoveImageResponse* resp);
  Status ImageFsInfo(const runtime::v1::ImageFsInfoRequest& req,
                     runtime::v1::ImageFsInfoResponse* resp);

  // Pulls `ref` (any form a pod spec may carry) and returns the image ID.
  // Returns Cancelled or DeadlineExceeded as soon as `cancel` is cancelled.
  Result<std::string> Pull(std::string_view ref, const registry::AuthConfig* request_auth,
                           const CancelToken& cancel = {});
  // Finds an image by tag, digest, ID or ID prefix: the normalized reference
  // first, then the raw string (IDs and prefixes).
  Result<image::ImageRecord> Find(std::string_view ref) const;

  image::ImageStore& images() { return *images_; }
  image::LayerStore& layers() { return *layers_; }
  const std::string& image_root() const { return image_root_; }

 private:
  // One pull in flight, shared by every caller of the same reference.
  struct Flight {
    CancelSource cancel;  // cancelled when no caller waits for the outcome any more
    int waiters = 0;      // guarded by flights_mu_
    std::optional<Result<std::string>> result;  // guarded by flights_mu_; set when done
    // The pull thread's own call context: its log prefix and the step the
    // download is at, which every waiting call shows as its own.
    std::shared_ptr<CallContext> progress;
  };

  ImageManager(config::Config config, std::string image_root);
  // Runs `flight`'s pull on a thread of its own (flights_mu_ held).
  void StartFlight(const std::string& key, std::shared_ptr<Flight> flight,
                   const registry::Reference& ref, const registry::AuthConfig* request_auth);
  // Cancels every pull and waits for their threads (at destruction).
  void CancelFlightsAndWait();
  // Downloads, unpacks and registers one image (image_download.cc); stops,
  // leaving nothing behind, once `cancel` is cancelled.
  // `downloaded_bytes` adds up the blobs fetched, whatever the outcome.
  Result<std::string> PullOnce(const registry::Reference& ref,
                               const registry::AuthConfig* request_auth, const CancelToken& cancel,
                               std::atomic<uint64_t>& downloaded_bytes);

  const config::Config config_;
  const std::string image_root_;     // <root>/image
  const std::string downloads_dir_;  // <root>/image/downloads
  std::unique_ptr<image::LayerStore> layers_;
  std::unique_ptr<image::ImageStore> images_;  // declared after layers_: destroyed first
  std::unique_ptr<registry::RegistryClient> registry_;
  std::unique_ptr<credentials::CredentialResolver> credentials_;
  metrics::DaemonMetrics* metrics_ = nullptr;

  std::mutex flights_mu_;
  std::condition_variable flight_done_;                     // signalled with flights_mu_ held
  std::map<std::string, std::shared_ptr<Flight>> flights_;  // guarded by flights_mu_
  int flights_running_ = 0;  // guarded by flights_mu_: pull threads not yet finished
};

// The CRI Image message for a record (image_list.cc).
runtime::v1::Image ToCriImage(const image::ImageRecord& record);

}  // namespace berth::daemon
