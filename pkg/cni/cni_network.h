// CniNetwork: the pod network as the daemon sees it. It picks the network
// config from the conf dir (and follows the dir when watching), attaches and
// detaches pods by running the CNI plugin chain, and caches each attachment
// on disk so that a detach uses what the attach used.
//
// Thread-safety: every method may be called from any thread. Attach/Detach of
// different pods run in parallel (no lock is held while a plugin runs); calls
// for the same pod must be serialized by the caller, as the sandbox code does.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "pkg/base/status.h"
#include "pkg/cni/conf_list.h"
#include "pkg/cni/conf_watcher.h"
#include "pkg/cni/result_cache.h"
#include "pkg/cni/types.h"

namespace berth::cni {

class CniNetwork {
 public:
  explicit CniNetwork(CniOptions options);
  ~CniNetwork();  // stops the watcher
  CniNetwork(const CniNetwork&) = delete;
  CniNetwork& operator=(const CniNetwork&) = delete;

  // Re-reads the conf dir now. OK when a valid network was found;
  // FailedPrecondition carrying the not-ready reason otherwise (the status is
  // updated either way).
  Status Load();

  // Arms an inotify watch on the conf dir, loads (so GetStatus() is current
  // on return), then reloads on every change until StopWatching() or
  // destruction. Works when the dir does not exist yet. A missing network is
  // not an error here: it is the status.
  Status StartWatching();
  void StopWatching();

  // NetworkReady for the CRI Status call.
  NetworkStatus GetStatus() const;

  // Waits until the status generation exceeds `after` (for callers that want
  // to observe a reload); false on timeout.
  bool WaitForReload(uint64_t after, std::chrono::milliseconds timeout) const;

  // CNI ADD of the whole chain in `req.netns_path` (after bringing up "lo" when
  // options.bring_up_loopback). On failure the chain is deleted again, so no
  // address stays allocated, and the error carries the plugin's message.
  Result<AttachResult> Attach(const PodNetworkRequest& req);

  // CNI DEL, in reverse order, with the config and result cached at ADD (the
  // current config when there is no cache entry). A missing netns is not an
  // error: the plugins run with CNI_NETNS="" and release what they hold.
  // Detaching a pod that was never attached succeeds. The cache entry is
  // removed once every plugin succeeded.
  Status Detach(const PodNetworkRequest& req);

  // CNI CHECK with the cached result (0.4.0+ networks without disableCheck).
  Status Check(const PodNetworkRequest& req);

  // Runs the loopback plugin alone ("lo" up in the netns). Attach calls it
  // when options.bring_up_loopback; exposed for callers that attach otherwise.
  Status BringUpLoopback(const PodNetworkRequest& req);

  const CniOptions& options() const { return options_; }

  // Told the operation ("add", "del", "check"), its outcome and how long it
  // took after every Attach, Detach and Check (berthd's metrics). Set it
  // before the first of those calls; it runs on the caller's thread.
  using OperationObserver =
      std::function<void(std::string_view operation, bool ok, double seconds)>;
  void SetOperationObserver(OperationObserver observer) { observer_ = std::move(observer); }

 private:
  Result<AttachResult> AttachChain(const PodNetworkRequest& req);
  Status DetachChain(const PodNetworkRequest& req);
  Status CheckChain(const PodNetworkRequest& req);
  // Runs `op` and tells the observer about it.
  template <typename Fn>
  auto Observed(std::string_view operation, Fn&& op);

  std::shared_ptr<const NetworkConfigList> Current() const;
  Status RunDel(const NetworkConfigList& list, const PodNetworkRequest& req,
                const std::string& cni_args, const std::vector<PortMapping>& mappings,
                const std::optional<nlohmann::json>& prev_result);

  const CniOptions options_;
  const ResultCache cache_;

  std::mutex load_mu_;  // serializes Load() so an older read never overwrites a newer one

  mutable std::mutex mu_;
  mutable std::condition_variable reloaded_;
  std::shared_ptr<const NetworkConfigList> current_;  // guarded by mu_
  NetworkStatus status_;                              // guarded by mu_

  std::unique_ptr<ConfWatcher> watcher_;  // only touched by Start/StopWatching
  OperationObserver observer_;            // set before use, then only read
};

}  // namespace berth::cni
