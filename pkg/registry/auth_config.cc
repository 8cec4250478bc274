#include "pkg/registry/auth_config.h"

#include <cstdint>

#include "pkg/base/digest.h"

namespace berth::registry {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string Base64Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = uint8_t(data[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view data) {
  while (!data.empty() && data.back() == '=') data.remove_suffix(1);
  if (data.size() % 4 == 1) return InvalidArgument("invalid base64 length");
  std::string out;
  out.reserve(data.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : data) {
    int v = DecodeChar(c);
    if (v < 0) return InvalidArgument("invalid base64 character");
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

Result<AuthConfig> NormalizeAuthConfig(AuthConfig config) {
  // The registry token goes into a header line as is: a CR or LF (or any
  // other control character) would split it into headers of the sender's
  // choosing.
  for (char c : config.registry_token) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return InvalidArgument("registry token holds a control character");
    }
  }
  if (config.auth.empty() || !config.username.empty() || !config.password.empty()) return config;
  auto decoded = Base64Decode(config.auth);
  if (!decoded.ok()) return InvalidArgument("auth field is not valid base64");
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) {
    return InvalidArgument("auth field does not decode to \"username:password\"");
  }
  config.username = decoded->substr(0, colon);
  config.password = decoded->substr(colon + 1);
  return config;
}

std::string AuthFingerprint(const AuthConfig& c) {
  if (c.empty()) return "anonymous";
  // Length-prefixed fields so that different splits cannot collide.
  std::string material;
  for (const std::string* f :
       {&c.username, &c.password, &c.auth, &c.identity_token, &c.registry_token}) {
    material += std::to_string(f->size()) + ":" + *f + ";";
  }
  return Sha256Digest(material).substr(kSha256Prefix.size(), 32);
}

}  // namespace berth::registry
