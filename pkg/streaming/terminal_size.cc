#include <nlohmann/json.hpp>

#include "pkg/streaming/channels.h"

namespace berth::streaming {

namespace {
// A size message is a few dozen bytes; anything longer without a closing
// brace is not one.
constexpr size_t kMaxSizeMessage = 4096;
}  // namespace

std::optional<TerminalSize> NextTerminalSize(ByteReader& resize, std::string& carry) {
  while (true) {
    size_t end = carry.find('}');
    if (end != std::string::npos) {
      size_t start = carry.find('{');
      std::string one = start < end ? carry.substr(start, end - start + 1) : std::string();
      carry.erase(0, end + 1);
      nlohmann::json j = nlohmann::json::parse(one, nullptr, false);
      if (j.is_discarded() || !j.is_object()) return std::nullopt;
      auto dim = [&](const char* key) -> int64_t {
        auto it = j.find(key);
        return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : -1;
      };
      int64_t w = dim("Width"), h = dim("Height");
      if (w < 0 || h < 0 || w > 0xFFFF || h > 0xFFFF) return std::nullopt;
      return TerminalSize{static_cast<uint16_t>(w), static_cast<uint16_t>(h)};
    }
    if (carry.size() > kMaxSizeMessage) return std::nullopt;
    char buf[256];
    Result<size_t> n = resize.Read(buf, sizeof buf);
    if (!n.ok() || *n == 0) return std::nullopt;
    carry.append(buf, *n);
  }
}

}  // namespace berth::streaming
