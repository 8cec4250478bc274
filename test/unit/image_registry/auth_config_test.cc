#include "pkg/registry/auth_config.h"

#include <gtest/gtest.h>

#include "pkg/registry/registry_endpoints.h"

namespace berth::registry {
namespace {

TEST(AuthConfigTest, Base64RoundTrip) {
  for (std::string s : {std::string(), std::string("a"), std::string("ab"), std::string("abc"),
                        std::string("user:pa:ss"), std::string("\0\xff", 2)}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(Base64Encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_FALSE(Base64Decode("a*b=").ok());
}

TEST(AuthConfigTest, NormalizeSplitsAuthField) {
  AuthConfig c;
  c.auth = Base64Encode("alice:s3:cret");
  auto n = NormalizeAuthConfig(c);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->username, "alice");
  EXPECT_EQ(n->password, "s3:cret");
}

TEST(AuthConfigTest, NormalizeErrorNeverContainsTheSecret) {
  AuthConfig c;
  c.auth = Base64Encode("nocolonsecret");
  auto n = NormalizeAuthConfig(c);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().message().find("nocolonsecret"), std::string::npos);
  EXPECT_EQ(n.status().message().find(c.auth), std::string::npos);
}

TEST(AuthConfigTest, FingerprintDiffersByIdentityAndHidesSecret) {
  AuthConfig a{"u", "p1", "", "", ""}, b{"u", "p2", "", "", ""};
  EXPECT_NE(AuthFingerprint(a), AuthFingerprint(b));
  EXPECT_EQ(AuthFingerprint(AuthConfig{}), "anonymous");
  EXPECT_EQ(AuthFingerprint(a).find("p1"), std::string::npos);
}

TEST(EndpointsTest, MirrorsInOrderThenUpstream) {
  RegistryHostConfigs hosts;
  hosts["gcr.io"].mirrors = {"http://127.0.0.1:5000", "mirror.example:443", "https://m2.example/"};
  hosts["mirror.example:443"].insecure = true;
  auto eps = EndpointsFor("gcr.io", hosts);
  ASSERT_EQ(eps.size(), 4u);
  EXPECT_EQ(eps[0].BaseUrl(), "http://127.0.0.1:5000");
  EXPECT_TRUE(eps[0].mirror);
  EXPECT_EQ(eps[1].BaseUrl(), "https://mirror.example:443");
  EXPECT_TRUE(eps[1].insecure);
  EXPECT_FALSE(eps[1].explicit_scheme);
  EXPECT_EQ(eps[2].BaseUrl(), "https://m2.example");
  EXPECT_EQ(eps[3].BaseUrl(), "https://gcr.io");
  EXPECT_FALSE(eps[3].mirror);
  EXPECT_FALSE(eps[3].insecure);
}

TEST(EndpointsTest, DockerHubAndInsecureHosts) {
  RegistryHostConfigs hosts;
  hosts["127.0.0.1:5000"].insecure = true;
  auto hub = EndpointsFor("docker.io", hosts);
  ASSERT_EQ(hub.size(), 1u);
  EXPECT_EQ(hub[0].host, "registry-1.docker.io");
  auto local = EndpointsFor("127.0.0.1:5000", hosts);
  ASSERT_EQ(local.size(), 1u);
  EXPECT_TRUE(local[0].insecure);
}

TEST(EndpointsTest, BadMirrorsAreSkipped) {
  RegistryHostConfigs hosts;
  hosts["gcr.io"].mirrors = {"ftp://x", "https://x/some/prefix", "bad host"};
  auto eps = EndpointsFor("gcr.io", hosts);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].host, "gcr.io");
}

}  // namespace
}  // namespace berth::registry
