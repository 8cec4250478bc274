#include "daemon/list_entry_cache.h"

#include <google/protobuf/io/coded_stream.h>

#include <cstdint>

namespace berth::daemon {

void AppendLengthDelimited(int field, std::string_view bytes, std::string* out) {
  using google::protobuf::io::CodedOutputStream;
  constexpr uint32_t kLengthDelimited = 2;  // the wire type of strings and messages
  uint8_t head[10];                         // two varints of at most 5 bytes each
  uint8_t* end = CodedOutputStream::WriteTagToArray(
      (static_cast<uint32_t>(field) << 3) | kLengthDelimited, head);
  end = CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(bytes.size()), end);
  out->append(reinterpret_cast<const char*>(head), static_cast<size_t>(end - head));
  out->append(bytes);
}

}  // namespace berth::daemon
