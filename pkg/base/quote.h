// Untrusted strings (from a pod spec, an image, a registry, a child's
// output) made safe for an error message or a log line: nothing in them can
// forge a line, a field or a terminal escape, and their length is bounded.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace berth {

// Printable ASCII kept, '"' and '\' escaped with a backslash, every other
// byte written as \xNN; only the first `max_len` bytes are used, and "..."
// marks a cut.
std::string EscapeForMessage(std::string_view s, size_t max_len = 200);

// EscapeForMessage in double quotes: a\nb"c -> "a\x0ab\"c".
std::string QuoteForMessage(std::string_view s, size_t max_len = 200);

}  // namespace berth
