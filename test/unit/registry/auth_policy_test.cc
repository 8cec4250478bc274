// Issue 15 item 10: a registry token holding CR/LF went into a header line as
// is, and Basic credentials went to a token realm over plain HTTP.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pkg/registry/auth_config.h"
#include "pkg/registry/registry_auth.h"

namespace berth::registry {
namespace {

using ::testing::HasSubstr;

TEST(RegistryTokenTest, ControlCharactersAreRefused) {
  for (const char* token : {"abc\r\nX-Injected: 1", "abc\nd", "a\rb", "tab\there", "del\x7f"}) {
    AuthConfig c;
    c.registry_token = token;
    auto n = NormalizeAuthConfig(c);
    EXPECT_EQ(n.status().code(), Code::kInvalidArgument) << token;
    EXPECT_THAT(n.status().message(), HasSubstr("registry token"));
  }
  AuthConfig fine;
  fine.registry_token = "eyJhbGciOiJSUzI1NiJ9.payload.sig-_+/=";
  EXPECT_TRUE(NormalizeAuthConfig(fine).ok());
}

TEST(TokenRealmTest, CredentialsGoOverPlainHttpOnlyToAnInsecureRegistry) {
  Endpoint secure{"registry.example.com", "https", false, false, false};
  Endpoint insecure{"registry.internal:5000", "http", true, false, false};
  AuthConfig basic{"alice", "secret", "", "", ""};
  AuthConfig refresh{"", "", "", "refresh-token", ""};
  for (const AuthConfig& creds : {basic, refresh}) {
    Status s = CheckTokenRealm(secure, "http://auth.example.com/token", creds);
    EXPECT_EQ(s.code(), Code::kFailedPrecondition);
    EXPECT_THAT(s.message(), HasSubstr("plain HTTP"));
    EXPECT_THAT(s.message(), HasSubstr("registry.example.com"));
    EXPECT_TRUE(CheckTokenRealm(secure, "https://auth.example.com/token", creds).ok());
    EXPECT_TRUE(CheckTokenRealm(insecure, "http://registry.internal:5000/token", creds).ok());
  }
  // Anonymous token requests carry nothing to protect.
  EXPECT_TRUE(CheckTokenRealm(secure, "http://auth.example.com/token", AuthConfig{}).ok());
}

}  // namespace
}  // namespace berth::registry
