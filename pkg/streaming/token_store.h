// TokenStore: single-use tokens for pending stream requests. A token is 32
// bytes from the kernel's CSPRNG in URL-safe base64; it is good for one use
// within its lifetime, and only so many may be outstanding at once (a client
// that asks for URLs and never comes back cannot grow the daemon).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "pkg/base/status.h"
#include "pkg/streaming/stream_request.h"

namespace berth::streaming {

class TokenStore {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    std::chrono::milliseconds ttl{std::chrono::minutes(1)};
    size_t max_outstanding = 1000;
    // Tests move time forward; the daemon uses the steady clock.
    std::function<Clock::time_point()> now = [] { return Clock::now(); };
  };

  TokenStore() : TokenStore(Options{}) {}
  explicit TokenStore(Options options) : options_(std::move(options)) {}

  // A new token for `request`. ResourceExhausted when max_outstanding live
  // tokens exist already; Internal when the CSPRNG fails.
  Result<std::string> Issue(StreamRequest request);

  // The request of a live token, which is used up by this call. nullopt for
  // an unknown, expired or already used token.
  std::optional<StreamRequest> Take(const std::string& token);

  // Live (unexpired, unused) tokens.
  size_t Outstanding();

 private:
  struct Entry {
    StreamRequest request;
    Clock::time_point expires;
  };
  void DropExpiredLocked(Clock::time_point now);

  const Options options_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
};

// 32 random bytes as unpadded URL-safe base64 (43 characters).
Result<std::string> NewToken();

}  // namespace berth::streaming
