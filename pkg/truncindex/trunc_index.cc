#include "pkg/truncindex/trunc_index.h"

#include <algorithm>
#include <cctype>
#include <mutex>

#include "pkg/base/quote.h"

namespace berth {
namespace {

bool HasWhitespace(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::string_view(s).substr(0, prefix.size()) == prefix;
}

}  // namespace

Status TruncIndex::Add(std::string_view id) {
  if (id.empty()) return InvalidArgument("cannot index an empty ID");
  // A space would make the ID ambiguous in logs and command lines.
  if (HasWhitespace(id)) {
    return InvalidArgument("ID \"" + std::string(id) + "\" contains whitespace");
  }
  std::unique_lock lock(mu_);
  if (!ids_.emplace(id).second) {
    return AlreadyExists("ID " + std::string(id) + " is already indexed");
  }
  return OkStatus();
}

Status TruncIndex::Delete(std::string_view id) {
  std::unique_lock lock(mu_);
  auto it = ids_.find(id);
  if (it == ids_.end()) return NotFound("no ID " + std::string(id) + " in the index");
  ids_.erase(it);
  return OkStatus();
}

Result<std::string> TruncIndex::Get(std::string_view prefix) const {
  if (prefix.empty()) return InvalidArgument("an empty ID prefix matches nothing");
  std::shared_lock lock(mu_);
  // Every ID starting with `prefix` sorts at or after it, and they are
  // contiguous; the first of them is lower_bound(prefix).
  auto first = ids_.lower_bound(prefix);
  if (first == ids_.end() || !StartsWith(*first, prefix)) {
    return NotFound("no ID with prefix " + QuoteForMessage(prefix));
  }
  // An exact match sorts first among its extensions, so it wins outright.
  if (first->size() == prefix.size()) return *first;
  auto next = std::next(first);
  if (next == ids_.end() || !StartsWith(*next, prefix)) return *first;
  // Ambiguous: count the matches for the message (only the ambiguous path
  // walks the range; it stops at the first non-match).
  size_t matches = 2;
  for (auto it = std::next(next); it != ids_.end() && StartsWith(*it, prefix); ++it) ++matches;
  return InvalidArgument("ambiguous ID prefix " + QuoteForMessage(prefix) + " matches " +
                         std::to_string(matches) + " IDs");
}

void TruncIndex::Iterate(const std::function<void(const std::string&)>& fn) const {
  std::shared_lock lock(mu_);
  for (const std::string& id : ids_) fn(id);
}

std::vector<std::string> TruncIndex::All() const {
  std::shared_lock lock(mu_);
  return {ids_.begin(), ids_.end()};
}

size_t TruncIndex::Size() const {
  std::shared_lock lock(mu_);
  return ids_.size();
}

}  // namespace berth
