// One pull, top to bottom: resolve the manifest, fetch the config, download
// and unpack the layers (in parallel), register the image. Nothing is
// registered until every layer is in the layer store, and the layers are
// leased from before the first download until the image holds them, so a
// failed or cancelled pull leaves no half-registered image behind.
#include <spdlog/spdlog.h>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "daemon/call_context.h"
#include "daemon/image_manager.h"
#include "pkg/fs/temp_dir.h"
#include "pkg/image/image_record.h"

namespace berth::daemon {

namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t NowTicks() {
  return SteadyClock::now().time_since_epoch().count();
}

// Cancels a pull that has made no progress for `timeout`: neither bytes
// received nor a step finished. Time spent unpacking (local work, no network)
// counts as progress. Its token is also cancelled with the pull's own.
class ProgressWatchdog {
 public:
  ProgressWatchdog(std::chrono::seconds timeout, const CancelToken& pull)
      : timeout_(timeout), cancel_(pull) {
    last_progress_ = NowTicks();
    if (timeout_.count() > 0) thread_ = std::thread([this] { Run(); });
  }
  ~ProgressWatchdog() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  ProgressWatchdog(const ProgressWatchdog&) = delete;
  ProgressWatchdog& operator=(const ProgressWatchdog&) = delete;

  void Touch() { last_progress_.store(NowTicks(), std::memory_order_relaxed); }
  // Cancels the pull for another reason (a failed layer stops its siblings).
  void Cancel() { cancel_.Cancel(); }
  bool timed_out() const { return timed_out_.load(); }
  CancelToken token() const { return cancel_.token(); }

  // While alive, the pull counts as progressing (local unpacking).
  class Busy {
   public:
    explicit Busy(ProgressWatchdog& w) : w_(w) { w_.busy_.fetch_add(1); }
    ~Busy() {
      w_.busy_.fetch_sub(1);
      w_.Touch();
    }
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;

   private:
    ProgressWatchdog& w_;
  };

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      const auto last = SteadyClock::time_point(SteadyClock::duration(last_progress_.load()));
      const auto deadline = last + timeout_;
      if (SteadyClock::now() >= deadline) {
        if (busy_.load() > 0) {
          Touch();
          continue;
        }
        timed_out_.store(true);
        cancel_.Cancel();
        return;
      }
      cv_.wait_until(lock, deadline, [this] { return stop_; });
    }
  }

  const std::chrono::seconds timeout_;
  std::atomic<int64_t> last_progress_;  // steady-clock ticks of the last progress
  std::atomic<int> busy_{0};
  CancelSource cancel_;
  std::atomic<bool> timed_out_{false};
  std::mutex mu_;
  std::condition_variable cv_;  // wakes Run() for stop_
  bool stop_ = false;           // guarded by mu_
  std::thread thread_;
};

struct LayerJob {
  size_t index = 0;
  registry::Descriptor blob;
  std::string diff_id;
  std::string chain_id;
  std::string parent_chain_id;
};

// Downloads one layer blob into `dir` and unpacks it into the layer store.
Status FetchAndUnpack(registry::RegistryClient& client, image::LayerStore& layers,
                      const registry::PullPlan& plan, const LayerJob& job, const std::string& dir,
                      registry::RequestOptions opts, ProgressWatchdog& watchdog,
                      std::atomic<uint64_t>& downloaded_bytes) {
  // The file name is ours, never the registry's.
  const std::string path = dir + "/layer-" + std::to_string(job.index);
  uint64_t last_bytes = 0;  // this blob's byte count at the previous callback
  opts.progress = [&](const registry::BlobProgress& p) {
    if (p.bytes_done != last_bytes) {
      last_bytes = p.bytes_done;
      watchdog.Touch();
    }
    return !watchdog.token().cancelled();
  };
  Status fetched = client.FetchBlob(plan, job.blob, path, opts);
  // What came over the wire (progress lags the last chunk of a whole blob).
  downloaded_bytes += fetched.ok() ? uint64_t(job.blob.size) : last_bytes;
  BERTH_RETURN_IF_ERROR(fetched);
  watchdog.Touch();

  image::LayerBlob blob{path,        job.blob.media_type, job.blob.digest, uint64_t(job.blob.size),
                        job.diff_id, job.parent_chain_id};
  Result<image::LayerInfo> info = [&] {
    ProgressWatchdog::Busy busy(watchdog);
    return layers.Unpack(blob, watchdog.token());
  }();
  ::unlink(path.c_str());  // free the space now; the directory goes at the end anyway
  if (!info.ok()) return info.status().WithContext("layer " + job.blob.digest);
  if (info->chain_id != job.chain_id) {
    return Internal("layer " + job.blob.digest + " unpacked as " + info->chain_id + ", expected " +
                    job.chain_id);
  }
  return OkStatus();
}

}  // namespace

