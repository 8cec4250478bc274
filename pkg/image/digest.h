// SHA-256 digests in the OCI "sha256:<64 hex>" form, and layer chain IDs.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"

namespace berth::image {

// Incremental SHA-256 (OpenSSL EVP). Update() any number of times, then Digest().
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t len);
  // "sha256:<hex>"; the hasher must not be updated afterwards.
  std::string Digest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "sha256:<hex>" of `data`.
std::string Sha256Digest(std::string_view data);

// True for "sha256:" followed by exactly 64 lowercase hex characters.
bool IsSha256Digest(std::string_view digest);
// True for exactly 64 lowercase hex characters.
bool IsSha256Hex(std::string_view hex);

// The hex part of a valid "sha256:<hex>" digest (caller validated it).
std::string_view DigestHex(std::string_view digest);

// chainID(L1) = diffID(L1); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)).
// `parent_chain_id` empty means `diff_id` is the bottom layer.
std::string ChainId(std::string_view parent_chain_id, std::string_view diff_id);
// Chain IDs of a whole rootfs, bottom layer first (same order as rootfs.diff_ids).
// Every diff ID must be a valid sha256 digest (InvalidArgument naming it otherwise).
Result<std::vector<std::string>> ChainIds(const std::vector<std::string>& diff_ids);

}  // namespace berth::image
