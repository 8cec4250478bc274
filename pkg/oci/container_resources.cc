// ResourcesToOci: CRI LinuxContainerResources -> OCI linux.resources.
#include <string_view>

#include "pkg/base/quote.h"
#include "pkg/oci/container_spec.h"

namespace berth::oci {
namespace {

using nlohmann::json;

// "0-3,7": what cpuset.cpus / cpuset.mems accept.
bool IsCpuList(std::string_view s) {
  if (s.size() > 4096) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == ',' || c == '-')) return false;
  }
  return true;
}

// "2MB", "1GB", "64KB": the hugetlb page size names the kubelet sends.
bool IsHugepageSize(std::string_view s) {
  if (s.size() < 3 || s.size() > 16) return false;
  std::string_view unit = s.substr(s.size() - 2);
  if (unit != "KB" && unit != "MB" && unit != "GB") return false;
  std::string_view num = s.substr(0, s.size() - 2);
  if (num.empty() || num[0] == '0') return false;
  for (char c : num) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A cgroup v2 file name ("memory.high"): no path tricks.
bool IsUnifiedKey(std::string_view k) {
  if (k.empty() || k.size() > 128 || k[0] == '.') return false;
  for (char c : k) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-')) {
      return false;
    }
  }
  return k.find('.') != std::string_view::npos && k.find("..") == std::string_view::npos;
}

bool IsUnifiedValue(std::string_view v) {
  if (v.size() > 4096) return false;
  for (char c : v) {
    if (static_cast<unsigned char>(c) < 0x20 && c != ' ') return false;
  }
  return true;
}

Status Negative(const char* field, int64_t v) {
  return InvalidArgument(std::string("resources.") + field + " " + std::to_string(v) +
                         " is negative");
}

}  // namespace

Result<json> ResourcesToOci(const runtime::v1::LinuxContainerResources& r) {
  json out = json::object();

  // Zero means "not set" for every CRI number here.
  json cpu = json::object();
  if (r.cpu_shares() < 0) return Negative("cpu_shares", r.cpu_shares());
  if (r.cpu_shares() > 0) cpu["shares"] = static_cast<uint64_t>(r.cpu_shares());
  // -1 is "no quota".
  if (r.cpu_quota() < -1) return Negative("cpu_quota", r.cpu_quota());
  if (r.cpu_quota() != 0) cpu["quota"] = r.cpu_quota();
  if (r.cpu_period() < 0) return Negative("cpu_period", r.cpu_period());
  if (r.cpu_period() > 0) cpu["period"] = static_cast<uint64_t>(r.cpu_period());
  if (!IsCpuList(r.cpuset_cpus())) {
    return InvalidArgument("resources.cpuset_cpus " + QuoteForMessage(r.cpuset_cpus()) +
                           " is not a CPU list");
  }
  if (!r.cpuset_cpus().empty()) cpu["cpus"] = r.cpuset_cpus();
  if (!IsCpuList(r.cpuset_mems())) {
    return InvalidArgument("resources.cpuset_mems " + QuoteForMessage(r.cpuset_mems()) +
                           " is not a memory node list");
  }
  if (!r.cpuset_mems().empty()) cpu["mems"] = r.cpuset_mems();
  if (!cpu.empty()) out["cpu"] = cpu;

  json memory = json::object();
  if (r.memory_limit_in_bytes() < 0)
    return Negative("memory_limit_in_bytes", r.memory_limit_in_bytes());
  if (r.memory_limit_in_bytes() > 0) memory["limit"] = r.memory_limit_in_bytes();
  // OCI swap is memory plus swap; -1 is unlimited.
  int64_t swap = r.memory_swap_limit_in_bytes();
  if (swap < -1) return Negative("memory_swap_limit_in_bytes", swap);
  if (swap > 0 && r.memory_limit_in_bytes() > 0 && swap < r.memory_limit_in_bytes()) {
    return InvalidArgument("resources.memory_swap_limit_in_bytes " + std::to_string(swap) +
                           " is below memory_limit_in_bytes " +
                           std::to_string(r.memory_limit_in_bytes()) +
                           " (it counts memory plus swap)");
  }
  if (swap != 0) memory["swap"] = swap;
  if (!memory.empty()) out["memory"] = memory;

  if (r.hugepage_limits_size() > 0) {
    json pages = json::array();
    for (int i = 0; i < r.hugepage_limits_size(); ++i) {
      const auto& h = r.hugepage_limits(i);
      if (!IsHugepageSize(h.page_size())) {
        return InvalidArgument("resources.hugepage_limits[" + std::to_string(i) + "].page_size " +
                               QuoteForMessage(h.page_size()) +
                               " is not a page size such as \"2MB\" or \"1GB\"");
      }
      pages.push_back({{"pageSize", h.page_size()}, {"limit", h.limit()}});
    }
    out["hugepageLimits"] = pages;
  }

  if (!r.unified().empty()) {
    json unified = json::object();
    for (const auto& [k, v] : r.unified()) {
      if (!IsUnifiedKey(k)) {
        return InvalidArgument("resources.unified key " + QuoteForMessage(k) +
                               " is not a cgroup v2 file name");
      }
      if (!IsUnifiedValue(v)) {
        return InvalidArgument("resources.unified[" + QuoteForMessage(k) + "] value " +
                               QuoteForMessage(v) + " holds control characters");
      }
      unified[k] = v;
    }
    out["unified"] = unified;
  }
  return out;
}

}  // namespace berth::oci
