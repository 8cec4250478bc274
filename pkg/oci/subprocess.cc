#include "pkg/oci/subprocess.h"

#include <cstdio>

namespace berth::oci {

std::string QuoteForMessage(std::string_view s, size_t max_len) {
  std::string out = "\"";
  size_t i = 0;
  for (; i < s.size() && i < max_len; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  if (i < s.size()) out += "...";
  out += '"';
  return out;
}

}  // namespace berth::oci
