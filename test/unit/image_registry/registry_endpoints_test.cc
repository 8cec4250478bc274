// Loopback registries are insecure without configuration (as in docker), and a
// TLS failure on any other host says how to mark it insecure. No network here.
#include "pkg/registry/registry_endpoints.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/registry/registry_auth.h"

namespace berth::registry {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(LoopbackHostTest, NamesOfLoopbackAddresses) {
  for (const char* h : {"localhost", "localhost:5000", "LocalHost:5000", "127.0.0.1",
                        "127.0.0.1:5000", "127.1.2.3:80", "127.255.255.254", "[::1]:5000", "[::1]",
                        "::1", "[::ffff:127.0.0.1]:5000"}) {
    EXPECT_TRUE(IsLoopbackHost(h)) << h;
  }
}

TEST(LoopbackHostTest, OtherNamesAreNot) {
  // Names that merely look loopback-ish, or resolve anywhere, are not: only
  // the name counts, DNS is never asked.
  for (const char* h :
       {"registry.example.com:5000", "localhost.example.com:5000", "mylocalhost:5000",
        "127.0.0.1.example.com", "128.0.0.1:5000", "126.255.255.255", "0.0.0.0:5000",
        "10.0.0.1:5000", "[::2]:5000", "[::ffff:10.0.0.1]:5000", "docker.io", ""}) {
    EXPECT_FALSE(IsLoopbackHost(h)) << h;
  }
}

TEST(EndpointsTest, LoopbackUpstreamFallsBackToHttpWithoutConfig) {
  for (const char* h : {"127.0.0.1:5000", "localhost:5000", "[::1]:5000"}) {
    std::vector<Endpoint> eps = EndpointsFor(h, {});
    ASSERT_EQ(eps.size(), 1u) << h;
    EXPECT_EQ(eps[0].scheme, "https") << h;  // HTTPS first, as docker
    EXPECT_TRUE(eps[0].insecure) << h;       // then plain HTTP
    EXPECT_FALSE(eps[0].explicit_scheme) << h;
  }
}

TEST(EndpointsTest, OtherHostsStaySecureUnlessConfigured) {
  std::vector<Endpoint> eps = EndpointsFor("registry.example.com:5000", {});
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_FALSE(eps[0].insecure);
  RegistryHostConfigs hosts;
  hosts["registry.example.com:5000"].insecure = true;
  eps = EndpointsFor("registry.example.com:5000", hosts);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_TRUE(eps[0].insecure);
}

TEST(EndpointsTest, LoopbackMirrorWithoutSchemeIsInsecure) {
  RegistryHostConfigs hosts;
  hosts["gcr.io"].mirrors = {"127.0.0.1:5000", "mirror.example.com"};
  std::vector<Endpoint> eps = EndpointsFor("gcr.io", hosts);
  ASSERT_EQ(eps.size(), 3u);
  EXPECT_TRUE(eps[0].insecure);
  EXPECT_FALSE(eps[1].insecure);
  EXPECT_FALSE(eps[2].insecure);  // gcr.io itself
}

HttpResult TlsFailure(const std::string& host) {
  HttpResult r;
  r.failure = HttpFailure::kTls;
  r.status = Unavailable("GET https://" + host +
                         "/v2/: error:0A00010B:SSL routines::wrong version number");
  return r;
}

TEST(PingFailureTest, TlsFailureOnASecureHostSaysHowToMarkItInsecure) {
  const std::string host = "registry.example.com:5000";
  std::vector<Endpoint> eps = EndpointsFor(host, {});
  ASSERT_EQ(eps.size(), 1u);
  Status s = PingFailure(eps[0], TlsFailure(host));
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("registry registry.example.com:5000 unreachable"));
  EXPECT_THAT(s.message(), HasSubstr("wrong version number"));
  EXPECT_THAT(s.message(),
              HasSubstr("registries: {\"registry.example.com:5000\": {insecure: true}}"));
}

TEST(PingFailureTest, NoHintWhereItCannotHelp) {
  // Already insecure (configured, or loopback): the hint would be wrong.
  RegistryHostConfigs hosts;
  hosts["registry.example.com:5000"].insecure = true;
  Endpoint configured = EndpointsFor("registry.example.com:5000", hosts)[0];
  EXPECT_THAT(PingFailure(configured, TlsFailure(configured.host)).message(),
              Not(HasSubstr("insecure: true")));
  Endpoint loopback = EndpointsFor("127.0.0.1:5000", {})[0];
  EXPECT_THAT(PingFailure(loopback, TlsFailure(loopback.host)).message(),
              Not(HasSubstr("insecure: true")));
  // Not a TLS failure: nothing about TLS to fix.
  Endpoint secure = EndpointsFor("registry.example.com:5000", {})[0];
  HttpResult refused;
  refused.failure = HttpFailure::kRetryable;
  refused.status = Unavailable("GET https://registry.example.com:5000/v2/: connection refused");
  EXPECT_THAT(PingFailure(secure, refused).message(), Not(HasSubstr("insecure: true")));
}

}  // namespace
}  // namespace berth::registry
