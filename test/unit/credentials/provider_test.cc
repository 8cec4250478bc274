#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "pkg/credentials/credential_resolver.h"
#include "pkg/credentials/exec_provider.h"
#include "pkg/credentials/provider_config.h"
#include "pkg/registry/reference.h"

namespace berth::credentials {
namespace {

namespace fs = std::filesystem;
const std::string kBinDir = BERTH_TESTDATA_DIR "/credential-providers";
const std::string kPlugin = "test-credential-provider";
const std::string kV1 = "credentialprovider.kubelet.k8s.io/v1";

class ProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/credprov-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    count_file_ = dir_ + "/count";
    // Capture logs to check that secrets never reach them.
    log_sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    old_logger_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", log_sink_));
    spdlog::set_level(spdlog::level::debug);
  }
  void TearDown() override {
    spdlog::set_default_logger(old_logger_);
    fs::remove_all(dir_);
  }

  CredentialProviderSpec Spec(std::vector<std::pair<std::string, std::string>> env,
                              std::chrono::milliseconds default_cache = std::chrono::hours(1),
                              std::string api = kV1) {
    CredentialProviderSpec s;
    s.name = kPlugin;
    s.path = kBinDir + "/" + kPlugin;
    s.match_images = {"*.example.com"};
    s.default_cache_duration = default_cache;
    s.api_version = std::move(api);
    s.args = {"alice"};
    env.emplace_back("COUNT_FILE", count_file_);
    s.env = std::move(env);
    return s;
  }

  int Runs() const {
    std::ifstream in(count_file_);
    int n = 0;
    std::string line;
    while (std::getline(in, line)) ++n;
    return n;
  }

  // Polls `cond` until it holds or 20 s pass.
  static bool Eventually(const std::function<bool()>& cond) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return cond();
  }

  std::string dir_, count_file_;
  std::ostringstream log_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> log_sink_;
  std::shared_ptr<spdlog::logger> old_logger_;
};

