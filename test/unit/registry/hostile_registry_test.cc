// Issue 15 item 5: a registry that accepts a connection and never answers the
// ping, a manifest or a token request once held a pull forever (only connect
// had a timeout; the progress watchdog's cancel was not wired into those
// requests). Every request now ends soon after the cancel flag is set, as the
// daemon's progress watchdog sets it; and endless or oversized answers end in
// a clear error, never in unbounded buffering.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "pkg/registry/reference.h"
#include "pkg/registry/registry_client.h"

namespace berth::registry {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// The fault registry (test/integration/registry/fault_registry.py), started
// once per mode for the whole binary.
class FaultRegistry {
 public:
  explicit FaultRegistry(const std::string& mode) {
    char tmpl[] = "/tmp/berth-hostile-registry-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    const std::string port_file = dir_ + "/port";
    const std::string script =
        std::string(BERTH_SOURCE_DIR) + "/test/integration/registry/fault_registry.py";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execlp("python3", "python3", script.c_str(), port_file.c_str(), mode.c_str(), nullptr);
      ::_exit(127);
    }
    // The port file appears (renamed into place) once the server listens;
    // the server dying first ends the wait.
    for (int i = 0; i < 2000 && !fs::exists(port_file); ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::ifstream in(port_file);
    std::string port;
    if (in >> port) host_ = "127.0.0.1:" + port;
  }
  ~FaultRegistry() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  const std::string& host() const { return host_; }

 private:
  std::string dir_, host_;
  pid_t pid_ = -1;
};

FaultRegistry& Faulty() {
  static FaultRegistry r("");
  return r;
}
FaultRegistry& StallsEverything() {
  static FaultRegistry r("stall-all");
  return r;
}

class HostileRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Faulty().host().empty()) << "the fault registry did not start (python3?)";
    ASSERT_FALSE(StallsEverything().host().empty()) << "the stalling registry did not start";
    char tmpl[] = "/tmp/berth-hostile-blobs-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static RegistryClientOptions Options() {
    RegistryClientOptions o;
    o.initial_backoff = std::chrono::milliseconds(20);
    o.max_backoff = std::chrono::milliseconds(100);
    o.connect_timeout = std::chrono::seconds(5);
    for (const auto* r : {&Faulty(), &StallsEverything()}) o.hosts[r->host()].insecure = true;
    return o;
  }
  static Reference Ref(const std::string& s) {
    auto r = ParseReference(s);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Reference{};
  }
  // Resolves `repo` on `host` with a token cancelled after 1 s, as the pull's
  // progress watchdog would; the call must end within kBound (the server gives
  // up only after 30 s).
  static Status ResolveUnderWatchdog(const std::string& host, const std::string& repo) {
    RegistryClient client(Options());
    const auto started = Clock::now();
    RequestOptions o;
    o.cancel = CancelToken().WithDeadline(started + std::chrono::seconds(1));
    Result<PullPlan> plan = client.ResolveManifest(Ref(host + "/" + repo + ":latest"), o);
    const auto took = Clock::now() - started;
    EXPECT_LT(took, kBound) << repo << " held the request past the cancel";
    return plan.status();
  }
  static constexpr std::chrono::seconds kBound{8};

  std::string dir_;
};

TEST_F(HostileRegistryTest, StalledPingIsCancelled) {
  Status s = ResolveUnderWatchdog(StallsEverything().host(), "anything");
  EXPECT_EQ(s.code(), Code::kCancelled) << s.ToString();
}

TEST_F(HostileRegistryTest, StalledManifestIsCancelled) {
  Status s = ResolveUnderWatchdog(Faulty().host(), "stall");
  EXPECT_EQ(s.code(), Code::kCancelled) << s.ToString();
}

TEST_F(HostileRegistryTest, SlowLorisHeadersAreCancelled) {
  Status s = ResolveUnderWatchdog(Faulty().host(), "slowloris");
  EXPECT_EQ(s.code(), Code::kCancelled) << s.ToString();
}

TEST_F(HostileRegistryTest, StalledTokenRequestIsCancelled) {
  Status s = ResolveUnderWatchdog(Faulty().host(), "tokenstall");
  EXPECT_EQ(s.code(), Code::kCancelled) << s.ToString();
}

TEST_F(HostileRegistryTest, EndlessChunkedManifestStopsAtTheCap) {
  RegistryClient client(Options());
  auto plan = client.ResolveManifest(Ref(Faulty().host() + "/chunked:latest"));
  EXPECT_EQ(plan.status().code(), Code::kResourceExhausted) << plan.status().ToString();
}

TEST_F(HostileRegistryTest, ManifestAndIndexOverTheCapAreRefused) {
  RegistryClient client(Options());
  for (const char* repo : {"bigmanifest", "bigindex"}) {
    auto plan = client.ResolveManifest(Ref(Faulty().host() + "/" + repo + ":latest"));
    EXPECT_EQ(plan.status().code(), Code::kResourceExhausted)
        << repo << ": " << plan.status().ToString();
    EXPECT_THAT(plan.status().message(), HasSubstr("larger than")) << repo;
  }
}

TEST_F(HostileRegistryTest, ConfigOverTheCapIsRefusedBeforeItIsFetched) {
  RegistryClient client(Options());
  auto plan = client.ResolveManifest(Ref(Faulty().host() + "/bigconfig:latest"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  auto config = client.FetchConfig(*plan);
  EXPECT_EQ(config.status().code(), Code::kResourceExhausted) << config.status().ToString();
}

TEST_F(HostileRegistryTest, EndlessConfigStopsAtItsDescriptorSize) {
  RegistryClient client(Options());
  auto plan = client.ResolveManifest(Ref(Faulty().host() + "/endlessconfig:latest"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const auto started = Clock::now();
  auto config = client.FetchConfig(*plan);
  EXPECT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("more than"));
  EXPECT_LT(Clock::now() - started, kBound);
}

TEST_F(HostileRegistryTest, BlobLongerThanItsDescriptorAndEndlessBlobLeaveNothing) {
  RegistryClient client(Options());
  // The plain manifest of "long"; the same layer is asked of "chunked" too,
  // whose manifest is itself endless.
  auto plan = client.ResolveManifest(Ref(Faulty().host() + "/long:latest"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->layers.size(), 1u);
  for (const char* repo : {"long", "chunked"}) {
    plan->ref = Ref(Faulty().host() + "/" + repo + ":latest");
    const auto started = Clock::now();
    Status s = client.FetchBlob(*plan, plan->layers[0], dir_ + "/layer");
    EXPECT_FALSE(s.ok()) << repo;
    EXPECT_THAT(s.message(), HasSubstr("more than")) << repo;
    EXPECT_LT(Clock::now() - started, kBound) << repo;
    EXPECT_TRUE(fs::is_empty(dir_)) << repo << ": a partial blob was left";
  }
}

TEST_F(HostileRegistryTest, EndlessRedirectChainIsRefused) {
  RegistryClient client(Options());
  auto plan = client.ResolveManifest(Ref(Faulty().host() + "/loop:latest"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const auto started = Clock::now();
  Status s = client.FetchBlob(*plan, plan->layers[0], dir_ + "/layer");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("redirect"));
  EXPECT_LT(Clock::now() - started, kBound);
  EXPECT_TRUE(fs::is_empty(dir_));
}

}  // namespace
}  // namespace berth::registry
