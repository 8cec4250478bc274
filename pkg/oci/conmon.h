// ConmonDriver: creates containers through conmon, one conmon per container,
// the way CRI-O drives it (conmon API version 1).
//
// Protocol, as conmon 2.1 implements it:
//  * conmon reads the fd named by _OCI_STARTPIPE once before doing anything
//    (the parent may move it into a cgroup first); we write it up front.
//  * conmon forks: the first process writes the daemon's pid to
//    --conmon-pidfile and exits; the daemon runs `<runtime> [runtime args]
//    create --bundle B --pid-file P <cid>` and reports on the fd named by
//    _OCI_SYNCPIPE one JSON line: {"data": <container pid>} on success,
//    {"data": -1, "message": "<runtime stderr>"} on failure (no line at all
//    when the runtime failed silently: the pipe just closes).
//  * when the container exits, conmon writes its exit code as decimal text
//    to <exit-dir>/<cid> (and <persist-dir>/exit), see exit_file.h.
//  * with --full-attach the attach socket is <bundle>/attach; the control
//    fifo <bundle>/ctl takes lines "<type> <h> <w>\n": 1 = resize the
//    terminal, 2 = reopen the log files.
// The container is then created, not started: call OciRuntime::Start.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/oci/runtime_cli.h"

namespace berth::oci {

struct ConmonConfig {
  std::string conmon_path = "/usr/bin/conmon";
  std::string log_level = "info";  // conmon's --log-level
  bool syslog = false;
  // How long runtime create may take before conmon and the runtime are killed.
  std::chrono::milliseconds create_timeout{std::chrono::seconds(60)};
  // What conmon runs for a gVisor runtime (gvisor_shim.h); "" = FindGvisorShim().
  std::string gvisor_shim;
};

struct ConmonCreateRequest {
  std::string id;                 // container ID (--cid, also --cuuid)
  std::string name;               // for conmon's log lines (--name)
  std::string bundle;             // holds config.json; ctl/attach are created here
  std::string container_pidfile;  // runtime writes the container pid here
  std::string conmon_pidfile;     // conmon writes its own pid here
  std::string log_path;           // CRI log (k8s-file format)
  std::string exit_dir;           // conmon writes <exit_dir>/<id>
  std::string persist_dir;        // conmon writes <persist_dir>/exit
  std::string socket_dir;         // --socket-dir-path (unused with full attach)
  bool terminal = false;
  bool stdin = false;
  bool stdin_once = false;  // !stdin_once => --leave-stdin-open
  bool no_pivot = false;
  int64_t log_size_max = -1;  // bytes; -1 = unlimited
};

struct ConmonCreated {
  pid_t container_pid = 0;
  pid_t conmon_pid = 0;
};

// The argv used to start conmon (exposed for tests and debug logs). A gVisor
// runtime is run through berth-gvisor-shim (see gvisor_shim.h).
std::vector<std::string> BuildConmonArgv(const ConmonConfig& config, const OciRuntime& runtime,
                                         const ConmonCreateRequest& req);

class ConmonDriver {
 public:
  explicit ConmonDriver(ConmonConfig config) : config_(std::move(config)) {}

  // Runs conmon and waits for runtime create. On failure nothing is left
  // behind: conmon is gone and the runtime state deleted. Errors: runtime
  // create failed (Internal, carrying the runtime's message), timed out
  // (DeadlineExceeded), conmon could not start (Internal).
  Result<ConmonCreated> Create(const OciRuntime& runtime, const ConmonCreateRequest& req) const;

  // Asks conmon to reopen the container's log file (after rotation) and
  // returns once `log_path` exists again. FailedPrecondition when no conmon
  // listens on the bundle's ctl fifo; DeadlineExceeded when the file does not
  // appear within `timeout`.
  static Status ReopenLog(const std::string& bundle, const std::string& log_path,
                          std::chrono::milliseconds timeout);
  static Status ResizeTerminal(const std::string& bundle, uint16_t height, uint16_t width);

  static std::string AttachSocketPath(const std::string& bundle) { return bundle + "/attach"; }
  static std::string CtlFifoPath(const std::string& bundle) { return bundle + "/ctl"; }

 private:
  ConmonConfig config_;
};

// Parses one sync-pipe line. Positive pid on success; error otherwise.
Result<pid_t> ParseSyncMessage(std::string_view line, const std::string& runtime_name,
                               const std::string& id);

// Reads a pid file ("1234" with optional newline).
Result<pid_t> ReadPidFile(const std::string& path);

}  // namespace berth::oci
