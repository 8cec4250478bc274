// Every way berthd gets registry credentials, end to end against the local
// htpasswd (Basic) and token-server (Bearer) registries: the request's
// AuthConfig, the auth_file, and exec credential-provider plugins. Each test
// also checks that no secret reaches berthd's log (it runs at debug level).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/images/image_env.h"
#include "test/integration/images/image_rpc.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace rt = runtime::v1;

std::string Basic(const std::string& repo) {
  return ImageEnv::Get("BASIC_REGISTRY") + "/" + repo;
}
std::string Token(const std::string& repo) {
  return ImageEnv::Get("TOKEN_REGISTRY") + "/" + repo;
}

rt::AuthConfig UserPassword(const std::string& user, const std::string& password) {
  rt::AuthConfig a;
  a.set_username(user);
  a.set_password(password);
  return a;
}

std::string Base64(const std::string& in) {
  ProcessResult r = RunCommand({"/bin/sh", "-c", "printf '%s' \"$0\" | base64 -w0", in});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.output;
}

size_t CountLines(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

class ImageAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RequireRoot();
    ASSERT_FALSE(ImageEnv::Get("PROXY").empty()) << "image test environment did not start";
  }
  void TearDown() override {
    if (d_ == nullptr) return;
    // Whatever happened, no secret may be in the log: passwords, the `auth`
    // field's base64 form, tokens handed out by the token server.
    const std::string log = d_->Log();
    for (const std::string& secret :
         {ImageEnv::Get("BASIC_PASSWORD"), ImageEnv::Get("TOKEN_PASSWORD"),
          Base64(ImageEnv::Get("BASIC_USER") + ":" + ImageEnv::Get("BASIC_PASSWORD")),
          std::string("eyJ")}) {  // every JWT starts with a base64 '{"'
      EXPECT_THAT(log, Not(HasSubstr(secret))) << "secret in berthd's log";
    }
  }
  BerthdProcess& Start(const std::string& extra_yaml = "") {
    d_ = std::make_unique<BerthdProcess>(ImageEnv::RegistriesYaml() + extra_yaml);
    d_->Start();
    return *d_;
  }

  std::unique_ptr<BerthdProcess> d_;
};

TEST_F(ImageAuthTest, BasicRegistryRefusesAnonymousAndWrongPasswordWithClearError) {
  BerthdProcess& d = Start();
  ASSERT_FALSE(HasFailure());
  const std::string ref = Basic("berth-test/busybox:latest");
  grpc::Status anon = PullImage(d, ref);
  EXPECT_EQ(anon.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << anon.error_message();
  EXPECT_THAT(anon.error_message(), HasSubstr(ImageEnv::Get("BASIC_REGISTRY")));
  EXPECT_THAT(anon.error_message(), HasSubstr("no credentials for"));

  rt::AuthConfig wrong = UserPassword(ImageEnv::Get("BASIC_USER"), "not-the-password");
  grpc::Status s = PullImage(d, ref, &wrong);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr(ImageEnv::Get("BASIC_REGISTRY")));
  EXPECT_THAT(s.error_message(), HasSubstr("credentials rejected"));
  EXPECT_THAT(s.error_message(), Not(HasSubstr("not-the-password")));
  EXPECT_TRUE(ListImages(d).empty());
}

TEST_F(ImageAuthTest, RequestAuthConfigUsernamePassword) {
  BerthdProcess& d = Start();
  ASSERT_FALSE(HasFailure());
  rt::AuthConfig auth = UserPassword(ImageEnv::Get("BASIC_USER"), ImageEnv::Get("BASIC_PASSWORD"));
  const std::string ref = Basic("berth-test/busybox:latest");
  grpc::Status s = PullImage(d, ref, &auth);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d.Log();
  EXPECT_TRUE(ImageStatus(d, ref).has_image());
}