TEST_F(ProviderTest, RunsPluginWithArgsEnvAndRequestOnStdin) {
  const std::string req_file = dir_ + "/request";
  ExecCredentialProvider p(Spec({{"REQUEST_FILE", req_file}, {"PASSWORD", "pw1"}}),
                           std::chrono::seconds(20));
  EXPECT_TRUE(p.Matches("a.example.com/app"));
  EXPECT_FALSE(p.Matches("example.com/app"));
  auto c = p.Provide("a.example.com/app");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->username, "alice");  // from args
  EXPECT_EQ(c->password, "pw1");    // from env
  std::ifstream in(req_file);
  std::string req((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(req.find("\"kind\":\"CredentialProviderRequest\""), std::string::npos) << req;
  EXPECT_NE(req.find("\"apiVersion\":\"" + kV1 + "\""), std::string::npos) << req;
  EXPECT_NE(req.find("\"image\":\"a.example.com/app\""), std::string::npos) << req;
  EXPECT_EQ(log_.str().find("pw1"), std::string::npos) << log_.str();
}

TEST_F(ProviderTest, SupportsAllThreeApiVersions) {
  for (std::string v : {kV1, std::string("credentialprovider.kubelet.k8s.io/v1beta1"),
                        std::string("credentialprovider.kubelet.k8s.io/v1alpha1")}) {
    ExecCredentialProvider p(Spec({}, std::chrono::milliseconds(0), v), std::chrono::seconds(20));
    EXPECT_TRUE(p.Provide("a.example.com/app").has_value()) << v;
  }
}

TEST_F(ProviderTest, ImageCacheKeyCachesPerImage) {
  ExecCredentialProvider p(Spec({{"CACHE_KEY_TYPE", "Image"}}), std::chrono::seconds(20));
  ASSERT_TRUE(p.Provide("a.example.com/app").has_value());
  ASSERT_TRUE(p.Provide("a.example.com/app").has_value());
  EXPECT_EQ(Runs(), 1);
  ASSERT_TRUE(p.Provide("a.example.com/other").has_value());
  EXPECT_EQ(Runs(), 2);
}

TEST_F(ProviderTest, RegistryCacheKeyCoversTheRegistry) {
  ExecCredentialProvider p(Spec({{"CACHE_KEY_TYPE", "Registry"}}), std::chrono::seconds(20));
  ASSERT_TRUE(p.Provide("a.example.com/app").has_value());
  ASSERT_TRUE(p.Provide("a.example.com/other").has_value());
  EXPECT_EQ(Runs(), 1);
  ASSERT_TRUE(p.Provide("b.example.com/app").has_value());
  EXPECT_EQ(Runs(), 2);
}

TEST_F(ProviderTest, GlobalCacheKeyCoversEverything) {
  ExecCredentialProvider p(Spec({{"CACHE_KEY_TYPE", "Global"}}), std::chrono::seconds(20));
  ASSERT_TRUE(p.Provide("a.example.com/app").has_value());
  ASSERT_TRUE(p.Provide("b.example.com/x").has_value());
  EXPECT_EQ(Runs(), 1);
}

TEST_F(ProviderTest, CachedAuthStillMatchedPerImage) {
  // Global entry whose only key is *.example.com: another registry gets nothing.
  auto spec = Spec({{"CACHE_KEY_TYPE", "Global"}});
  spec.match_images = {"*.example.com", "*.other.org"};
  ExecCredentialProvider p(spec, std::chrono::seconds(20));
  ASSERT_TRUE(p.Provide("a.example.com/app").has_value());
  EXPECT_FALSE(p.Provide("a.other.org/app").has_value());
  EXPECT_EQ(Runs(), 1);
}

TEST_F(ProviderTest, ZeroDefaultCacheDurationDoesNotCache) {
  ExecCredentialProvider p(Spec({}, std::chrono::milliseconds(0)), std::chrono::seconds(20));
  ASSERT_TRUE(p.Provide("a.example.com/app").has_value());
  ASSERT_TRUE(p.Provide("a.example.com/app").has_value());
  EXPECT_EQ(Runs(), 2);
  EXPECT_EQ(p.CacheSize(), 0u);
}

TEST_F(ProviderTest, ResponseCacheDurationOverridesDefaultAndExpires) {
  auto now =
      std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  Clock clock = [now] { return *now; };
  ExecCredentialProvider p(Spec({{"CACHE_DURATION", "10s"}}, std::chrono::milliseconds(0)),
                           std::chrono::seconds(20), clock);
  ASSERT_TRUE(p.Provide("a.example.com/app").has_value());
  ASSERT_TRUE(p.Provide("a.example.com/app").has_value());
  EXPECT_EQ(Runs(), 1);  // cached despite defaultCacheDuration 0
  EXPECT_EQ(p.CacheSize(), 1u);
  *now += std::chrono::seconds(11);
  EXPECT_EQ(p.CacheSize(), 0u);  // purged
  ASSERT_TRUE(p.Provide("a.example.com/app").has_value());
  EXPECT_EQ(Runs(), 2);
}

TEST_F(ProviderTest, ConcurrentRequestsForOneImageRunThePluginOnce) {
  const std::string release = dir_ + "/release";
  // No caching at all: only single flight can make the runs collapse.
  ExecCredentialProvider p(Spec({{"RELEASE_FILE", release}}, std::chrono::milliseconds(0)),
                           std::chrono::seconds(30));
  constexpr int kCallers = 6;
  std::atomic<int> with_creds{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&] {
      if (p.Provide("a.example.com/app")) ++with_creds;
    });
  }
  // The first caller runs the plugin (blocked on RELEASE_FILE); the rest wait on it.
  ASSERT_TRUE(
      Eventually([&] { return Runs() == 1 && p.WaitersFor("a.example.com/app") == kCallers - 1; }));
  std::ofstream(release).put('x');
  for (auto& t : threads) t.join();
  EXPECT_EQ(with_creds.load(), kCallers);
  EXPECT_EQ(Runs(), 1);
}

// Alive: /proc/<pid> exists and the process is not a zombie waiting for
// its reaper.
bool Alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  const size_t paren = stat.rfind(')');
  return paren == std::string::npos || stat.substr(paren + 2, 1) != "Z";
}

