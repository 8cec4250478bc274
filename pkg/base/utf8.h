// UTF-8 validation: protobuf strings and JSON output must be valid UTF-8, and
// text from an image or a pod spec may not be.
#pragma once

#include <string_view>

namespace berth {

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code
// points past U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace berth
