// berth-gvisor-shim: what lets conmon monitor the containers of a gVisor pod.
//
// conmon expects `runtime create` to leave a host process that is the
// container: conmon reaps it for the exit code, and its stdio is the
// container's. A gVisor pod's first container (the infra) is such a process
// (the sandbox); its other containers live inside the sandbox's kernel, and
// runsc (20221219) gives them the stdio of `runsc start`, not of create. So
// conmon runs this shim as its runtime (runtime args: --berth-runsc=<runsc>
// then runsc's global flags, each as one "--flag=value" word):
//   * `create` of a pod's first container, and every other command: runsc,
//     exec'd as is.
//   * `create` of a later container: `runsc create`, then a starter process
//     forked in its place, which holds conmon's stdio and is what the pid file
//     names. It makes two fifos in the bundle and waits on the first:
//       runsc-start         "start\n" or "abandon\n" (berthd writes)
//       runsc-start.result  "ok\n" or "error <message>\n" (the starter writes)
//     On "start" it runs `runsc start` on conmon's stdio, reports, then runs
//     `runsc wait` and exits with the container's exit status (128+signal),
//     which conmon records. On "abandon" it exits 255 (never started).
//   A terminal container needs nothing more: runsc create hands conmon's
//   console socket the pty master, as runc does.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"

namespace berth::oci {

inline constexpr char kGvisorShimName[] = "berth-gvisor-shim";
inline constexpr char kGvisorStartFifo[] = "runsc-start";
inline constexpr char kGvisorStartResultFifo[] = "runsc-start.result";
// The shim's first argument: the runsc binary it drives.
inline constexpr char kGvisorShimRunscFlag[] = "--berth-runsc=";
// Exit status of a starter whose container was abandoned before its start.
inline constexpr int kGvisorShimAbandoned = 255;

// A helper program of berth's: $<env_var>, else `name` beside the running
// program, else in /usr/local/libexec/berth or /usr/libexec/berth; "" when
// there is none.
std::string FindBerthHelper(const char* name, const char* env_var);
// The shim binary (FindBerthHelper, $BERTH_GVISOR_SHIM).
std::string FindGvisorShim();

// berthd's side of the protocol. Asks the starter waiting in `bundle` to
// start its container and returns what it reports: the error carries runsc's
// message. NotFound when no starter was ever made there (a pod's first
// container: start it with runsc itself); FailedPrecondition when its starter
// is gone; DeadlineExceeded after `timeout`.
Status StartThroughGvisorShim(const std::string& bundle, std::chrono::milliseconds timeout);
// Tells a starter still waiting in `bundle` that its container is being
// deleted, so that it exits (and its conmon with it). A no-op otherwise.
void AbandonGvisorShim(const std::string& bundle);

// The shim's command line, as conmon runs it.
struct ShimArgs {
  std::string runsc;                 // from --berth-runsc=
  std::vector<std::string> globals;  // runsc's global flags, as given
  std::string command;               // "create", "delete", ...
  std::vector<std::string> command_args;
  // For create (parsed from command_args):
  std::string bundle, pid_file, id;
};
// InvalidArgument naming what is missing or malformed.
Result<ShimArgs> ParseShimArgs(const std::vector<std::string>& argv);

// `runsc wait` output ({"id": ..., "exitStatus": N}) -> N.
Result<int> ParseRunscWaitOutput(std::string_view text);
// The messages of runsc's error log lines (its --log-fd output, JSON or
// text), joined with "; "; "" when none.
std::string RunscLogErrors(std::string_view log);

}  // namespace berth::oci
