// BerthdProcess: a real berthd started with a temporary root, runroot, socket
// and config, plus gRPC stubs to talk to it. Integration tests need root;
// RequireRoot() fails the test loudly otherwise (never a silent skip).
#pragma once

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/v1/api.grpc.pb.h"
#include "test/integration/harness/berthd_config.h"
#include "test/integration/harness/spawn.h"

namespace berth::testing {

// Fails the current test (fatal) when not running as root.
void RequireRoot();

// Path of a binary built by this tree (BERTH_BINARY_DIR/...).
std::string BuiltBinary(const std::string& relative);

// Mount points at or under `base` (pkg/fs's mountinfo), deepest first: the
// order they can be unmounted in.
std::vector<std::string> MountPointsUnder(const std::string& base);

// A fresh directory <$TMPDIR or /tmp>/<prefix>-XXXXXX, removed with all it
// holds (mounts under it detached first) when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "berth-it");
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string output;  // stdout + stderr
};

// Runs argv to completion (no shell), capturing combined output.
ProcessResult RunCommand(const std::vector<std::string>& argv,
                         std::chrono::seconds timeout = std::chrono::seconds(60));

class BerthdProcess {
 public:
  // The config's choices over a generated config whose root, runroot,
  // listen, cni conf_dir and shutdown_file point into a fresh temporary
  // directory (berthd_config.h).
  explicit BerthdProcess(const BerthdConfig& config);
  // Shorthand: only `extra_yaml` appended.
  explicit BerthdProcess(std::string extra_yaml = "")
      : BerthdProcess(BerthdConfig{.extra_yaml = std::move(extra_yaml)}) {}
  ~BerthdProcess();

  // Starts berthd and waits until its socket answers (or fails the test).
  // A BerthdProcess may be started again after it stopped (same root).
  void Start();
  // Environment for the next Start() (e.g. BERTH_CRASH_POINT); "" unsets.
  void SetEnv(const std::string& key, const std::string& value);
  // Waits for berthd to exit on its own; returns its exit status (-1: signal).
  int WaitExit(std::chrono::seconds timeout = std::chrono::seconds(60));
  // Starts berthd expecting it to exit; returns its exit code and output.
  ProcessResult RunToExit(const std::vector<std::string>& extra_args = {});
  // Sends a signal and waits for exit; returns the exit status (-1: signal death).
  int StopWith(int sig, std::chrono::seconds timeout = std::chrono::seconds(30));
  // Reads what berthd logged so far.
  std::string Log() const;
  // Removals finish after their answer (daemon/removal_reaper.h): waits until
  // no bundle under berthd's root is marked ".removing" or moved aside as
  // ".trash-*". False on timeout (a removal that failed to finish).
  bool WaitRemovalsFinished(std::chrono::seconds timeout = std::chrono::seconds(60)) const;

  pid_t pid() const { return pid_; }
  const std::string& socket_path() const { return socket_; }
  const std::string& config_path() const { return config_path_; }
  const TempDir& dir() const { return dir_; }
  std::string endpoint() const { return "unix://" + socket_; }

  runtime::v1::RuntimeService::Stub& runtime();
  runtime::v1::ImageService::Stub& image();

 private:
  std::vector<std::string> Argv(const std::vector<std::string>& extra) const;

  TempDir dir_;
  std::string socket_, config_path_, log_path_;
  pid_t pid_ = -1;
  std::vector<std::pair<std::string, std::string>> env_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<runtime::v1::ImageService::Stub> image_;
};

// Upstream crictl (../shared/tools/crictl beside the checkout).
std::string CrictlPath();
// Runs crictl against `d` (runtime and image endpoint), with crictl's own
// --timeout set to `timeout`.
ProcessResult RunCrictl(const BerthdProcess& d, const std::vector<std::string>& args,
                        std::chrono::seconds timeout = std::chrono::seconds(60));

// A client context with a deadline, for every test RPC.
std::unique_ptr<grpc::ClientContext> Ctx(std::chrono::seconds timeout = std::chrono::seconds(30));

}  // namespace berth::testing
