#include "pkg/oci/capabilities.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <set>
#include <string_view>

#include "pkg/base/quote.h"
#include "pkg/fs/atomic_file.h"
#include "pkg/oci/container_spec.h"

namespace berth::oci {
namespace {

// Indexed by the kernel's capability number (linux/capability.h).
constexpr std::array<std::string_view, 41> kCapabilities = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

constexpr std::array<std::string_view, 14> kDefaults = {
    "CHOWN",  "DAC_OVERRIDE", "FSETID",  "FOWNER",           "MKNOD",      "NET_RAW", "SETGID",
    "SETUID", "SETFCAP",      "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",    "AUDIT_WRITE",
};

// The highest capability number the running kernel knows; the whole table
// when that cannot be read.
int KernelLastCap() {
  int last = static_cast<int>(kCapabilities.size()) - 1;
  FILE* f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (f == nullptr) return last;
  int v = -1;
  if (fscanf(f, "%d", &v) != 1) v = -1;
  fclose(f);
  return (v >= 0 && v < last) ? v : last;
}

std::string Quote(const std::string& s) {
  return QuoteForMessage(s);
}

}  // namespace

std::optional<int> CapabilityNumber(const std::string& name) {
  if (name.size() > 64) return std::nullopt;
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string_view bare = upper;
  if (bare.starts_with("CAP_")) bare.remove_prefix(4);
  for (size_t i = 0; i < kCapabilities.size(); ++i) {
    if (kCapabilities[i] == bare) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::string CapabilityName(int number) {
  return "CAP_" + std::string(kCapabilities.at(static_cast<size_t>(number)));
}

int KnownCapabilityCount() {
  return static_cast<int>(kCapabilities.size());
}

Result<CapabilityMask> ParseHeldCapabilities(std::string_view status) {
  // "CapEff:\t000001fffeffffff"
  auto field = [&](std::string_view key) -> std::optional<CapabilityMask> {
    size_t pos = 0;
    while (pos < status.size()) {
      size_t end = status.find('\n', pos);
      std::string_view line = status.substr(pos, end == std::string_view::npos ? end : end - pos);
      pos = end == std::string_view::npos ? status.size() : end + 1;
      if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ':') continue;
      std::string_view hex = line.substr(key.size() + 1);
      while (!hex.empty() && (hex.front() == '\t' || hex.front() == ' ')) hex.remove_prefix(1);
      CapabilityMask v = 0;
      auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), v, 16);
      if (hex.empty() || ec != std::errc() || ptr != hex.data() + hex.size()) return std::nullopt;
      return v;
    }
    return std::nullopt;
  };
  std::optional<CapabilityMask> eff = field("CapEff"), bnd = field("CapBnd");
  if (!eff || !bnd)
    return InvalidArgument("process status has no readable CapEff and CapBnd lines");
  return *eff & *bnd;
}

CapabilityMask ProbeHeldCapabilities() {
  Result<std::string> status = ReadFile("/proc/self/status");
  if (!status.ok()) return kEveryCapability;
  Result<CapabilityMask> held = ParseHeldCapabilities(*status);
  return held.ok() ? *held : kEveryCapability;
}

std::vector<std::string> CapabilityNames(CapabilityMask mask) {
  std::vector<std::string> out;
  for (int i = 0; i <= KernelLastCap(); ++i) {
    if (mask & (CapabilityMask{1} << i)) out.push_back(CapabilityName(i));
  }
  return out;
}

std::vector<std::string> AllCapabilities(CapabilityMask held) {
  return CapabilityNames(held);
}

std::vector<std::string> DefaultCapabilities() {
  std::set<int> nums;
  for (auto c : kDefaults) nums.insert(*CapabilityNumber(std::string(c)));
  std::vector<std::string> out;
  for (int n : nums) out.push_back(CapabilityName(n));
  return out;
}

Result<std::vector<std::string>> EffectiveCapabilities(const runtime::v1::ContainerConfig& config,
                                                       const PodContext& pod, CapabilityMask held,
                                                       std::vector<std::string>* not_held) {
  const auto& sc = config.linux().security_context();
  const std::string who = "container " + Quote(config.metadata().name());
  if (sc.privileged()) {
    if (!pod.privileged) {
      return InvalidArgument(who +
                             ": security_context.privileged is set but the pod is not privileged");
    }
    return AllCapabilities(held);
  }
  // Collects the numbers of one list; "ALL" is reported through *all.
  auto parse = [&](const google::protobuf::RepeatedPtrField<std::string>& list, const char* field,
                   std::set<int>* nums, bool* all) -> Status {
    for (int i = 0; i < list.size(); ++i) {
      const std::string& name = list[i];
      std::string upper;
      for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (upper == "ALL") {
        *all = true;
        continue;
      }
      auto n = CapabilityNumber(name);
      if (!n) {
        return InvalidArgument(who + ": capabilities." + field + "[" + std::to_string(i) + "] " +
                               Quote(name) + " is not a known capability");
      }
      nums->insert(*n);
    }
    return OkStatus();
  };
  std::set<int> add, drop;
  bool add_all = false, drop_all = false;
  BERTH_RETURN_IF_ERROR(
      parse(sc.capabilities().add_capabilities(), "add_capabilities", &add, &add_all));
  BERTH_RETURN_IF_ERROR(
      parse(sc.capabilities().drop_capabilities(), "drop_capabilities", &drop, &drop_all));

  // Drops first, adds last: "drop ALL, add NET_BIND_SERVICE" keeps the one
  // added, and a capability in both lists stays (add wins).
  std::set<int> caps;
  for (const auto& c : DefaultCapabilities()) caps.insert(*CapabilityNumber(c));
  if (drop_all) caps.clear();
  for (int n : drop) caps.erase(n);
  if (add_all) {
    for (const auto& c : AllCapabilities(held)) caps.insert(*CapabilityNumber(c));
  }
  for (int n : add) caps.insert(n);
  // What the daemon does not hold it cannot hand on: asking would make the
  // runtime fail the whole container, so it is left out and reported.
  std::vector<std::string> out;
  for (int n : caps) {
    if (held & (CapabilityMask{1} << n)) {
      out.push_back(CapabilityName(n));
    } else if (not_held != nullptr) {
      not_held->push_back(CapabilityName(n));
    }
  }
  return out;
}

}  // namespace berth::oci
