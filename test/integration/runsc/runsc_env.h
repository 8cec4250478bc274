// The gVisor tests' environment: the streaming tests' berthd (a private
// bridge network per test, the busybox test image, upstream crictl helpers)
// with two runtimes, runc (trusted) and Debian's runsc (untrusted), each with
// a state root of its own, and a census that also covers what a gVisor pod
// can leave behind: runsc state, sandbox and gofer processes, and
// berth-gvisor-shim starters. runsc missing is a test failure, never a skip
// (hack/install-deps.sh installs it).
#pragma once

#include <string>
#include <vector>

#include "test/integration/streaming/streaming_env.h"

namespace berth::testing {

inline constexpr char kRunsc[] = "/usr/bin/runsc";
// What gVisor's kernel answers to uname -r.
inline constexpr char kGvisorKernel[] = "4.4.0";

// The host's kernel release (uname -r).
std::string HostKernel();

class GvisorTest : public StreamingTest {
 protected:
  // berthd with RuntimesYaml("untrusted"): every pod without a trust
  // annotation runs under gVisor.
  void SetUp() override;
  void TearDown() override;

  // The runtimes block: runc and runsc, trusted_runtime runc,
  // untrusted_runtime runsc, and `default_trust`.
  std::string RuntimesYaml(const std::string& default_trust = "untrusted") const;
  std::string RunscRoot() const { return tmp_.Sub("runsc-root"); }
  // Stops this test's berthd and starts a fresh one (new root, new network)
  // with `runtimes_yaml`.
  void RestartWith(const std::string& runtimes_yaml);

  // `runsc state`'s status of `id`; "gone" when runsc does not know it.
  std::string RunscStatus(const std::string& id);
  // `uname -r` inside a running container (ExecSync).
  std::string KernelOf(const std::string& container_id);
  // A pod that runs on runc whatever the default trust (trust annotation).
  std::string RunTrustedPodOk(const std::string& name);

  // ExpectNoLeaksAtAll for both runtimes, plus: runsc knows no container and
  // no process (sandbox, gofer, shim) names the test's directories.
  void ExpectNoGvisorLeaks();
  void CleanUpAndExpectNoGvisorLeaks();
};

}  // namespace berth::testing
