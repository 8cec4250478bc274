// Shared by the restore tests: a berthd on a private bridge network with its
// own runc state root and the local test registry, CRI helpers for pods and
// containers, restarts, and a leak census of everything a pod or container
// may leave on the host (the sandbox census plus containers, quarantine and
// the image store's temporary directories).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "pkg/fs/dir.h"
#include "test/integration/sandbox/sandbox_env.h"

namespace berth::testing {

class RestoreFixture : public SandboxFixture {
 protected:
  void TearDown() override;

  // Starts berthd on a fresh private network with runc alone (state root
  // RuncRoot()), the test registries, and `extra_yaml`; `crash_point`, when
  // set, is armed for this first start. `runtimes_yaml` replaces the default
  // runtimes block when non-empty.
  void StartRestoreDaemon(const std::string& crash_point = "",
                          const std::string& runtimes_yaml = "");
  // Stops berthd with SIGTERM (a clean stop: containers keep running).
  void StopDaemon();
  // Starts the same berthd again (same root), with no crash point armed.
  void Restart();
  // Expects berthd to die at its crash point: exit status 86.
  void ExpectCrashed(const std::string& point);
  // Drives the operation of crash point `point` (its name before the '/':
  // sandbox-run, container-stop, ...) on a pod named crash-pod with `worker`
  // as its container, until berthd dies at the armed point; expects the call
  // that reached it to fail, unless the point comes after the answer (a
  // "reap-" point). A FAIL names an operation without a driver.
  void DriveToCrash(const std::string& point, const rt::ContainerConfig& worker);

  static std::string BusyboxRef();
  void PullBusybox();

  // A pod on the test network (or the host network) named `name`.
  std::string RunPodOk(const std::string& name, bool host_network = false);
  rt::ContainerConfig Config(const std::string& name, std::vector<std::string> cmd);
  // A container that sleeps until SIGTERM, then exits with `code`.
  rt::ContainerConfig TermExiting(const std::string& name, int code = 0);
  grpc::Status Create(const std::string& pod, const rt::ContainerConfig& c, std::string* id);
  std::string CreateOk(const std::string& pod, const rt::ContainerConfig& c);
  grpc::Status Start(const std::string& id);
  std::string CreateAndStartOk(const std::string& pod, const rt::ContainerConfig& c);
  grpc::Status StopContainer(const std::string& id, int64_t timeout_s);
  grpc::Status RemoveContainer(const std::string& id);
  grpc::Status ContainerStatus(const std::string& id, rt::ContainerStatusResponse* out);
  std::vector<rt::Container> ListContainers();
  grpc::Status Exec(const std::string& id, std::vector<std::string> cmd, rt::ExecSyncResponse* out);
  // Polls ContainerStatus against a deadline until the container has exited.
  rt::ContainerStatus WaitExited(const std::string& id,
                                 std::chrono::seconds timeout = std::chrono::seconds(30));

  // What the kubelet does to forget everything: stop and remove every pod,
  // remove every container (expects every call to succeed).
  void KubeletCleanup();
  // The census (SandboxFixture::ExpectNoLeaks) with `runtime_roots` the
  // runtimes' state roots ({RuncRoot()} when empty).
  void ExpectNoLeaksAtAll(std::vector<std::string> runtime_roots = {});

  std::string ContainerBundle(const std::string& id) const { return Root() + "/containers/" + id; }
  std::string LogDir() const { return tmp_.Sub("logs"); }
  // A second runtime's state root (the recording runtime's, in the trust test).
  std::string RecRoot() const { return tmp_.Sub("rec-root"); }

 private:
  // Best effort after a failed test: nothing of it may outlive the process.
  void ScrubHost();
};

}  // namespace berth::testing
