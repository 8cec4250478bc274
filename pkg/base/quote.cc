#include "pkg/base/quote.h"

namespace berth {

std::string EscapeForMessage(std::string_view s, size_t max_len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const size_t n = s.size() < max_len ? s.size() : max_len;
  out.reserve(n + 3);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (n < s.size()) out += "...";
  return out;
}

std::string QuoteForMessage(std::string_view s, size_t max_len) {
  return '"' + EscapeForMessage(s, max_len) + '"';
}

}  // namespace berth
