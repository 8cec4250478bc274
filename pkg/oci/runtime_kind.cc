#include "pkg/oci/runtime_kind.h"

#include "pkg/oci/gvisor_shim.h"  // kGvisorShimAbandoned
#include "pkg/oci/linux_signals.h"
#include "pkg/oci/runtime_cli.h"  // CleanRuntimeError
#include "pkg/process/run.h"

namespace berth::oci {

std::string_view RuntimeKindName(RuntimeKind kind) {
  switch (kind) {
    case RuntimeKind::kGvisor:
      return "gvisor";
    case RuntimeKind::kRuncCompatible:
      break;
  }
  return "runc-compatible";
}

std::vector<std::string> RuntimeKindGlobalFlags(RuntimeKind kind) {
  if (kind == RuntimeKind::kGvisor) return {"--oci-seccomp"};
  return {};
}

const std::string& OomCgroupOwnerId(RuntimeKind kind, const std::string& container_id,
                                    const std::string& sandbox_id) {
  return kind == RuntimeKind::kGvisor ? sandbox_id : container_id;
}

OomVerdict JudgeOomKill(RuntimeKind kind, int recorded_exit_code, bool cgroup_saw_oom_kill) {
  constexpr int kSigkillExitCode = 128 + linux_signal::kKill;
  if (!cgroup_saw_oom_kill) return {false, recorded_exit_code, ""};
  if (kind == RuntimeKind::kRuncCompatible) {
    return {true, recorded_exit_code, "the container exceeded its memory limit"};
  }
  if (recorded_exit_code == kGvisorShimAbandoned || recorded_exit_code == kSigkillExitCode) {
    return {true, kSigkillExitCode,
            "the pod's gVisor sandbox exceeded the pod cgroup's memory limit and was OOM killed"};
  }
  return {false, recorded_exit_code, ""};
}

RuntimeIdentity ParseVersionOutput(std::string_view text) {
  RuntimeIdentity id;
  size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return id;
  std::string_view line = text.substr(b, text.find('\n', b) - b);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  id.version = std::string(line.substr(0, 200));
  // Only the program's own word counts: "runsc version X" (runc prints
  // "runc version X", crun "crun version X").
  std::string_view first = line.substr(0, line.find(' '));
  if (first == "runsc") id.kind = RuntimeKind::kGvisor;
  return id;
}

Result<RuntimeIdentity> ProbeRuntimeIdentity(const std::string& path) {
  process::RunOptions run;
  run.argv = {path, "--version"};
  run.timeout = std::chrono::seconds(10);
  run.stdout_limit = run.stderr_limit = 64 << 10;
  auto r = process::RunToCompletion(run);
  if (!r.ok()) return r.status().WithContext("probe runtime " + path);
  if (!r->success()) {
    std::string msg = CleanRuntimeError(r->err);
    return Internal("probe runtime " + path + ": --version failed (" + r->Describe() + ")" +
                    (msg.empty() ? "" : ": " + msg));
  }
  return ParseVersionOutput(r->out);
}

}  // namespace berth::oci
