// berth's own annotations in a bundle's config.json (the record restore
// rebuilds objects from): one prefix, which pods and containers may not use.
// The keys of each kind live with their record (sandbox_record.cc,
// container_record.cc).
#pragma once

#include <string>
#include <string_view>

namespace berth::daemon {

inline constexpr char kInternalAnnotationPrefix[] = "io.berth.internal.";

inline std::string InternalAnnotation(std::string_view name) {
  return std::string(kInternalAnnotationPrefix) + std::string(name);
}

inline bool IsInternalAnnotation(std::string_view key) {
  return key.starts_with(kInternalAnnotationPrefix);
}

}  // namespace berth::daemon
