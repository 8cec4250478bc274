// Typed reads for the records pkg/image keeps on disk (image records, layer
// meta.json), which may have been damaged or edited between restarts.
// nlohmann's get<uint64_t>() turns -1 into 2^64-1 and 1.5 into 1 without a
// word; these reads refuse both. Errors are thrown as std::invalid_argument
// for the record parser's own catch, which names the record.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "nlohmann/json.hpp"

namespace berth::image::internal {

// Member `key` of `obj` as a byte count: a JSON integer that is not negative.
// An absent member is `fallback` when `required` is false.
inline uint64_t ByteCountMember(const nlohmann::json& obj, const char* key, bool required,
                                uint64_t fallback = 0) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) throw std::invalid_argument(std::string("\"") + key + "\" is missing");
    return fallback;
  }
  if (!it->is_number_unsigned()) {
    throw std::invalid_argument(std::string("\"") + key + "\" is not a byte count");
  }
  return it->get<uint64_t>();
}

}  // namespace berth::image::internal
