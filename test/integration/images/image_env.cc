#include "test/integration/images/image_env.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/harness/test_registries.h"

namespace berth::testing {
namespace {

std::map<std::string, std::string> g_values;

void RunOrFail(const std::vector<std::string>& argv, const std::string& what) {
  ProcessResult r = RunCommand(argv, std::chrono::seconds(600));
  ASSERT_EQ(r.exit_code, 0) << what << " failed:\n" << r.output;
}

std::string Curl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/curl", "-sS", "--max-time", "10"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r = RunCommand(argv);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.output;
}

class Environment : public ::testing::Environment {
 public:
  void SetUp() override {
    work_ = std::make_unique<TempDir>("berth-images-it");
    const std::string src = BERTH_SOURCE_DIR;
    ASSERT_NO_FATAL_FAILURE(registries_.Start(work_->Sub("registry")));
    g_values.insert(registries_.values().begin(), registries_.values().end());
    const char* shared_storage = std::getenv("BERTH_TEST_REGISTRY_STORAGE");
    g_values["REGISTRY_STORAGE"] =
        shared_storage != nullptr ? shared_storage : work_->Sub("registry/storage");
    // Layers are built once per build tree (the script caches and locks its dir):
    // ctest runs every case as its own process.
    const std::string images = std::string(BERTH_BINARY_DIR) + "/test-images";
    RunOrFail({src + "/hack/build-test-images.sh", g_values["OPEN_REGISTRY"], images},
              "build-test-images.sh");
    const std::map<std::string, std::string> built = ReadEnvFile(images + "/images.env");
    g_values.insert(built.begin(), built.end());

    ASSERT_NO_FATAL_FAILURE(proxy_.Start(src + "/test/integration/images/counting_proxy.py",
                                         {g_values["OPEN_REGISTRY"], work_->Sub("proxy.port")},
                                         work_->Sub("proxy.port")));
    g_values["PROXY"] = proxy_.address();
  }

  void TearDown() override {
    proxy_.Stop();
    registries_.Stop();
    work_.reset();
  }

 private:
  std::unique_ptr<TempDir> work_;
  TestRegistries registries_;
  PythonTestServer proxy_;
};

[[maybe_unused]] ::testing::Environment* const g_env =
    ::testing::AddGlobalTestEnvironment(new Environment);

}  // namespace

const std::string& ImageEnv::Get(const std::string& key) {
  static const std::string kEmpty;
  auto it = g_values.find(key);
  return it == g_values.end() ? kEmpty : it->second;
}

std::string ImageEnv::RegistriesYaml() {
  return "registries:\n"
         "  \"gcr.io\": {mirrors: [\"http://" +
         Get("PROXY") +
         "\"]}\n"
         "  \"" +
         Get("OPEN_REGISTRY") +
         "\": {insecure: true}\n"
         "  \"" +
         Get("BASIC_REGISTRY") +
         "\": {insecure: true}\n"
         "  \"" +
         Get("TOKEN_REGISTRY") + "\": {insecure: true}\n";
}

int ImageEnv::ProxyCount(const std::string& path) {
  auto j = nlohmann::json::parse(Curl({"http://" + Get("PROXY") + "/__counts"}), nullptr, false);
  if (j.is_discarded() || !j.contains(path)) return 0;
  return j[path].get<int>();
}

void ImageEnv::StallProxy() {
  Curl({"-X", "POST", "http://" + Get("PROXY") + "/__stall"});
}

void ImageEnv::SetProxyRate(uint64_t bytes_per_second) {
  Curl(
      {"-X", "POST", "http://" + Get("PROXY") + "/__rate?bps=" + std::to_string(bytes_per_second)});
}

std::map<std::string, std::string> ImageEnv::PushHostileImages(const std::string& escape_dir) {
  TempDir tmp("berth-hostile");
  const std::string env_file = tmp.Sub("hostile.env");
  ProcessResult r =
      RunCommand({"/usr/bin/python3",
                  std::string(BERTH_SOURCE_DIR) + "/test/integration/images/push_hostile_images.py",
                  Get("OPEN_REGISTRY"), escape_dir, env_file});
  EXPECT_EQ(r.exit_code, 0) << "push_hostile_images.py failed:\n" << r.output;
  return ReadEnvFile(env_file);
}

std::string ImageEnv::StoredBlobPath(const std::string& digest) {
  // docker-registry's filesystem driver: blobs/<algorithm>/<first two hex>/<hex>/data.
  const std::string hex = digest.substr(digest.find(':') + 1);
  return Get("REGISTRY_STORAGE") + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" +
         hex + "/data";
}

}  // namespace berth::testing
