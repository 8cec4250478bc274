// The local test registries (hack/test-registry.sh serve: open, Basic-auth
// and token-auth docker-registry on one storage, plus the token server), as
// children of the test binary: stopped with the object, killed with the
// test binary however it ends.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace berth::testing {

// KEY=value lines of `path` (a registry.env or images.env); fails the test
// (non-fatal) when the file is missing.
std::map<std::string, std::string> ReadEnvFile(const std::string& path);

class TestRegistries {
 public:
  TestRegistries() = default;
  TestRegistries(const TestRegistries&) = delete;
  TestRegistries& operator=(const TestRegistries&) = delete;
  ~TestRegistries() { Stop(); }

  // Starts the registries with their files in `dir` and their blobs in
  // `storage` ("" = the script's default, or $BERTH_TEST_REGISTRY_STORAGE);
  // returns once they serve. Fails the test (fatal) when they do not.
  void Start(const std::string& dir, const std::string& storage = "");
  // Stops them (SIGTERM to the script's process group) and waits.
  void Stop();

  // registry.env's values: OPEN_REGISTRY, BASIC_REGISTRY, TOKEN_REGISTRY, ...
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  pid_t pid_ = -1;  // the serving script, leader of its process group
  std::map<std::string, std::string> values_;
};

// A python3 test server beside the registries (counting_proxy.py,
// fault_registry.py) that writes its port into a file once it listens; it
// runs until the object dies (or the test binary does).
class PythonTestServer {
 public:
  PythonTestServer() = default;
  PythonTestServer(const PythonTestServer&) = delete;
  PythonTestServer& operator=(const PythonTestServer&) = delete;
  ~PythonTestServer() { Stop(); }

  // Runs `script` with `args`, one of which is `port_file`, and waits for
  // the port; fails the test (fatal) when it does not come up.
  void Start(const std::string& script, const std::vector<std::string>& args,
             const std::string& port_file);
  void Stop();
  // 127.0.0.1:<port>.
  const std::string& address() const { return address_; }

 private:
  pid_t pid_ = -1;
  std::string address_;
};

}  // namespace berth::testing
