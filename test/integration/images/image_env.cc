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
#include <thread>

#include "test/integration/harness/berthd_fixture.h"

namespace berth::testing {
namespace {

std::map<std::string, std::string> g_values;

void ReadEnvFile(const std::string& path, std::map<std::string, std::string>& into = g_values) {
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing " << path;
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) into[line.substr(0, eq)] = line.substr(eq + 1);
  }
}

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
    RunOrFail({src + "/hack/test-registry.sh", "start", work_->Sub("registry")},
              "test-registry.sh");
    ReadEnvFile(work_->Sub("registry/registry.env"));
    const char* shared_storage = std::getenv("BERTH_TEST_REGISTRY_STORAGE");
    g_values["REGISTRY_STORAGE"] =
        shared_storage != nullptr ? shared_storage : work_->Sub("registry/storage");
    // Layers are built once per build tree (the script caches and locks its dir):
    // ctest runs every case as its own process.
    const std::string images = std::string(BERTH_BINARY_DIR) + "/test-images";
    RunOrFail({src + "/hack/build-test-images.sh", g_values["OPEN_REGISTRY"], images},
              "build-test-images.sh");
    ReadEnvFile(images + "/images.env");

    // The proxy, and its port once it listens (it renames the port file into place).
    const std::string port_file = work_->Sub("proxy.port");
    proxy_pid_ = fork();
    ASSERT_GE(proxy_pid_, 0);
    if (proxy_pid_ == 0) {
      const std::string script = src + "/test/integration/images/counting_proxy.py";
      execlp("python3", "python3", script.c_str(), g_values["OPEN_REGISTRY"].c_str(),
             port_file.c_str(), nullptr);
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!std::filesystem::exists(port_file)) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "counting proxy did not start";
      std::this_thread::sleep_for(
          std::chrono::milliseconds(20));  // polling a file, with a deadline
    }
    std::string port;
    ASSERT_TRUE(std::ifstream(port_file) >> port);
    g_values["PROXY"] = "127.0.0.1:" + port;
  }

  void TearDown() override {
    if (proxy_pid_ > 0) {
      kill(proxy_pid_, SIGKILL);
      int status;
      waitpid(proxy_pid_, &status, 0);
    }
    if (work_) {
      RunCommand({std::string(BERTH_SOURCE_DIR) + "/hack/test-registry.sh", "stop",
                  work_->Sub("registry")});
      work_.reset();
    }
  }

 private:
  std::unique_ptr<TempDir> work_;
  pid_t proxy_pid_ = -1;
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
  std::map<std::string, std::string> values;
  ReadEnvFile(env_file, values);
  return values;
}

std::string ImageEnv::StoredBlobPath(const std::string& digest) {
  // docker-registry's filesystem driver: blobs/<algorithm>/<first two hex>/<hex>/data.
  const std::string hex = digest.substr(digest.find(':') + 1);
  return Get("REGISTRY_STORAGE") + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" +
         hex + "/data";
}

}  // namespace berth::testing
