#include "pkg/seccomp/capability_set.h"

#include <cctype>

namespace berth::seccomp {

std::string CapabilitySet::Canonical(std::string_view name) {
  std::string upper;
  upper.reserve(name.size() + 4);
  for (char c : name)
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (upper.rfind("CAP_", 0) != 0) upper.insert(0, "CAP_");
  return upper;
}

CapabilitySet::CapabilitySet(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    std::string canonical = Canonical(name);
    if (canonical == "CAP_ALL") all_ = true;
    caps_.insert(std::move(canonical));
  }
}

bool CapabilitySet::Has(std::string_view cap) const {
  return all_ || caps_.find(cap) != caps_.end();
}

}  // namespace berth::seccomp
