// The names a seccomp profile is written in (SCMP_ACT_*, SCMP_ARCH_*,
// SCMP_CMP_*, syscall names) and their meaning to the local libseccomp.
//
// runc resolves these names with the same library, so checking them here turns
// a typo into a clear CreateContainer error instead of a runtime failure or a
// silently skipped rule.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth::seccomp {

// The runtime-spec action names (SCMP_ACT_KILL, ..., SCMP_ACT_NOTIFY).
bool IsKnownAction(std::string_view action);
// Actions that carry an errno (or trace message) number: ERRNO and TRACE.
bool ActionTakesErrno(std::string_view action);
// The runtime-spec comparison operators (SCMP_CMP_NE, ..., SCMP_CMP_MASKED_EQ).
bool IsKnownOperator(std::string_view op);
// The runtime-spec seccomp(2) filter flags (SECCOMP_FILTER_FLAG_*).
bool IsKnownFilterFlag(std::string_view flag);

// libseccomp's token for an OCI architecture name ("SCMP_ARCH_X86_64"), or 0
// when the name is malformed or the local libseccomp does not know it.
uint32_t ArchToken(std::string_view oci_name);
// libseccomp's token for a docker-style condition arch: an OCI name or a Go /
// kernel name ("amd64", "arm64", "x86_64", "386", "x32", ...); 0 if unknown.
uint32_t ConditionArchToken(std::string_view name);

// This machine's architecture as an OCI name ("SCMP_ARCH_X86_64").
std::string NativeArchName();
uint32_t NativeArchToken();
// The native architecture followed by the compat ones whose binaries it runs
// (x86_64: X86 and X32; aarch64: ARM; ...), all known to the local libseccomp.
std::vector<std::string> NativeArchitectures();

// Whether libseccomp knows `name` as a syscall on `arch_token` (0 = native).
// Names that exist on other architectures only (e.g. socketcall on x86_64)
// count as known: libseccomp maps them to pseudo numbers and skips them.
bool IsKnownSyscall(std::string_view name, uint32_t arch_token = 0);

}  // namespace berth::seccomp
