// Linux build of Sha256Hasher's hashing (digest.h): OpenSSL's EVP interface
// (sha256_windows.cc is the Windows one).
#include <openssl/evp.h>

#include <cstdlib>

#include "pkg/base/digest.h"

namespace berth {

struct Sha256Hasher::Ctx {
  EVP_MD_CTX* md = nullptr;
};

Sha256Hasher::Sha256Hasher() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  // Allocation or init failure of a built-in digest is not a recoverable state.
  if (ctx_->md == nullptr || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) std::abort();
}

Sha256Hasher::~Sha256Hasher() {
  EVP_MD_CTX_free(ctx_->md);
}

void Sha256Hasher::Update(std::string_view data) {
  if (data.empty()) return;
  if (EVP_DigestUpdate(ctx_->md, data.data(), data.size()) != 1) std::abort();
}

void Sha256Hasher::FinishBytes(unsigned char (&out)[kSha256Bytes]) {
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md, out, &len) != 1 || len != kSha256Bytes) std::abort();
}

}  // namespace berth
