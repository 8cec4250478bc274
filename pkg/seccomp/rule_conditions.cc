#include "pkg/seccomp/rule_conditions.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "pkg/seccomp/libseccomp_names.h"
#include "pkg/seccomp/profile_json.h"

namespace berth::seccomp {
namespace {

using nlohmann::json;

// A capability as profiles spell it: CAP_ followed by upper-case letters,
// digits and '_'.
bool IsCapabilityName(std::string_view name) {
  if (name.size() <= 4 || name.size() > 64 || name.substr(0, 4) != "CAP_") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isupper(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool ParseInt(std::string_view text, int* out) {
  if (text.empty() || text.size() > 6) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::optional<KernelVersion> ParseKernelVersion(std::string_view text, bool exact) {
  size_t dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  size_t end = dot + 1;
  while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
  if (exact && end != text.size()) return std::nullopt;
  KernelVersion version;
  if (!ParseInt(text.substr(0, dot), &version.major) ||
      !ParseInt(text.substr(dot + 1, end - dot - 1), &version.minor)) {
    return std::nullopt;
  }
  return version;
}

KernelVersion RunningKernel() {
  struct utsname uts {};
  if (::uname(&uts) != 0) return {};
  return ParseKernelVersion(uts.release, /*exact=*/false).value_or(KernelVersion{});
}

Result<RuleFilter> ParseRuleFilter(const json& value, const std::string& where) {
  RuleFilter filter;
  if (value.is_null()) return filter;
  BERTH_RETURN_IF_ERROR(CheckObject(value, where, {"caps", "arches", "minKernel"}));
  if (auto it = value.find("caps"); it != value.end() && !it->is_null()) {
    BERTH_RETURN_IF_ERROR(CheckArray(*it, where + ".caps"));
    for (size_t i = 0; i < it->size(); ++i) {
      const json& cap = (*it)[i];
      const std::string item = where + ".caps[" + std::to_string(i) + "]";
      if (!cap.is_string() || !IsCapabilityName(cap.get_ref<const std::string&>())) {
        return InvalidArgument(item + " " + Describe(cap) + " is not a capability name");
      }
      filter.caps.push_back(cap.get<std::string>());
    }
  }
  if (auto it = value.find("arches"); it != value.end() && !it->is_null()) {
    BERTH_RETURN_IF_ERROR(CheckArray(*it, where + ".arches"));
    for (size_t i = 0; i < it->size(); ++i) {
      const json& arch = (*it)[i];
      const std::string item = where + ".arches[" + std::to_string(i) + "]";
      uint32_t token =
          arch.is_string() ? ConditionArchToken(arch.get_ref<const std::string&>()) : 0;
      if (token == 0)
        return InvalidArgument(item + " " + Describe(arch) + " is not a known architecture");
      filter.arches.push_back(token);
    }
  }
  if (auto it = value.find("minKernel"); it != value.end() && !it->is_null()) {
    std::optional<KernelVersion> version;
    if (it->is_string())
      version = ParseKernelVersion(it->get_ref<const std::string&>(), /*exact=*/true);
    if (!version) {
      return InvalidArgument(where + ".minKernel " + Describe(*it) +
                             " is not a kernel version (major.minor)");
    }
    filter.min_kernel = version;
  }
  return filter;
}

bool RuleApplies(const RuleFilter& includes, const RuleFilter& excludes,
                 const ConditionContext& context) {
  auto native_listed = [&](const std::vector<uint32_t>& arches) {
    return std::find(arches.begin(), arches.end(), context.native_arch) != arches.end();
  };
  for (const std::string& cap : includes.caps) {
    if (!context.capabilities.Has(cap)) return false;
  }
  if (!includes.arches.empty() && !native_listed(includes.arches)) return false;
  if (includes.min_kernel && context.kernel < *includes.min_kernel) return false;

  for (const std::string& cap : excludes.caps) {
    if (context.capabilities.Has(cap)) return false;
  }
  if (!excludes.arches.empty() && native_listed(excludes.arches)) return false;
  if (excludes.min_kernel && context.kernel >= *excludes.min_kernel) return false;
  return true;
}

}  // namespace berth::seccomp
