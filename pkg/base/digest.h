// Content digests in the OCI "sha256:<64 lowercase hex>" form and a streaming
// SHA-256 hasher: the one home of both for registry blobs, image IDs and
// layer diff IDs.
//
// Every byte berth takes from a registry is checked against a digest of this
// form before it is trusted; other algorithms are refused rather than skipped.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "pkg/base/status.h"

namespace berth {

inline constexpr std::string_view kSha256Prefix = "sha256:";

// True for exactly 64 lowercase hex digits.
bool IsSha256Hex(std::string_view hex);

// True for "sha256:" followed by exactly 64 lowercase hex digits.
bool IsSha256Digest(std::string_view digest);

// OK for a valid digest; otherwise InvalidArgument naming `what` and the
// digest (escaped and bounded, since it is untrusted input), and saying
// whether the algorithm or the hex was wrong.
Status ValidateDigest(std::string_view digest, std::string_view what);

// The hex part of "sha256:<hex>"; a string without the prefix is returned
// whole. Meant for digests the caller validated.
std::string_view DigestHex(std::string_view digest);

// Streaming SHA-256: OpenSSL's EVP on Linux (sha256_openssl.cc), BCrypt on
// Windows (sha256_windows.cc). Not thread-safe; one per stream.
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
  static constexpr std::size_t kSha256Bytes = 32;
  // The 32 bytes of the digest; what each implementation provides.
  void FinishBytes(unsigned char (&out)[kSha256Bytes]);

  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// "sha256:<hex>" of `data`.
std::string Sha256Digest(std::string_view data);

}  // namespace berth
