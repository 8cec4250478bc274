#include "pkg/seccomp/libseccomp_names.h"

#include <seccomp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace berth::seccomp {
namespace {

constexpr std::array<std::string_view, 9> kActions = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
};

constexpr std::array<std::string_view, 7> kOperators = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

constexpr std::array<std::string_view, 4> kFilterFlags = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

// Every OCI architecture name the runtime-spec lists; the native one is found
// by asking libseccomp which of these it is.
constexpr std::array<std::string_view, 19> kOciArches = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
};

// A native architecture and the compat ones the kernel runs binaries of.
struct CompatArches {
  std::string_view native;
  std::array<std::string_view, 2> compat;  // empty entries unused
};
constexpr std::array<CompatArches, 5> kCompat = {{
    {"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
    {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM", ""}},
    {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390", ""}},
    {"SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}},
    {"SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
}};

// Go (GOARCH) names used by docker-style includes/excludes, mapped to
// libseccomp's own names.
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kGoArches = {{
    {"amd64", "x86_64"},
    {"386", "x86"},
    {"arm64", "aarch64"},
    {"mipsle", "mipsel"},
    {"mips64le", "mipsel64"},
    {"mips64p32", "mips64n32"},
    {"mips64p32le", "mipsel64n32"},
    {"loong64", "loongarch64"},
}};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// libseccomp resolves lower-case kernel names ("x86_64"); only letters, digits
// and '_' are passed on, so hostile input never reaches it unchecked.
uint32_t ResolveLibseccompArch(std::string_view name) {
  if (name.empty() || name.size() > 32) return 0;
  std::string lower;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return 0;
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (lower == "native") return 0;  // SCMP_ARCH_NATIVE is not a real architecture
  return seccomp_arch_resolve_name(lower.c_str());
}

}  // namespace

bool IsKnownAction(std::string_view action) {
  return Contains(kActions, action);
}

bool ActionTakesErrno(std::string_view action) {
  return action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRACE";
}

bool IsKnownOperator(std::string_view op) {
  return Contains(kOperators, op);
}

bool IsKnownFilterFlag(std::string_view flag) {
  return Contains(kFilterFlags, flag);
}

uint32_t ArchToken(std::string_view oci_name) {
  constexpr std::string_view kPrefix = "SCMP_ARCH_";
  if (oci_name.substr(0, kPrefix.size()) != kPrefix) return 0;
  std::string_view rest = oci_name.substr(kPrefix.size());
  // Upper case only, as libseccomp and runc spell them.
  for (char c : rest) {
    if (std::islower(static_cast<unsigned char>(c))) return 0;
  }
  return ResolveLibseccompArch(rest);
}

uint32_t ConditionArchToken(std::string_view name) {
  if (uint32_t token = ArchToken(name)) return token;
  for (const auto& [go_name, libseccomp_name] : kGoArches) {
    if (name == go_name) return ResolveLibseccompArch(libseccomp_name);
  }
  for (char c : name) {
    if (std::isupper(static_cast<unsigned char>(c))) return 0;
  }
  return ResolveLibseccompArch(name);
}

uint32_t NativeArchToken() {
  return seccomp_arch_native();
}

std::string NativeArchName() {
  const uint32_t native = NativeArchToken();
  for (std::string_view name : kOciArches) {
    if (ArchToken(name) == native) return std::string(name);
  }
  return {};  // an architecture the runtime-spec does not name: leave it implicit
}

std::vector<std::string> NativeArchitectures() {
  std::vector<std::string> out;
  const std::string native = NativeArchName();
  if (native.empty()) return out;
  out.push_back(native);
  for (const CompatArches& entry : kCompat) {
    if (entry.native != native) continue;
    for (std::string_view compat : entry.compat) {
      if (!compat.empty() && ArchToken(compat) != 0) out.emplace_back(compat);
    }
  }
  return out;
}

bool IsKnownSyscall(std::string_view name, uint32_t arch_token) {
  // Syscall names are short lower-case identifiers; anything else is not one.
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  const std::string owned(name);
  const uint32_t arch = arch_token == 0 ? SCMP_ARCH_NATIVE : arch_token;
  return seccomp_syscall_resolve_name_arch(arch, owned.c_str()) != __NR_SCMP_ERROR;
}

}  // namespace berth::seccomp
