#include "pkg/registrar/name_registrar.h"

namespace berth {

Status NameRegistrar::Reserve(std::string_view name, std::string_view id) {
  if (name.empty()) return InvalidArgument("cannot reserve an empty name");
  if (id.empty()) {
    return InvalidArgument("cannot reserve name \"" + std::string(name) + "\" for an empty ID");
  }
  std::lock_guard lock(mu_);
  auto it = id_by_name_.find(name);
  if (it != id_by_name_.end()) {
    if (it->second == id) return OkStatus();  // idempotent for the holder
    return AlreadyExists("name \"" + std::string(name) + "\" is reserved for ID " + it->second);
  }
  id_by_name_.emplace(std::string(name), std::string(id));
  auto ids = names_by_id_.find(id);
  if (ids == names_by_id_.end()) ids = names_by_id_.emplace(std::string(id), NameSet()).first;
  ids->second.emplace(name);
  return OkStatus();
}

void NameRegistrar::Release(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = id_by_name_.find(name);
  if (it == id_by_name_.end()) return;
  auto ids = names_by_id_.find(it->second);
  if (ids != names_by_id_.end()) {
    if (auto n = ids->second.find(name); n != ids->second.end()) ids->second.erase(n);
    if (ids->second.empty()) names_by_id_.erase(ids);
  }
  id_by_name_.erase(it);
}

void NameRegistrar::ReleaseById(std::string_view id) {
  std::lock_guard lock(mu_);
  auto ids = names_by_id_.find(id);
  if (ids == names_by_id_.end()) return;
  for (const std::string& name : ids->second) id_by_name_.erase(name);
  names_by_id_.erase(ids);
}

Result<std::string> NameRegistrar::Get(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = id_by_name_.find(name);
  if (it == id_by_name_.end()) {
    return NotFound("name \"" + std::string(name) + "\" is not reserved");
  }
  return it->second;
}

std::vector<std::string> NameRegistrar::GetNames(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto ids = names_by_id_.find(id);
  if (ids == names_by_id_.end()) return {};
  return {ids->second.begin(), ids->second.end()};
}

}  // namespace berth
