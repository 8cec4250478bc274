#include "test/integration/registry/registry_env.h"

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

namespace berth::registry::testing {
namespace {

std::map<std::string, std::string> g_values;

void ReadEnvFile(const std::string& path) {
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing " << path;
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) g_values[line.substr(0, eq)] = line.substr(eq + 1);
  }
}

void Run(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  ASSERT_EQ(rc, 0) << "command failed: " << cmd;
}

class Environment : public ::testing::Environment {
 public:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-registry-it-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    work_ = tmpl;
    g_values["WORKDIR"] = work_;
    const std::string src = BERTH_SOURCE_DIR;
    // Built layers and the registry storage are kept in a shared dir across runs (the
    // build script locks it): ctest runs each case as its own process, and building and
    // pushing 100 MB each time is slow. Pushing again is a no-op for present blobs.
    const char* images_env = std::getenv("BERTH_TEST_IMAGES_DIR");
    const std::string images = images_env != nullptr ? images_env : "/tmp/berth-test-images";
    Run("BERTH_TEST_REGISTRY_STORAGE=" + images + "/storage " + src +
        "/hack/test-registry.sh start " + work_ + "/registry > " + work_ + "/start.log 2>&1");
    ReadEnvFile(work_ + "/registry/registry.env");
    Run(src + "/hack/build-test-images.sh " + g_values["OPEN_REGISTRY"] + " " + images + " > " +
        work_ + "/images.log 2>&1");
    ReadEnvFile(images + "/images.env");

    const std::string port_file = work_ + "/fault.port";
    fault_pid_ = fork();
    ASSERT_GE(fault_pid_, 0);
    if (fault_pid_ == 0) {
      std::string script = src + "/test/integration/registry/fault_registry.py";
      execlp("python3", "python3", script.c_str(), port_file.c_str(), nullptr);
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!std::filesystem::exists(port_file) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::ifstream in(port_file);
    std::string port;
    ASSERT_TRUE(in >> port) << "fault registry did not start";
    g_values["FAULT_REGISTRY"] = "127.0.0.1:" + port;
  }

  void TearDown() override {
    if (fault_pid_ > 0) {
      kill(fault_pid_, SIGTERM);
      int status;
      waitpid(fault_pid_, &status, 0);
    }
    if (!work_.empty()) {
      std::system((std::string(BERTH_SOURCE_DIR) + "/hack/test-registry.sh stop " + work_ +
                   "/registry > /dev/null 2>&1")
                      .c_str());
      std::filesystem::remove_all(work_);
    }
  }

 private:
  std::string work_;
  pid_t fault_pid_ = -1;
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
  std::string cmd = "curl -s http://" + RegistryEnv::Get("FAULT_REGISTRY") + "/counts";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded() || !j.contains(path)) return 0;
  return j[path].get<int>();
}

}  // namespace berth::registry::testing
