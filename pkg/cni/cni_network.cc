#include "pkg/cni/cni_network.h"

#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include "pkg/base/cancel_scope.h"
#include "pkg/cni/invoke.h"
#include "pkg/cni/result.h"

namespace berth::cni {
namespace {

using nlohmann::json;

bool PathExists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

}  // namespace

CniNetwork::CniNetwork(CniOptions options)
    : options_(std::move(options)), cache_(options_.cache_dir) {
  status_.reason = "CNI network config not loaded yet";
}

CniNetwork::~CniNetwork() {
  StopWatching();
}

Status CniNetwork::Load() {
  std::lock_guard load_lock(load_mu_);
  LoadedConfig loaded = LoadConfDir(options_.conf_dir, options_.plugin_dirs);
  for (const auto& s : loaded.skipped) {
    spdlog::warn("CNI: skipping network config {}: {}", s.file, s.reason);
  }
  NetworkStatus st;
  if (loaded.list) {
    st.ready = true;
    st.network_name = loaded.list->name;
    st.config_file = loaded.list->source_file;
  } else {
    st.reason = loaded.reason;
  }
  {
    std::lock_guard lock(mu_);
    if (st.ready != status_.ready || st.config_file != status_.config_file) {
      if (st.ready) {
        spdlog::info("CNI: using network \"{}\" from {}", st.network_name, st.config_file);
      } else {
        spdlog::warn("CNI: network not ready: {}", st.reason);
      }
    }
    st.generation = status_.generation + 1;
    status_ = st;
    current_ = loaded.list;
  }
  reloaded_.notify_all();
  if (!st.ready) return FailedPrecondition(st.reason);
  return OkStatus();
}

Status CniNetwork::StartWatching() {
  if (watcher_) return OkStatus();
  auto watcher = std::make_unique<ConfWatcher>(options_.conf_dir, [this] { (void)Load(); });
  BERTH_RETURN_IF_ERROR(watcher->Start());
  watcher_ = std::move(watcher);
  // The watch is armed: load now so the status is current when we return.
  (void)Load();
  return OkStatus();
}

void CniNetwork::StopWatching() {
  watcher_.reset();
}

NetworkStatus CniNetwork::GetStatus() const {
  std::lock_guard lock(mu_);
  return status_;
}

bool CniNetwork::WaitForReload(uint64_t after, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return reloaded_.wait_for(lock, timeout, [&] { return status_.generation > after; });
}

std::shared_ptr<const NetworkConfigList> CniNetwork::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

Status CniNetwork::BringUpLoopback(const PodNetworkRequest& req) {
  BERTH_RETURN_IF_ERROR(ValidateRequest(req));
  BERTH_ASSIGN_OR_RETURN(std::string args, BuildCniArgs(req));
  NetworkConfigList lo;
  lo.name = "berth-loopback";
  lo.cni_version = "1.0.0";  // Debian's plugins (1.1.1) speak 1.0.0
  lo.plugins.push_back({"loopback", false, json{{"type", "loopback"}}});
  InvokeContext ctx;
  ctx.command = CniCommand::kAdd;
  ctx.container_id = req.container_id;
  ctx.netns = req.netns_path;
  ctx.ifname = "lo";
  ctx.cni_args = args;
  ctx.plugin_dirs = options_.plugin_dirs;
  ctx.timeout = options_.plugin_timeout;
  auto out = InvokePlugin(ctx, lo, lo.plugins[0], std::nullopt);
  if (!out.ok()) return out.status().WithContext("bring up lo in " + req.netns_path);
  return OkStatus();
}

template <typename Fn>
auto CniNetwork::Observed(std::string_view operation, Fn&& op) {
  const auto start = std::chrono::steady_clock::now();
  auto result = op();
  if (observer_) {
    observer_(operation, result.ok(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return result;
}

Result<AttachResult> CniNetwork::Attach(const PodNetworkRequest& req) {
  return Observed("add", [&] { return AttachChain(req); });
}

Status CniNetwork::Detach(const PodNetworkRequest& req) {
  return Observed("del", [&] { return DetachChain(req); });
}

Status CniNetwork::Check(const PodNetworkRequest& req) {
  return Observed("check", [&] { return CheckChain(req); });
}

Result<AttachResult> CniNetwork::AttachChain(const PodNetworkRequest& req) {
  const std::string who = "attach pod network for " + req.container_id;
  // 1. Check everything hostile before it reaches env, files or logs.
  BERTH_RETURN_IF_ERROR(ValidateRequest(req).WithContext(who));
  if (req.netns_path.empty()) return InvalidArgument(who + ": no netns path");
  BERTH_ASSIGN_OR_RETURN(std::string cni_args, BuildCniArgs(req));
  BERTH_ASSIGN_OR_RETURN(auto mappings, NormalizePortMappings(req.port_mappings));
  // 2. The network as of now; it is carried whole into the cache.
  auto list = Current();
  if (!list) return FailedPrecondition(who + ": " + GetStatus().reason);
  // 3. lo first: it allocates nothing, so it needs no undo.
  if (options_.bring_up_loopback) BERTH_RETURN_IF_ERROR(BringUpLoopback(req).WithContext(who));
  // 4. Record intent before ADD, so a crash mid-ADD still leaves what DEL needs.
  CacheEntry entry;
  entry.network_name = list->name;
  entry.container_id = req.container_id;
  entry.ifname = options_.ifname;
  entry.config = list->ToJson();
  entry.netns_path = req.netns_path;
  entry.pod_name = req.pod_name;
  entry.pod_namespace = req.pod_namespace;
  entry.pod_uid = req.pod_uid;
  entry.cni_args = cni_args;
  entry.port_mappings = mappings;
  BERTH_RETURN_IF_ERROR(cache_.Write(entry).WithContext(who));

  // 5. ADD each plugin in order, each seeing the previous one's result.
  InvokeContext ctx;
  ctx.command = CniCommand::kAdd;
  ctx.container_id = req.container_id;
  ctx.netns = req.netns_path;
  ctx.ifname = options_.ifname;
  ctx.cni_args = cni_args;
  ctx.plugin_dirs = options_.plugin_dirs;
  ctx.port_mappings = mappings;
  ctx.timeout = options_.plugin_timeout;
  std::optional<json> prev;
  std::string raw;
  Status failure;
  for (const auto& plugin : list->plugins) {
    auto out = InvokePlugin(ctx, *list, plugin, prev);
    if (!out.ok()) {
      failure = out.status();
      break;
    }
    auto parsed = ParseCniResult(*out, list->cni_version);
    if (!parsed.ok()) {
      failure = parsed.status().WithContext("CNI plugin \"" + plugin.type + "\" ADD result");
      break;
    }
    raw = std::move(out).value();
    prev = json::parse(raw, nullptr, /*allow_exceptions=*/false);
  }
  // 6. Record the result; DEL needs it as prevResult.
  if (failure.ok()) {
    entry.result = prev;
    failure = cache_.Write(entry);
  }
  if (!failure.ok()) {
    // Undo: DEL the whole chain so nothing (IP, veth, iptables) stays
    // behind, to its end also when the caller cancelled the ADD.
    UncancellableScope uncancellable;
    Status undo = RunDel(*list, req, cni_args, mappings, prev);
    if (undo.ok()) {
      (void)cache_.Remove(list->name, req.container_id, options_.ifname);
    } else {
      spdlog::error("CNI: cleanup after failed ADD for {} failed (cache kept for retry): {}",
                    req.container_id, undo.message());
    }
    return failure.WithContext(who);
  }
  AttachResult result;
  result.network_name = list->name;
  result.raw_result = raw;
  BERTH_ASSIGN_OR_RETURN(result.result, ParseCniResult(raw, list->cni_version));
  result.pod_ips = PodIps(result.result);
  return result;
}

Status CniNetwork::RunDel(const NetworkConfigList& list, const PodNetworkRequest& req,
                          const std::string& cni_args, const std::vector<PortMapping>& mappings,
                          const std::optional<json>& prev_result) {
  InvokeContext ctx;
  ctx.command = CniCommand::kDel;
  ctx.container_id = req.container_id;
  // A netns that is already gone is passed as "": plugins then release what
  // they hold on the host (addresses, iptables) without entering it.
  ctx.netns = !req.netns_path.empty() && PathExists(req.netns_path) ? req.netns_path : "";
  ctx.ifname = options_.ifname;
  ctx.cni_args = cni_args;
  ctx.plugin_dirs = options_.plugin_dirs;
  ctx.port_mappings = mappings;
  ctx.timeout = options_.plugin_timeout;
  // Before 0.4.0 DEL carries no prevResult.
  std::optional<json> prev = VersionAtLeast040(list.cni_version) ? prev_result : std::nullopt;
  if (prev && !prev->is_object()) prev.reset();
  Status first;
  // Every plugin runs even if one fails, so one broken plugin does not keep
  // the others' resources; the first error is reported and the call retried.
  for (auto it = list.plugins.rbegin(); it != list.plugins.rend(); ++it) {
    auto out = InvokePlugin(ctx, list, *it, prev);
    if (!out.ok() && first.ok()) first = out.status();
  }
  return first;
}

Status CniNetwork::DetachChain(const PodNetworkRequest& req) {
  const std::string who = "detach pod network for " + req.container_id;
  BERTH_RETURN_IF_ERROR(ValidateRequest(req).WithContext(who));
  // 1. What ADD used, from the cache; else the current network.
  std::shared_ptr<const NetworkConfigList> list;
  std::optional<json> prev;
  std::string cni_args;
  std::vector<PortMapping> mappings;
  auto entry = cache_.FindForContainer(req.container_id, options_.ifname);
  if (entry.ok()) {
    auto cached = ConfListFromJson(entry->config);
    if (cached.ok()) {
      list = std::make_shared<const NetworkConfigList>(std::move(cached).value());
      prev = entry->result;
      cni_args = entry->cni_args;
      mappings = entry->port_mappings;
    } else {
      spdlog::warn("CNI: cache entry for {} unusable ({}); using the current network",
                   req.container_id, cached.status().message());
    }
  } else if (entry.status().code() != Code::kNotFound) {
    spdlog::warn("CNI: cache entry for {} unreadable ({}); using the current network",
                 req.container_id, entry.status().message());
  }
  if (!list) {
    list = Current();
    if (!list) {
      // Nothing cached and no network: Attach always caches first, so this
      // pod never reached a plugin through us.
      spdlog::info("CNI: no cache entry and no network for {}; nothing to detach",
                   req.container_id);
      return OkStatus();
    }
    BERTH_ASSIGN_OR_RETURN(cni_args, BuildCniArgs(req));
    BERTH_ASSIGN_OR_RETURN(mappings, NormalizePortMappings(req.port_mappings));
  }
  // 2. DEL in reverse order; 3. forget the attachment once all succeeded.
  PodNetworkRequest del = req;
  if (del.netns_path.empty() && entry.ok()) del.netns_path = entry->netns_path;
  BERTH_RETURN_IF_ERROR(RunDel(*list, del, cni_args, mappings, prev).WithContext(who));
  return cache_.Remove(list->name, req.container_id, options_.ifname).WithContext(who);
}

Status CniNetwork::CheckChain(const PodNetworkRequest& req) {
  const std::string who = "check pod network for " + req.container_id;
  BERTH_RETURN_IF_ERROR(ValidateRequest(req).WithContext(who));
  auto entry = cache_.FindForContainer(req.container_id, options_.ifname);
  if (!entry.ok()) return entry.status().WithContext(who);
  BERTH_ASSIGN_OR_RETURN(NetworkConfigList list, ConfListFromJson(entry->config));
  if (!VersionAtLeast040(list.cni_version) || list.disable_check) return OkStatus();
  if (!entry->result) return FailedPrecondition(who + ": ADD did not complete");
  InvokeContext ctx;
  ctx.command = CniCommand::kCheck;
  ctx.container_id = req.container_id;
  ctx.netns = req.netns_path;
  ctx.ifname = options_.ifname;
  ctx.cni_args = entry->cni_args;
  ctx.plugin_dirs = options_.plugin_dirs;
  ctx.port_mappings = entry->port_mappings;
  ctx.timeout = options_.plugin_timeout;
  for (const auto& plugin : list.plugins) {
    auto out = InvokePlugin(ctx, list, plugin, entry->result);
    if (!out.ok()) return out.status().WithContext(who);
  }
  return OkStatus();
}

}  // namespace berth::cni
