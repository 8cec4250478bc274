// ObjectStore<T>: the in-memory maps of one kind of object (pod sandboxes,
// containers): full ID -> object, a name registrar and a truncated-ID index,
// so any unique ID prefix finds its object.
//
// One shared lock guards the map and the objects' mutable fields (callers
// read and write those through Read/Write); it is never held across a call
// into another process. The registrar and the index carry their own locks.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "pkg/base/quote.h"
#include "pkg/base/status.h"
#include "pkg/registrar/name_registrar.h"
#include "pkg/truncindex/trunc_index.h"

namespace berth::daemon {

template <typename T>
class ObjectStore {
 public:
  // `kind` names the objects in messages ("pod sandbox", "container").
  explicit ObjectStore(std::string kind) : kind_(std::move(kind)) {}

  // Resolves an ID or unique prefix; NotFound names the prefix.
  Result<std::shared_ptr<T>> Get(const std::string& id_or_prefix) const {
    Result<std::string> id = index_.Get(id_or_prefix);
    // Escaped: the prefix comes from the client and may hold a newline.
    if (!id.ok()) return id.status().WithContext(kind_ + " " + EscapeForMessage(id_or_prefix));
    std::shared_lock lock(mu_);
    auto it = by_id_.find(*id);
    if (it == by_id_.end()) return NotFound(kind_ + " " + *id + " not found");
    return it->second;
  }

  // Adds an object whose name is already reserved.
  Status Add(std::shared_ptr<T> object) {
    BERTH_RETURN_IF_ERROR(index_.Add(object->id));
    std::unique_lock lock(mu_);
    by_id_[object->id] = std::move(object);
    return OkStatus();
  }

  // Idempotent: an absent ID is fine.
  void Remove(const std::string& id) {
    (void)index_.Delete(id);
    std::unique_lock lock(mu_);
    by_id_.erase(id);
  }

  std::vector<std::shared_ptr<T>> List() const {
    std::shared_lock lock(mu_);
    std::vector<std::shared_ptr<T>> out;
    out.reserve(by_id_.size());
    for (const auto& [_, object] : by_id_) out.push_back(object);
    return out;
  }

  NameRegistrar& names() { return names_; }

  // Reads or writes the objects' mutable fields under the lock.
  template <typename Fn>
  auto Read(Fn&& fn) const {
    std::shared_lock lock(mu_);
    return fn();
  }
  template <typename Fn>
  auto Write(Fn&& fn) {
    std::unique_lock lock(mu_);
    return fn();
  }

 private:
  const std::string kind_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<T>> by_id_;  // guarded by mu_
  TruncIndex index_;                                 // its own lock
  NameRegistrar names_;                              // its own lock
};

}  // namespace berth::daemon
