#include "pkg/credentials/auth_file.h"

#include <gtest/gtest.h>

#include "pkg/registry/auth_config.h"

namespace berth::credentials {
namespace {

using registry::Base64Encode;

const std::string kConfig = R"({"auths": {
  "https://index.docker.io/v1/": {"auth": ")" +
                            Base64Encode("hubuser:hubpass") + R"("},
  "registry.example:5000": {"username": "u5000", "password": "p5000"},
  "https://quay.io/v2/": {"identitytoken": "refresh-me"},
  "http://legacy.example/v1/": {"auth": ")" +
                            Base64Encode("leg:acy") + R"("},
  "token.example": {"registrytoken": "bearer-token"},
  "broken.example": {"auth": "!!!"}
}})";

registry::AuthConfig Get(std::string_view host) {
  auto r = LookupDockerConfig(kConfig, host, "config.json");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->has_value()) << host;
  return r->value_or(registry::AuthConfig{});
}

TEST(AuthFileTest, DockerHubMatchesItsLegacyKey) {
  for (auto host : {"docker.io", "index.docker.io", "registry-1.docker.io"}) {
    auto c = Get(host);
    EXPECT_EQ(c.username, "hubuser") << host;
    EXPECT_EQ(c.password, "hubpass") << host;
  }
}

TEST(AuthFileTest, HostMatchingIgnoresSchemeAndPath) {
  EXPECT_EQ(Get("registry.example:5000").username, "u5000");
  EXPECT_EQ(Get("quay.io").identity_token, "refresh-me");
  EXPECT_EQ(Get("legacy.example").username, "leg");
  EXPECT_EQ(Get("token.example").registry_token, "bearer-token");
}

TEST(AuthFileTest, NoEntryIsNotAnError) {
  auto r = LookupDockerConfig(kConfig, "registry.example", "config.json");  // port differs
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  auto empty = LookupDockerConfig("{}", "x", "config.json");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
  auto missing = LookupAuthFile("/nonexistent/berth/config.json", "x");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(AuthFileTest, MalformedIsAnErrorWithoutSecrets) {
  EXPECT_FALSE(LookupDockerConfig("not json", "x", "c").ok());
  EXPECT_FALSE(LookupDockerConfig(R"({"auths": []})", "x", "c").ok());
  auto r = LookupDockerConfig(kConfig, "broken.example", "config.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("broken.example"), std::string::npos);
  EXPECT_EQ(r.status().message().find("!!!"), std::string::npos);
}

TEST(AuthFileTest, ConvertToHostname) {
  EXPECT_EQ(ConvertToHostname("https://index.docker.io/v1/"), "index.docker.io");
  EXPECT_EQ(ConvertToHostname("http://h:1/x"), "h:1");
  EXPECT_EQ(ConvertToHostname("h:1"), "h:1");
}

}  // namespace
}  // namespace berth::credentials
