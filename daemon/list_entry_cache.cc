#include "daemon/list_entry_cache.h"

#include <cstdint>

namespace berth::daemon {

namespace {

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

}  // namespace

void AppendEmbeddedMessage(int field, const google::protobuf::MessageLite& message,
                           std::string* out) {
  constexpr uint64_t kLengthDelimited = 2;  // the wire type of strings and messages
  AppendVarint((static_cast<uint64_t>(field) << 3) | kLengthDelimited, out);
  AppendVarint(message.ByteSizeLong(), out);
  message.AppendPartialToString(out);
}

}  // namespace berth::daemon
