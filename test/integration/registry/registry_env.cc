#include "test/integration/registry/registry_env.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/harness/test_registries.h"

namespace berth::registry::testing {
namespace {

using berth::testing::ProcessResult;
using berth::testing::PythonTestServer;
using berth::testing::ReadEnvFile;
using berth::testing::RunCommand;
using berth::testing::TempDir;
using berth::testing::TestRegistries;

std::map<std::string, std::string> g_values;

class Environment : public ::testing::Environment {
 public:
  void SetUp() override {
    work_ = std::make_unique<TempDir>("berth-registry-it");
    g_values["WORKDIR"] = work_->path();
    const std::string src = BERTH_SOURCE_DIR;
    // Built layers and the registry storage are kept in a shared dir across runs (the
    // build script locks it): ctest runs each case as its own process, and building and
    // pushing 100 MB each time is slow. Pushing again is a no-op for present blobs.
    const char* images_env = std::getenv("BERTH_TEST_IMAGES_DIR");
    const std::string images = images_env != nullptr ? images_env : "/tmp/berth-test-images";
    ASSERT_NO_FATAL_FAILURE(registries_.Start(work_->Sub("registry"), images + "/storage"));
    g_values.insert(registries_.values().begin(), registries_.values().end());
    ProcessResult built =
        RunCommand({src + "/hack/build-test-images.sh", g_values["OPEN_REGISTRY"], images},
                   std::chrono::seconds(600));
    ASSERT_EQ(built.exit_code, 0) << "build-test-images.sh failed:\n" << built.output;
    const std::map<std::string, std::string> image_values = ReadEnvFile(images + "/images.env");
    g_values.insert(image_values.begin(), image_values.end());

    ASSERT_NO_FATAL_FAILURE(fault_.Start(src + "/test/integration/registry/fault_registry.py",
                                         {work_->Sub("fault.port")}, work_->Sub("fault.port")));
    g_values["FAULT_REGISTRY"] = fault_.address();
  }

  void TearDown() override {
    fault_.Stop();
    registries_.Stop();
    work_.reset();
  }

 private:
  std::unique_ptr<TempDir> work_;
  TestRegistries registries_;
  PythonTestServer fault_;
};

[[maybe_unused]] ::testing::Environment* const g_env =
    ::testing::AddGlobalTestEnvironment(new Environment);

}  // namespace

std::map<std::string, std::string>& RegistryEnv::Values() {
  return g_values;
}

const std::string& RegistryEnv::Get(const std::string& key) {
  static const std::string kEmpty;
  auto it = g_values.find(key);
  return it == g_values.end() ? kEmpty : it->second;
}

int FaultCount(const std::string& path) {
  const std::string out = RunCommand({"/usr/bin/curl", "-s",
                                      "http://" + RegistryEnv::Get("FAULT_REGISTRY") + "/counts"})
                              .output;
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded() || !j.contains(path)) return 0;
  return j[path].get<int>();
}

}  // namespace berth::registry::testing
