// CapabilitySet: the container capabilities a seccomp rule may be gated on.
//
// Names are accepted with or without the "CAP_" prefix and in any case
// ("sys_admin", "CAP_SYS_ADMIN"), as CRI clients send both; "ALL" holds every
// capability. Unknown names are kept but gate nothing the profiles know of.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace berth::seccomp {

class CapabilitySet {
 public:
  CapabilitySet() = default;
  explicit CapabilitySet(const std::vector<std::string>& names);

  // Whether the set holds `cap` (canonical form, e.g. "CAP_SYS_ADMIN").
  bool Has(std::string_view cap) const;

  // "CAP_SYS_ADMIN" for "sys_admin", "CAP_SYS_ADMIN" or "Cap_Sys_Admin".
  static std::string Canonical(std::string_view name);

 private:
  bool all_ = false;
  std::set<std::string, std::less<>> caps_;
};

}  // namespace berth::seccomp
