// Content digests ("sha256:<64 lowercase hex>") and a streaming SHA-256 hasher.
//
// Every byte berth takes from a registry is checked against a digest of this
// form before it is trusted; other algorithms are refused rather than skipped.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "pkg/base/quote.h"
#include "pkg/base/status.h"

namespace berth::registry {

inline constexpr std::string_view kSha256Prefix = "sha256:";

// True when `digest` is "sha256:" followed by exactly 64 lowercase hex digits.
bool IsValidDigest(std::string_view digest);

// OK for a valid digest; otherwise InvalidArgument naming `what` and the digest
// (truncated, since it is untrusted input).
Status ValidateDigest(std::string_view digest, std::string_view what);

// The hex part of a valid digest (after "sha256:").
std::string_view DigestHex(std::string_view digest);

// Streaming SHA-256 (OpenSSL EVP). Not thread-safe; one per stream.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(std::string_view data);
  // "sha256:<hex>" of everything passed to Update. Call once.
  std::string Finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// "sha256:<hex>" of `data`.
std::string Sha256Digest(std::string_view data);

// A printable, bounded form of an untrusted string for error messages and
// logs, unquoted: pkg/base's EscapeForMessage under the name the registry
// code and its callers use.
inline std::string Sanitize(std::string_view untrusted, size_t max = 200) {
  return EscapeForMessage(untrusted, max);
}

}  // namespace berth::registry
