#include "pkg/registry/registry_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "pkg/registry/reference.h"
#include "test/integration/registry/registry_env.h"

namespace berth::registry {
namespace {

namespace fs = std::filesystem;
using testing::FaultCount;
using testing::RegistryEnv;

class RegistryClientIT : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-blobs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static RegistryClientOptions Options() {
    RegistryClientOptions o;
    o.initial_backoff = std::chrono::milliseconds(20);
    o.max_backoff = std::chrono::milliseconds(100);
    o.connect_timeout = std::chrono::seconds(5);
    for (const char* key :
         {"OPEN_REGISTRY", "BASIC_REGISTRY", "TOKEN_REGISTRY", "FAULT_REGISTRY"}) {
      o.hosts[RegistryEnv::Get(key)].insecure = true;  // plain HTTP (after the HTTPS attempt fails)
    }
    return o;
  }

  static Reference Ref(const std::string& s) {
    auto r = ParseReference(s);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Reference{};
  }

  size_t Entries() const {
    size_t n = 0;
    for ([[maybe_unused]] auto& e : fs::directory_iterator(dir_)) ++n;
    return n;
  }

  static RequestOptions WithCreds(std::string user, std::string password) {
    RequestOptions o;
    o.credentials = [user, password](const std::string&) {
      return std::optional<AuthConfig>(AuthConfig{user, password, "", "", ""});
    };
    return o;
  }

