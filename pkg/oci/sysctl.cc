#include "pkg/oci/sysctl.h"

#include <string_view>
#include <vector>

#include "pkg/base/quote.h"

namespace berth::oci {
namespace {

constexpr size_t kMaxNameLen = 256;
constexpr size_t kMaxValueLen = 4096;

enum class Scope { kNone, kIpc, kNet };

// Both "net.ipv4.ip_forward" and "net/ipv4/ip_forward" are accepted spellings;
// returns the dotted form, or empty when a component is empty (which also
// rules out "..", leading and trailing separators).
std::string Normalize(std::string_view name) {
  std::string out;
  std::string component;
  auto flush = [&]() -> bool {
    if (component.empty()) return false;
    if (!out.empty()) out += '.';
    out += component;
    component.clear();
    return true;
  };
  for (char c : name) {
    if (c == '.' || c == '/') {
      if (!flush()) return "";
    } else {
      component += c;
    }
  }
  if (!flush()) return "";
  return out;
}

Scope ScopeOf(const std::string& dotted) {
  auto starts = [&](std::string_view p) { return dotted.starts_with(p); };
  if (starts("kernel.shm") || starts("kernel.msg") || dotted == "kernel.sem" ||
      starts("fs.mqueue.")) {
    return Scope::kIpc;
  }
  if (starts("net.")) return Scope::kNet;
  return Scope::kNone;
}

}  // namespace

Status ValidateSysctls(const std::map<std::string, std::string>& sysctls, bool has_own_netns,
                       bool has_own_ipc) {
  for (const auto& [name, value] : sysctls) {
    std::string what = "sysctl " + QuoteForMessage(name);
    if (name.empty() || name.size() > kMaxNameLen) {
      return InvalidArgument(what + ": name must be 1 to 256 characters");
    }
    for (char c : name) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                c == '/' || c == '-';
      if (!ok) {
        return InvalidArgument(what + ": name may only contain [a-z0-9_./-]");
      }
    }
    std::string dotted = Normalize(name);
    if (dotted.empty()) return InvalidArgument(what + ": name has an empty component");
    if (value.size() > kMaxValueLen) return InvalidArgument(what + ": value is too long");
    for (unsigned char c : value) {
      // Spaces and tabs separate fields of multi-value sysctls
      // ("1024 65000"); '=' and '+' and control characters would let the value
      // be read as further "key=value" entries by a runtime or tool.
      if ((c < 0x20 && c != '\t') || c == 0x7f || c == '=' || c == '+') {
        return InvalidArgument(what + ": value " + QuoteForMessage(value) +
                               " contains a forbidden character (control character, '=' or '+')");
      }
    }
    switch (ScopeOf(dotted)) {
      case Scope::kNone:
        return InvalidArgument(what + " is not a namespaced sysctl a pod may set");
      case Scope::kIpc:
        if (!has_own_ipc) {
          return InvalidArgument(what + " needs the pod's own IPC namespace (pod uses the host's)");
        }
        break;
      case Scope::kNet:
        if (!has_own_netns) {
          return InvalidArgument(what +
                                 " needs the pod's own network namespace (pod uses the host's)");
        }
        break;
    }
  }
  return OkStatus();
}

}  // namespace berth::oci
