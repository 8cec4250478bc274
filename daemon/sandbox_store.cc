#include "daemon/sandbox.h"

namespace berth::daemon {

Result<std::shared_ptr<Sandbox>> SandboxStore::Get(const std::string& id_or_prefix) const {
  Result<std::string> id = index_.Get(id_or_prefix);
  if (!id.ok()) return id.status().WithContext("pod sandbox " + id_or_prefix);
  std::shared_lock lock(mu_);
  auto it = by_id_.find(*id);
  if (it == by_id_.end()) return NotFound("pod sandbox " + id_or_prefix + " not found");
  return it->second;
}

Status SandboxStore::Add(std::shared_ptr<Sandbox> sandbox) {
  BERTH_RETURN_IF_ERROR(index_.Add(sandbox->id));
  std::unique_lock lock(mu_);
  by_id_[sandbox->id] = std::move(sandbox);
  return OkStatus();
}

void SandboxStore::Remove(const std::string& id) {
  (void)index_.Delete(id);  // absent is fine: removal is idempotent
  std::unique_lock lock(mu_);
  by_id_.erase(id);
}

std::vector<std::shared_ptr<Sandbox>> SandboxStore::List() const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<Sandbox>> out;
  out.reserve(by_id_.size());
  for (const auto& [_, s] : by_id_) out.push_back(s);
  return out;
}

}  // namespace berth::daemon