Result<std::string> ImageManager::PullOnce(const registry::Reference& ref,
                                           const registry::AuthConfig* request_auth,
                                           const CancelToken& cancel,
                                           std::atomic<uint64_t>& downloaded_bytes) {
  const std::string name = ref.String();
  const auto started = SteadyClock::now();
  ProgressWatchdog watchdog(std::chrono::seconds(config_.image_pull_progress_timeout_seconds),
                            cancel);

  registry::RequestOptions opts;
  opts.cancel = watchdog.token();
  opts.credentials = [this, &ref, request_auth](const std::string& host) {
    return credentials_->Lookup(ref, host, request_auth);
  };
  // Rewrites an error caused by the watchdog into the one the caller should see.
  auto explain = [&](const Status& s) -> Status {
    if (watchdog.timed_out()) {
      return DeadlineExceeded("pull of " + name + " made no progress for " +
                              std::to_string(config_.image_pull_progress_timeout_seconds) +
                              "s (image_pull_progress_timeout); cancelled");
    }
    if (cancel.cancelled()) {
      return Cancelled("pull " + name + ": cancelled: no caller waits for it");
    }
    return s.WithContext("pull " + name);
  };

  // 1. Manifest (mirrors first, then the registry), then the image config.
  CallStep("1 resolve manifest and config");
  auto plan = registry_->ResolveManifest(ref, opts);
  if (!plan.ok()) return explain(plan.status());
  watchdog.Touch();
  auto config_bytes = registry_->FetchConfig(*plan, opts);
  if (!config_bytes.ok()) return explain(config_bytes.status());
  watchdog.Touch();
  auto record = image::RecordFromConfig(*config_bytes);
  if (!record.ok()) return explain(record.status().WithContext("image config"));
  if (record->id != plan->config.digest) {
    return explain(InvalidArgument("image config digest " + record->id +
                                   " differs from the manifest's " + plan->config.digest));
  }
  if (record->chain_ids.size() != plan->layers.size()) {
    return explain(InvalidArgument("manifest lists " + std::to_string(plan->layers.size()) +
                                   " layers but the config has " +
                                   std::to_string(record->chain_ids.size()) + " diff IDs"));
  }

  // 2. Lease every layer before downloading, so a concurrent removal of
  //    another image cannot take a layer this one is about to rely on.
  CallStep("2 lease layers");
  std::optional<image::LayerLease> lease = layers_->NewLease();
  // A failed pull keeps none of the layers it unpacked: no image holds them and
  // nothing else would ever delete them before a restart.
  const std::vector<std::string> chain_ids = record->chain_ids;  // record is moved into Add
  auto fail = [&](const Status& s) -> Status {
    lease.reset();
    images_->ReleaseUnusedLayers(chain_ids);
    return explain(s);
  };
  std::vector<LayerJob> jobs;
  for (size_t i = 0; i < plan->layers.size(); ++i) {
    lease->Add(record->chain_ids[i]);
    if (layers_->Exists(record->chain_ids[i])) continue;  // shared with an image we have
    jobs.push_back(LayerJob{i, plan->layers[i], record->config.diff_ids[i], record->chain_ids[i],
                            i > 0 ? record->chain_ids[i - 1] : ""});
  }

  // 3. Download and unpack the missing layers, up to max_concurrent_downloads
  //    at a time; the first failure cancels the rest. Blobs live in a private
  //    directory removed when the pull ends, whatever its outcome.
  CallStep("3 download and unpack layers");
  auto download_dir = TempDir::Create(downloads_dir_, "pull-");
  if (!download_dir.ok()) return fail(download_dir.status());
  std::mutex err_mu;
  Status first_error;  // guarded by err_mu
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (;;) {
      const size_t j = next.fetch_add(1);
      if (j >= jobs.size() || watchdog.token().cancelled()) return;
      Status s = FetchAndUnpack(*registry_, *layers_, *plan, jobs[j], download_dir->path(), opts,
                                watchdog, downloaded_bytes);
      if (!s.ok()) {
        std::lock_guard lock(err_mu);
        if (first_error.ok()) first_error = s;
        watchdog.Cancel();
        return;
      }
    }
  };
  const size_t parallel =
      std::min<size_t>(jobs.size(), size_t(std::max(1, config_.max_concurrent_downloads)));
  {
    std::vector<std::jthread> workers;
    for (size_t i = 1; i < parallel; ++i) workers.emplace_back(worker);
    if (parallel > 0) worker();
  }
  if (!first_error.ok()) return fail(first_error);
  if (watchdog.token().cancelled()) return fail(Cancelled("cancelled"));

  // 4. Register: tag (if the reference had one) and repo digest.
  CallStep("4 register the image");
  if (!ref.tag.empty()) record->repo_tags.push_back(ref.TagString());
  record->repo_digests.push_back(ref.Name() + "@" + plan->manifest_digest);
  record->size = uint64_t(plan->config.size);
  for (const auto& l : plan->layers) record->size += uint64_t(l.size);
  record->manifest_media_type = plan->image_manifest_media_type;
  for (const auto& chain_id : record->chain_ids) {
    if (auto layer = layers_->Get(chain_id); layer.ok())
      record->unpacked_size += layer->unpacked_bytes;
  }
  auto added = images_->Add(std::move(*record));
  if (!added.ok()) return fail(added.status());

  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started);
  spdlog::info("pulled {} from {}: image {} ({} layers, {} downloaded, {} bytes) in {} ms", name,
               plan->source, added->id, plan->layers.size(), jobs.size(), added->size, ms.count());
  return added->id;
}

}  // namespace berth::daemon
