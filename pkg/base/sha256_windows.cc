// Windows build of Sha256Hasher's hashing (digest.h): the system's SHA-256
// through BCrypt (sha256_openssl.cc is the Linux one; Debian has no OpenSSL
// for mingw-w64).
#include <windows.h>
// bcrypt.h needs the types windows.h defines.
#include <bcrypt.h>

#include <algorithm>
#include <cstdlib>

#include "pkg/base/digest.h"

namespace berth {

namespace {
// The algorithm provider, opened once and kept for the process's life: opening
// one is costly and a hash object only borrows it.
BCRYPT_ALG_HANDLE Sha256Provider() {
  static const BCRYPT_ALG_HANDLE provider = [] {
    BCRYPT_ALG_HANDLE handle = nullptr;
    if (!BCRYPT_SUCCESS(
            BCryptOpenAlgorithmProvider(&handle, BCRYPT_SHA256_ALGORITHM, nullptr, 0))) {
      std::abort();  // the system's built-in SHA-256 missing is not a recoverable state
    }
    return handle;
  }();
  return provider;
}
}  // namespace

struct Sha256Hasher::Ctx {
  BCRYPT_HASH_HANDLE hash = nullptr;
};

Sha256Hasher::Sha256Hasher() : ctx_(std::make_unique<Ctx>()) {
  // No hash object buffer: BCrypt allocates it (Windows 7 and later).
  if (!BCRYPT_SUCCESS(BCryptCreateHash(Sha256Provider(), &ctx_->hash, nullptr, 0, nullptr, 0, 0))) {
    std::abort();
  }
}

Sha256Hasher::~Sha256Hasher() {
  BCryptDestroyHash(ctx_->hash);
}

void Sha256Hasher::Update(std::string_view data) {
  // BCryptHashData takes a ULONG length: feed at most 1 GiB at a time.
  while (!data.empty()) {
    const ULONG chunk = static_cast<ULONG>(std::min<std::size_t>(data.size(), 1u << 30));
    auto* bytes = reinterpret_cast<PUCHAR>(const_cast<char*>(data.data()));
    if (!BCRYPT_SUCCESS(BCryptHashData(ctx_->hash, bytes, chunk, 0))) std::abort();
    data.remove_prefix(chunk);
  }
}

void Sha256Hasher::FinishBytes(unsigned char (&out)[kSha256Bytes]) {
  if (!BCRYPT_SUCCESS(BCryptFinishHash(ctx_->hash, out, kSha256Bytes, 0))) std::abort();
}

}  // namespace berth
