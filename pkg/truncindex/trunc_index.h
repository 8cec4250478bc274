// TruncIndex: resolves a unique prefix of a full ID to that ID, the way every
// CRI call that takes an ID accepts a shortened one.
//
// Promises: a prefix matching exactly one ID resolves to it; a prefix matching
// several is InvalidArgument ("ambiguous ID prefix ..."), one matching none is
// NotFound ("no ID with prefix ..."); a full ID always resolves to itself even
// when it is also a prefix of a longer ID. Lookups are O(log n) in the number
// of IDs. Every method is safe to call from any thread; lookups run in
// parallel with each other.
#pragma once

#include <functional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"

namespace berth {

class TruncIndex {
 public:
  TruncIndex() = default;
  TruncIndex(const TruncIndex&) = delete;
  TruncIndex& operator=(const TruncIndex&) = delete;

  // Adds a full ID. Empty IDs and IDs containing whitespace are
  // InvalidArgument; an ID already present is AlreadyExists.
  Status Add(std::string_view id);

  // Removes a full ID (not a prefix); an unknown ID is NotFound.
  Status Delete(std::string_view id);

  // Resolves `prefix` to the one full ID it names (see the class comment).
  Result<std::string> Get(std::string_view prefix) const;

  // Calls `fn` for every ID in sorted order, under the shared lock: `fn` must
  // not call back into this index's Add or Delete.
  void Iterate(const std::function<void(const std::string&)>& fn) const;

  // A sorted snapshot of every ID.
  std::vector<std::string> All() const;

  size_t Size() const;

 private:
  mutable std::shared_mutex mu_;
  // The full IDs, sorted so that all IDs sharing a prefix are adjacent and
  // lower_bound finds the first of them. Guarded by mu_.
  std::set<std::string, std::less<>> ids_;
};

}  // namespace berth