TEST_F(ImageAuthTest, RequestAuthConfigAuthField) {
  BerthdProcess& d = Start();
  ASSERT_FALSE(HasFailure());
  rt::AuthConfig auth;
  auth.set_auth(Base64(ImageEnv::Get("BASIC_USER") + ":" + ImageEnv::Get("BASIC_PASSWORD")));
  const std::string ref = Basic("berth-test/busybox:latest");
  grpc::Status s = PullImage(d, ref, &auth);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d.Log();
  EXPECT_TRUE(ImageStatus(d, ref).has_image());
}

TEST_F(ImageAuthTest, AuthFileMatchesByHostAndRequestAuthWins) {
  TempDir tmp("berth-authfile");
  const std::string auth_file = tmp.Sub("config.json");
  // Docker matching: the Basic registry under a URL-shaped key (scheme and
  // path dropped), the token registry by bare host:port; a wrong password
  // under a different port must not be picked.
  std::ofstream(auth_file) << "{\"auths\": {\n"
                           << "  \"127.0.0.1:1\": {\"auth\": \"" << Base64("testuser:wrong")
                           << "\"},\n"
                           << "  \"http://" << ImageEnv::Get("BASIC_REGISTRY")
                           << "/v2/\": {\"auth\": \""
                           << Base64(ImageEnv::Get("BASIC_USER") + ":" +
                                     ImageEnv::Get("BASIC_PASSWORD"))
                           << "\"},\n"
                           << "  \"" << ImageEnv::Get("TOKEN_REGISTRY") << "\": {\"username\": \""
                           << ImageEnv::Get("TOKEN_USER") << "\", \"password\": \""
                           << ImageEnv::Get("TOKEN_PASSWORD") << "\"}\n"
                           << "}}\n";
  BerthdProcess& d = Start("auth_file: " + auth_file + "\n");
  ASSERT_FALSE(HasFailure());

  const std::string basic = Basic("berth-test/busybox:latest");
  grpc::Status s = PullImage(d, basic);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d.Log();
  const std::string token = Token("berth-test/multilayer:latest");
  s = PullImage(d, token);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d.Log();
  EXPECT_EQ(ListImages(d).size(), 2u);

  // The request's credentials come first: wrong ones fail although the file has good ones.
  ASSERT_TRUE(RemoveImage(d, basic).ok());
  rt::AuthConfig wrong = UserPassword(ImageEnv::Get("BASIC_USER"), "not-the-password");
  EXPECT_EQ(PullImage(d, basic, &wrong).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ImageAuthTest, BearerTokenRegistryRefusesAnonymousAndAcceptsCredentials) {
  BerthdProcess& d = Start();
  ASSERT_FALSE(HasFailure());
  const std::string ref = Token("berth-test/busybox:latest");
  grpc::Status anon = PullImage(d, ref);
  EXPECT_FALSE(anon.ok());
  EXPECT_THAT(anon.error_message(), HasSubstr(ImageEnv::Get("TOKEN_REGISTRY")));
  EXPECT_TRUE(ListImages(d).empty());

  rt::AuthConfig wrong = UserPassword(ImageEnv::Get("TOKEN_USER"), "not-the-password");
  grpc::Status bad = PullImage(d, ref, &wrong);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << bad.error_message();
  EXPECT_THAT(bad.error_message(), HasSubstr("token"));

  const size_t tokens_before = CountLines(ImageEnv::Get("TOKEN_REQUESTS_LOG"));
  rt::AuthConfig auth = UserPassword(ImageEnv::Get("TOKEN_USER"), ImageEnv::Get("TOKEN_PASSWORD"));
  grpc::Status s = PullImage(d, ref, &auth);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d.Log();
  EXPECT_TRUE(ImageStatus(d, ref).has_image());
  // One token for the whole pull (manifest, config, layer): it is reused until it expires.
  EXPECT_EQ(CountLines(ImageEnv::Get("TOKEN_REQUESTS_LOG")) - tokens_before, 1u);
}

// A kubelet CredentialProviderConfig running test/testdata's test plugin for
// the Basic registry; `mode` and `password` go to the plugin's environment.
std::string ProviderConfig(const TempDir& dir, const std::string& mode,
                           const std::string& password) {
  const std::string host = ImageEnv::Get("BASIC_REGISTRY");
  const std::string path = dir.Sub("providers.yaml");
  std::ofstream(path) << "apiVersion: kubelet.config.k8s.io/v1\n"
                      << "kind: CredentialProviderConfig\n"
                      << "providers:\n"
                      << "- name: test-credential-provider\n"
                      << "  matchImages: [\"" << host << "\"]\n"
                      << "  defaultCacheDuration: 10m\n"
                      << "  apiVersion: credentialprovider.kubelet.k8s.io/v1\n"
                      << "  args: [\"" << ImageEnv::Get("BASIC_USER") << "\"]\n"
                      << "  env:\n"
                      << "  - {name: MODE, value: " << mode << "}\n"
                      << "  - {name: PASSWORD, value: \"" << password << "\"}\n"
                      << "  - {name: AUTH_KEY, value: \"" << host << "\"}\n"
                      << "  - {name: COUNT_FILE, value: \"" << dir.Sub("count") << "\"}\n"
                      << "  - {name: REQUEST_FILE, value: \"" << dir.Sub("request.json") << "\"}\n";
  return "credential_providers: {config: " + path + ", bin_dir: " + std::string(BERTH_SOURCE_DIR) +
         "/test/testdata/credential-providers}\n";
}

TEST_F(ImageAuthTest, CredentialProviderPluginSuppliesCredentialsOnceForTwoPulls) {
  TempDir plugin("berth-provider");
  BerthdProcess& d = Start(ProviderConfig(plugin, "ok", ImageEnv::Get("BASIC_PASSWORD")));
  ASSERT_FALSE(HasFailure());
  const std::string ref = Basic("berth-test/busybox:latest");
  grpc::Status s = PullImage(d, ref);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d.Log();
  EXPECT_TRUE(ImageStatus(d, ref).has_image());
  // The plugin was asked about the repository on that host, kubelet-style.
  std::stringstream request;
  request << std::ifstream(plugin.Sub("request.json")).rdbuf();
  EXPECT_THAT(request.str(), HasSubstr("\"image\":\"" + Basic("berth-test/busybox") + "\""));
  EXPECT_THAT(request.str(), HasSubstr("credentialprovider.kubelet.k8s.io/v1"));

  // A second full pull (the image removed first) is served from the cache.
  ASSERT_TRUE(RemoveImage(d, ref).ok());
  s = PullImage(d, ref);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d.Log();
  EXPECT_EQ(CountLines(plugin.Sub("count")), 1u);
}

class FailingProviderTest : public ImageAuthTest,
                            public ::testing::WithParamInterface<std::string> {};

TEST_P(FailingProviderTest, LogsWarningAndPullsAnonymously) {
  TempDir plugin("berth-provider");
  BerthdProcess& d = Start(ProviderConfig(plugin, GetParam(), ImageEnv::Get("BASIC_PASSWORD")));
  ASSERT_FALSE(HasFailure());
  grpc::Status s = PullImage(d, Basic("berth-test/busybox:latest"));
  // The plugin ran, its failure was logged, and the pull went on without
  // credentials: the Basic registry refuses it.
  EXPECT_GE(CountLines(plugin.Sub("count")), 1u);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("no credentials for"));
  EXPECT_THAT(d.Log(), HasSubstr("provider test-credential-provider"));
  EXPECT_THAT(d.Log(), HasSubstr("continuing without its credentials"));
  EXPECT_TRUE(ListImages(d).empty());
}

INSTANTIATE_TEST_SUITE_P(Modes, FailingProviderTest, ::testing::Values("fail", "garbled"));

}  // namespace
}  // namespace berth::testing
