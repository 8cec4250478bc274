#include "pkg/image/digest.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace berth::image {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  // Allocation or init failure of a built-in digest leaves nothing sane to do.
  if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(impl_->ctx);
}

void Sha256::Update(const void* data, size_t len) {
  if (len > 0 && EVP_DigestUpdate(impl_->ctx, data, len) != 1) std::abort();
}

std::string Sha256::Digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, md, &n) != 1) std::abort();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < n; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

std::string Sha256Digest(std::string_view data) {
  Sha256 h;
  h.Update(data.data(), data.size());
  return h.Digest();
}

bool IsSha256Hex(std::string_view hex) {
  if (hex.size() != 64) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsSha256Digest(std::string_view digest) {
  return digest.starts_with("sha256:") && IsSha256Hex(digest.substr(7));
}

std::string_view DigestHex(std::string_view digest) {
  return digest.starts_with("sha256:") ? digest.substr(7) : digest;
}

std::string ChainId(std::string_view parent_chain_id, std::string_view diff_id) {
  if (parent_chain_id.empty()) return std::string(diff_id);
  std::string buf;
  buf.reserve(parent_chain_id.size() + 1 + diff_id.size());
  buf.append(parent_chain_id).append(" ").append(diff_id);
  return Sha256Digest(buf);
}

Result<std::vector<std::string>> ChainIds(const std::vector<std::string>& diff_ids) {
  std::vector<std::string> out;
  out.reserve(diff_ids.size());
  for (const auto& d : diff_ids) {
    if (!IsSha256Digest(d)) {
      return InvalidArgument("diff ID \"" + d.substr(0, 100) + "\" is not a sha256 digest");
    }
    out.push_back(ChainId(out.empty() ? std::string_view() : std::string_view(out.back()), d));
  }
  return out;
}

}  // namespace berth::image