TEST_F(ProviderTest, SlowPluginIsKilledAndYieldsNothing) {
  const std::string pid_file = dir_ + "/pids";
  ExecCredentialProvider p(Spec({{"MODE", "slow"}, {"PID_FILE", pid_file}}),
                           std::chrono::milliseconds(1000));
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(p.Provide("a.example.com/app").has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_NE(log_.str().find("did not finish"), std::string::npos) << log_.str();
  // The plugin and its own child (a `sleep 30`) are gone long before the
  // sleep would end: the process group was killed. The shell is reaped by
  // the provider; the orphaned sleep by init, hence the wait.
  pid_t shell = 0, child = 0;
  ASSERT_TRUE(std::ifstream(pid_file) >> shell >> child) << "the plugin wrote no " << pid_file;
  EXPECT_FALSE(Alive(shell)) << "plugin " << shell;
  EXPECT_TRUE(Eventually([&] { return !Alive(child); })) << "plugin's child " << child;
}

TEST_F(ProviderTest, FailingPluginYieldsNothingAndLogsNoSecret) {
  ExecCredentialProvider p(Spec({{"MODE", "fail"}, {"PASSWORD", "topsecret"}}),
                           std::chrono::seconds(20));
  EXPECT_FALSE(p.Provide("a.example.com/app").has_value());
  EXPECT_NE(log_.str().find("exited with status 3"), std::string::npos) << log_.str();
  EXPECT_EQ(log_.str().find("topsecret"), std::string::npos) << log_.str();
  EXPECT_EQ(p.CacheSize(), 0u);
}

TEST_F(ProviderTest, GarbledOrMismatchedResponsesYieldNothing) {
  for (const char* mode : {"garbled", "wrongversion"}) {
    ExecCredentialProvider p(Spec({{"MODE", mode}}), std::chrono::seconds(20));
    EXPECT_FALSE(p.Provide("a.example.com/app").has_value()) << mode;
  }
  EXPECT_NE(log_.str().find("invalid response"), std::string::npos) << log_.str();
}

TEST(ProviderResponseTest, Validates) {
  const std::string v1 = "credentialprovider.kubelet.k8s.io/v1";
  auto ok = ParseProviderResponse(
      R"({"apiVersion":")" + v1 +
          R"(","kind":"CredentialProviderResponse","cacheKeyType":"Registry","cacheDuration":"5m","auth":{"r.io":{"username":"u","password":"p"}}})",
      v1);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->cache_key_type, CacheKeyType::kRegistry);
  EXPECT_EQ(ok->cache_duration->count(), 300000);
  EXPECT_EQ(ok->auth.at("r.io").username, "u");
  for (
      std::string bad : {
          std::string(
              R"({"apiVersion":"x","kind":"CredentialProviderResponse","cacheKeyType":"Image"})"),
          R"({"apiVersion":")" + v1 + R"(","kind":"Other","cacheKeyType":"Image"})",
          R"({"apiVersion":")" + v1 +
              R"(","kind":"CredentialProviderResponse","cacheKeyType":"Pod"})",
          R"({"apiVersion":")" + v1 + R"(","kind":"CredentialProviderResponse"})",
          R"({"apiVersion":")" + v1 +
              R"(","kind":"CredentialProviderResponse","cacheKeyType":"Image","cacheDuration":"soon"})",
      }) {
    EXPECT_FALSE(ParseProviderResponse(bad, v1).ok()) << bad;
  }
}

TEST(ProviderResponseTest, BestMatchPrefersTheMostSpecificKey) {
  std::map<std::string, registry::AuthConfig> auth = {
      {"*.example.com", {"wild", "", "", "", ""}},
      {"a.example.com", {"exact", "", "", "", ""}},
      {"a.example.com/team", {"team", "", "", "", ""}},
  };
  EXPECT_EQ(BestMatch(auth, "a.example.com/team/app")->username, "team");
  EXPECT_EQ(BestMatch(auth, "a.example.com/x")->username, "exact");
  EXPECT_EQ(BestMatch(auth, "b.example.com/x")->username, "wild");
  EXPECT_FALSE(BestMatch(auth, "example.org/x").has_value());
}

std::string WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
  return path;
}

