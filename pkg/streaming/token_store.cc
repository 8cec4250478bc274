#include "pkg/streaming/token_store.h"

#include <cstdint>

#include "pkg/base/random_bytes.h"

namespace berth::streaming {

const char* KindPath(StreamKind kind) {
  switch (kind) {
    case StreamKind::kExec:
      return "exec";
    case StreamKind::kAttach:
      return "attach";
    case StreamKind::kPortForward:
      return "portforward";
  }
  return "unknown";
}

Result<std::string> NewToken() {
  unsigned char raw[32];
  BERTH_RETURN_IF_ERROR(FillRandomBytes(raw));
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : raw) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

Result<std::string> TokenStore::Issue(StreamRequest request) {
  BERTH_ASSIGN_OR_RETURN(std::string token, NewToken());
  std::lock_guard lock(mu_);
  Clock::time_point now = options_.now();
  DropExpiredLocked(now);
  if (entries_.size() >= options_.max_outstanding) {
    return ResourceExhausted(
        "too many pending stream requests (" + std::to_string(options_.max_outstanding) +
        "); each URL is valid for " + std::to_string(options_.ttl.count() / 1000) + "s");
  }
  entries_.emplace(token, Entry{std::move(request), now + options_.ttl});
  return token;
}

std::optional<StreamRequest> TokenStore::Take(const std::string& token) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(token);
  if (it == entries_.end()) return std::nullopt;
  Entry entry = std::move(it->second);
  entries_.erase(it);
  if (options_.now() >= entry.expires) return std::nullopt;
  return std::move(entry.request);
}

size_t TokenStore::Outstanding() {
  std::lock_guard lock(mu_);
  DropExpiredLocked(options_.now());
  return entries_.size();
}

void TokenStore::DropExpiredLocked(Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now >= it->second.expires ? entries_.erase(it) : std::next(it);
  }
}

}  // namespace berth::streaming
