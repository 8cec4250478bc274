#include "pkg/base/digest.h"

#include <openssl/evp.h>

#include <cstdlib>

#include "pkg/base/quote.h"

namespace berth {

bool IsSha256Hex(std::string_view hex) {
  if (hex.size() != 64) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsSha256Digest(std::string_view digest) {
  return digest.starts_with(kSha256Prefix) && IsSha256Hex(digest.substr(kSha256Prefix.size()));
}

Status ValidateDigest(std::string_view digest, std::string_view what) {
  if (IsSha256Digest(digest)) return OkStatus();
  if (digest.find(':') != std::string_view::npos && !digest.starts_with(kSha256Prefix)) {
    return InvalidArgument(std::string(what) + ": unsupported digest algorithm in " +
                           QuoteForMessage(digest) + " (only sha256 is accepted)");
  }
  return InvalidArgument(std::string(what) + ": invalid digest " + QuoteForMessage(digest) +
                         " (want sha256:<64 lowercase hex digits>)");
}

std::string_view DigestHex(std::string_view digest) {
  return digest.starts_with(kSha256Prefix) ? digest.substr(kSha256Prefix.size()) : digest;
}

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

std::string Sha256Hasher::Finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md, out, &len) != 1) std::abort();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string result(kSha256Prefix);
  for (unsigned int i = 0; i < len; ++i) {
    result.push_back(kHex[out[i] >> 4]);
    result.push_back(kHex[out[i] & 0xf]);
  }
  return result;
}

std::string Sha256Digest(std::string_view data) {
  Sha256Hasher h;
  h.Update(data);
  return h.Finish();
}

}  // namespace berth