  std::string dir_;
};

TEST_F(RegistryClientIT, ResolvesAndFetchesFromTheOpenRegistry) {
  RegistryClient client(Options());
  const std::string open = RegistryEnv::Get("OPEN_REGISTRY");
  auto plan = client.ResolveManifest(Ref(open + "/berth-test/busybox:latest"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->manifest_digest, RegistryEnv::Get("IMAGE_BUSYBOX_DIGEST"));
  EXPECT_EQ(plan->image_manifest_digest, plan->manifest_digest);
  EXPECT_EQ(plan->source, "http://" + open);  // insecure: HTTPS failed, HTTP answered
  ASSERT_EQ(plan->layers.size(), 1u);
  EXPECT_EQ(plan->layers[0].media_type, media::kOciLayerGzip);

  auto config = client.FetchConfig(*plan);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_NE(config->find("\"Cmd\":[\"/bin/sh\"]"), std::string::npos);

  uint64_t last_done = 0;
  RequestOptions o;
  o.progress = [&](const BlobProgress& p) {
    last_done = p.bytes_done;
    EXPECT_EQ(p.bytes_total, uint64_t(plan->layers[0].size));
    return true;
  };
  const std::string dest = dir_ + "/layer";
  Status s = client.FetchBlob(*plan, plan->layers[0], dest, o);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(fs::file_size(dest), uint64_t(plan->layers[0].size));
  EXPECT_EQ(last_done, uint64_t(plan->layers[0].size));
  EXPECT_EQ(Entries(), 1u);  // no temporary files left beside it
}

TEST_F(RegistryClientIT, ResolvesByDigestAndMultiLayerAndZstd) {
  RegistryClient client(Options());
  const std::string open = RegistryEnv::Get("OPEN_REGISTRY");
  auto by_digest = client.ResolveManifest(
      Ref(open + "/berth-test/multilayer@" + RegistryEnv::Get("IMAGE_MULTILAYER_DIGEST")));
  ASSERT_TRUE(by_digest.ok()) << by_digest.status().ToString();
  EXPECT_EQ(by_digest->layers.size(), 3u);
  if (!RegistryEnv::Get("IMAGE_ZSTD_DIGEST").empty()) {
    auto z = client.ResolveManifest(Ref(open + "/berth-test/zstd"));
    ASSERT_TRUE(z.ok()) << z.status().ToString();
    ASSERT_EQ(z->layers.size(), 1u);
    EXPECT_EQ(z->layers[0].media_type, media::kOciLayerZstd);
    EXPECT_TRUE(client.FetchBlob(*z, z->layers[0], dir_ + "/z").ok());
  }
}

TEST_F(RegistryClientIT, MultiArchIndexResolvesToThisPlatform) {
  RegistryClient client(Options());
  auto plan =
      client.ResolveManifest(Ref(RegistryEnv::Get("OPEN_REGISTRY") + "/berth-test/multiarch"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->manifest_digest, RegistryEnv::Get("IMAGE_MULTIARCH_DIGEST"));
  const std::string want = HostPlatform().architecture == "arm64"
                               ? RegistryEnv::Get("IMAGE_MULTIARCH_ARM64_DIGEST")
                               : RegistryEnv::Get("IMAGE_MULTIARCH_AMD64_DIGEST");
  EXPECT_EQ(plan->image_manifest_digest, want);
}

TEST_F(RegistryClientIT, MissingImageIsNotFound) {
  RegistryClient client(Options());
  auto plan = client.ResolveManifest(Ref(RegistryEnv::Get("OPEN_REGISTRY") + "/berth-test/nope"));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kNotFound) << plan.status().ToString();
}

// No `insecure` configured: a registry named by a loopback address is tried
// over HTTPS, then plain HTTP, as docker does (issue 12: it failed with "wrong
// version number").
TEST_F(RegistryClientIT, LoopbackRegistryNeedsNoInsecureConfig) {
  RegistryClientOptions o = Options();
  o.hosts.clear();
  RegistryClient client(o);
  const std::string port = RegistryEnv::Get("OPEN_REGISTRY").substr(sizeof("127.0.0.1:") - 1);
  int n = 0;
  for (const std::string& host : {"127.0.0.1:" + port, "localhost:" + port}) {
    auto plan = client.ResolveManifest(Ref(host + "/berth-test/busybox:latest"));
    ASSERT_TRUE(plan.ok()) << host << ": " << plan.status().ToString();
    EXPECT_EQ(plan->source, "http://" + host);
    EXPECT_EQ(plan->manifest_digest, RegistryEnv::Get("IMAGE_BUSYBOX_DIGEST"));
    auto config = client.FetchConfig(*plan);
    EXPECT_TRUE(config.ok()) << host << ": " << config.status().ToString();
    Status s = client.FetchBlob(*plan, plan->layers.at(0), dir_ + "/layer" + std::to_string(n++));
    EXPECT_TRUE(s.ok()) << host << ": " << s.ToString();
  }
}

// A host not named as loopback gets no fallback, and its error says which
// config key allows it. "0.0.0.0" is not a loopback name, yet on Linux a
// connection to it reaches this machine's 127.0.0.1 listener: the test's
// traffic stays on loopback.
TEST_F(RegistryClientIT, PlainHttpRegistryNotNamedLoopbackSaysHowToMarkItInsecure) {
  RegistryClientOptions o = Options();
  o.hosts.clear();
  const std::string port = RegistryEnv::Get("OPEN_REGISTRY").substr(sizeof("127.0.0.1:") - 1);
  const std::string host = "0.0.0.0:" + port;
  {
    RegistryClient client(o);
    auto plan = client.ResolveManifest(Ref(host + "/berth-test/busybox:latest"));
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.status().code(), Code::kUnavailable) << plan.status().ToString();
    EXPECT_NE(plan.status().message().find("registries: {\"" + host + "\": {insecure: true}}"),
              std::string::npos)
        << plan.status().ToString();
  }
  // And doing what it says works.
  o.hosts[host].insecure = true;
  RegistryClient client(o);
  auto plan = client.ResolveManifest(Ref(host + "/berth-test/busybox:latest"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->source, "http://" + host);
}

TEST_F(RegistryClientIT, MirrorServesAnotherRegistrysName) {
  RegistryClientOptions o = Options();
  // A dead mirror first: it is skipped, the next mirror serves; gcr.io is never asked.
  o.hosts["gcr.io"].mirrors = {"http://127.0.0.1:1", "http://" + RegistryEnv::Get("OPEN_REGISTRY")};
  o.max_attempts = 1;
  RegistryClient client(o);
  auto plan = client.ResolveManifest(Ref("gcr.io/berth-test/busybox:latest"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->source, "http://" + RegistryEnv::Get("OPEN_REGISTRY"));
  EXPECT_EQ(plan->manifest_digest, RegistryEnv::Get("IMAGE_BUSYBOX_DIGEST"));
  EXPECT_TRUE(client.FetchBlob(*plan, plan->layers[0], dir_ + "/l").ok());
}

TEST_F(RegistryClientIT, BasicAuth) {
  RegistryClient client(Options());
  Reference ref = Ref(RegistryEnv::Get("BASIC_REGISTRY") + "/berth-test/busybox");
  auto anonymous = client.ResolveManifest(ref);
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(anonymous.status().message().find("authentication required"), std::string::npos)
      << anonymous.status().message();

  auto wrong = client.ResolveManifest(ref, WithCreds(RegistryEnv::Get("BASIC_USER"), "wrong-pw"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("credentials rejected"), std::string::npos)
      << wrong.status().message();
  EXPECT_EQ(wrong.status().message().find("wrong-pw"), std::string::npos);

  RequestOptions good =
      WithCreds(RegistryEnv::Get("BASIC_USER"), RegistryEnv::Get("BASIC_PASSWORD"));
  auto plan = client.ResolveManifest(ref, good);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  Status s = client.FetchBlob(*plan, plan->layers[0], dir_ + "/l", good);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(RegistryClientIT, BearerTokenAnonymousDeniedThenWithCredentialsAndTokenReused) {
  RegistryClient client(Options());
  Reference ref = Ref(RegistryEnv::Get("TOKEN_REGISTRY") + "/berth-test/busybox");
  auto anonymous = client.ResolveManifest(ref);
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.status().code(), Code::kFailedPrecondition) << anonymous.status().ToString();

  auto wrong = client.ResolveManifest(ref, WithCreds(RegistryEnv::Get("TOKEN_USER"), "bad"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("credentials rejected"), std::string::npos)
      << wrong.status().message();

  RequestOptions good =
      WithCreds(RegistryEnv::Get("TOKEN_USER"), RegistryEnv::Get("TOKEN_PASSWORD"));
  auto plan = client.ResolveManifest(ref, good);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  auto count_user_tokens = [] {
    std::ifstream in(RegistryEnv::Get("TOKEN_REQUESTS_LOG"));
    int n = 0;
    std::string line;
    while (std::getline(in, line)) n += line == "user";
    return n;
  };
  const int after_first = count_user_tokens();
  EXPECT_GE(after_first, 1);
  ASSERT_TRUE(client.FetchBlob(*plan, plan->layers[0], dir_ + "/l", good).ok());
  ASSERT_TRUE(client.ResolveManifest(ref, good).ok());
  EXPECT_EQ(count_user_tokens(), after_first);  // the cached token was reused
}

TEST_F(RegistryClientIT, TamperedBlobIsRefusedAndNothingIsWritten) {
  RegistryClient client(Options());
  auto plan = client.ResolveManifest(Ref(RegistryEnv::Get("FAULT_REGISTRY") + "/tampered"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  Status s = client.FetchBlob(*plan, plan->layers[0], dir_ + "/layer");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("digest mismatch"), std::string::npos) << s.message();
  EXPECT_EQ(Entries(), 0u);
}

TEST_F(RegistryClientIT, ServerErrorsAreRetried) {
  RegistryClient client(Options());
  auto plan = client.ResolveManifest(Ref(RegistryEnv::Get("FAULT_REGISTRY") + "/flaky"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();  // after one 503
  Status s = client.FetchBlob(*plan, plan->layers[0], dir_ + "/layer");
  ASSERT_TRUE(s.ok()) << s.ToString();  // after two 503s
  EXPECT_EQ(FaultCount("/v2/flaky/blobs/" + plan->layers[0].digest), 3);
}

TEST_F(RegistryClientIT, RetriesAreBounded) {
  // Nothing listens on port 1: every attempt fails to connect, and the client gives up.
  RegistryClientOptions o = Options();
  o.max_attempts = 3;
  o.hosts["127.0.0.1:1"].insecure = true;
  RegistryClient client(o);
  auto start = std::chrono::steady_clock::now();
  auto r = client.ResolveManifest(Ref("127.0.0.1:1/x/y"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("unreachable"), std::string::npos) << r.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST_F(RegistryClientIT, BrokenConnectionIsRetried) {
  RegistryClient client(Options());
  auto plan = client.ResolveManifest(Ref(RegistryEnv::Get("FAULT_REGISTRY") + "/broken"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  Status s = client.FetchBlob(*plan, plan->layers[0], dir_ + "/layer");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(FaultCount("/v2/broken/blobs/" + plan->layers[0].digest), 2);
}

TEST_F(RegistryClientIT, RedirectsAreFollowed) {
  RegistryClient client(Options());
  auto plan = client.ResolveManifest(Ref(RegistryEnv::Get("FAULT_REGISTRY") + "/redirect"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  Status s = client.FetchBlob(*plan, plan->layers[0], dir_ + "/layer");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_GE(FaultCount("/storage/" + plan->layers[0].digest), 1);
}

TEST_F(RegistryClientIT, Schema1IsRefused) {
  RegistryClient client(Options());
  auto plan = client.ResolveManifest(Ref(RegistryEnv::Get("FAULT_REGISTRY") + "/schema1"));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(plan.status().message().find("schema 1"), std::string::npos);
}

TEST_F(RegistryClientIT, ProgressCallbackCancelsAndLeavesNothing) {
  RegistryClient client(Options());
  auto plan = client.ResolveManifest(Ref(RegistryEnv::Get("OPEN_REGISTRY") + "/berth-test/big"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->layers.size(), 2u);
  RequestOptions o;
  o.progress = [](const BlobProgress& p) { return p.bytes_done == 0; };  // stop once data flows
  Status s = client.FetchBlob(*plan, plan->layers[1], dir_ + "/big", o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kCancelled) << s.ToString();
  EXPECT_EQ(Entries(), 0u);
}

TEST_F(RegistryClientIT, CancelledTokenStopsAPull) {
  RegistryClient client(Options());
  CancelSource cancel;
  cancel.Cancel();
  RequestOptions o;
  o.cancel = cancel.token();
  auto plan = client.ResolveManifest(Ref(RegistryEnv::Get("OPEN_REGISTRY") + "/berth-test/big"), o);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kCancelled);
}

TEST_F(RegistryClientIT, ConcurrentBlobFetchesOnOneClient) {
  RegistryClient client(Options());
  auto plan = client.ResolveManifest(Ref(RegistryEnv::Get("OPEN_REGISTRY") + "/berth-test/big"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  std::vector<Status> results(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      const Descriptor& d = plan->layers[i % plan->layers.size()];
      results[i] = client.FetchBlob(*plan, d, dir_ + "/blob" + std::to_string(i));
    });
  }
  for (auto& t : threads) t.join();
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Entries(), results.size());
}

}  // namespace
}  // namespace berth::registry