TEST_F(ProviderTest, ConfigParsesAndValidates) {
  const std::string good = R"(apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
- name: test-credential-provider
  matchImages: ["*.example.com", "registry.io:5000/team"]
  defaultCacheDuration: "12h"
  apiVersion: credentialprovider.kubelet.k8s.io/v1
  args: [get]
  env:
  - name: A_B
    value: c
)";
  auto specs = ParseCredentialProviderConfig(good, kBinDir, "test.yaml");
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  ASSERT_EQ(specs->size(), 1u);
  EXPECT_EQ((*specs)[0].default_cache_duration, std::chrono::hours(12));
  EXPECT_EQ((*specs)[0].match_images.size(), 2u);
  EXPECT_EQ((*specs)[0].env[0].first, "A_B");
  EXPECT_EQ((*specs)[0].path, kBinDir + "/test-credential-provider");

  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  struct Bad {
    std::string yaml, expect;
  };
  const Bad bads[] = {
      {with("kind: CredentialProviderConfig", "kind: Other"), "kind"},
      {with("kubelet.config.k8s.io/v1", "kubelet.config.k8s.io/v9"), "apiVersion"},
      {with("name: test-credential-provider", "name: ../bin/sh"), "plain file name"},
      {with("name: test-credential-provider", "name: missing-plugin"), "not executable"},
      {with("  defaultCacheDuration: \"12h\"\n", ""), "defaultCacheDuration is required"},
      {with("\"12h\"", "\"forever\""), "defaultCacheDuration"},
      {with("credentialprovider.kubelet.k8s.io/v1", "credentialprovider.kubelet.k8s.io/v2"),
       "apiVersion"},
      {with("matchImages: [\"*.example.com\", \"registry.io:5000/team\"]", "matchImages: []"),
       "matchImages"},
      {with("  args: [get]", "  argz: [get]"), "unknown key \"argz\""},
      {good + "- name: test-credential-provider\n  matchImages: [a]\n  defaultCacheDuration: 0s\n"
              "  apiVersion: credentialprovider.kubelet.k8s.io/v1\n",
       "duplicate"},
      {"providers: [", "test.yaml"},
  };
  for (const Bad& b : bads) {
    auto r = ParseCredentialProviderConfig(b.yaml, kBinDir, "test.yaml");
    ASSERT_FALSE(r.ok()) << b.yaml;
    EXPECT_NE(r.status().message().find(b.expect), std::string::npos) << r.status().message();
  }
}

TEST_F(ProviderTest, ResolverLookupOrder) {
  const std::string config =
      WriteFile(dir_ + "/providers.yaml", R"(apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
- name: test-credential-provider
  matchImages: ["*.example.com"]
  defaultCacheDuration: "0s"
  apiVersion: credentialprovider.kubelet.k8s.io/v1
  args: [from-plugin]
  env: [{name: COUNT_FILE, value: )" + count_file_ +
                                              R"(}]
)");
  const std::string auth_file =
      WriteFile(dir_ + "/config.json",
                R"({"auths":{"file.example.com":{"username":"from-file","password":"x"}}})");
  CredentialsOptions o;
  o.auth_file = auth_file;
  o.provider_config = config;
  o.provider_bin_dir = kBinDir;
  o.plugin_timeout = std::chrono::seconds(20);
  auto resolver = CredentialResolver::Create(o);
  ASSERT_TRUE(resolver.ok()) << resolver.status().ToString();

  auto ref = registry::ParseReference("file.example.com/app:1");
  ASSERT_TRUE(ref.ok());
  // 1. The request's AuthConfig wins (its `auth` field decoded).
  registry::AuthConfig request;
  request.auth = registry::Base64Encode("from-request:pw");
  EXPECT_EQ((*resolver)->Lookup(*ref, "file.example.com", &request)->username, "from-request");
  // 2. Else the auth file.
  EXPECT_EQ((*resolver)->Lookup(*ref, "file.example.com", nullptr)->username, "from-file");
  EXPECT_EQ(Runs(), 0);
  // 3. Else the plugin, which sees "host/path" without tag.
  auto other = registry::ParseReference("plugin.example.com/team/app:2");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*resolver)->Lookup(*other, "plugin.example.com", nullptr)->username, "from-plugin");
  EXPECT_EQ(Runs(), 1);
  // Nothing matches: anonymous.
  auto none = registry::ParseReference("quay.io/x/y");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE((*resolver)->Lookup(*none, "quay.io", nullptr).has_value());
}

TEST_F(ProviderTest, ResolverRefusesABrokenProviderConfig) {
  CredentialsOptions o;
  o.provider_config = WriteFile(dir_ + "/bad.yaml", "kind: Nope\n");
  o.provider_bin_dir = kBinDir;
  auto r = CredentialResolver::Create(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad.yaml"), std::string::npos);
}

}  // namespace
}  // namespace berth::credentials
