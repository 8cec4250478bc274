#include "pkg/base/digest.h"

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

std::string Sha256Hasher::Finish() {
  unsigned char out[kSha256Bytes];
  FinishBytes(out);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string result(kSha256Prefix);
  for (unsigned char byte : out) {
    result.push_back(kHex[byte >> 4]);
    result.push_back(kHex[byte & 0xf]);
  }
  return result;
}

std::string Sha256Digest(std::string_view data) {
  Sha256Hasher h;
  h.Update(data);
  return h.Finish();
}

}  // namespace berth
