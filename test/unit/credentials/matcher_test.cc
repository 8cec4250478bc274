#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pkg/credentials/go_duration.h"
#include "pkg/credentials/image_matcher.h"

namespace berth::credentials {
namespace {

struct Case {
  const char* pattern;
  const char* image;
  bool match;
};

TEST(ImageMatcherTest, FollowsKubeletRules) {
  const Case cases[] = {
      {"registry.io", "registry.io/app", true},
      {"registry.io", "registry.io", true},
      {"*.registry.io", "team.registry.io/app", true},
      {"*.registry.io", "registry.io/app", false},      // parts count differs
      {"*.registry.io", "a.b.registry.io/app", false},  // a glob never spans a dot
      {"*.*.registry.io", "a.b.registry.io/app", true},
      {"registry.*", "registry.io/app", true},
      {"k8s.*.io", "k8s.gcr.io/app", true},
      {"app*.k8s.io", "app1.k8s.io/x", true},
      {"app*.k8s.io", "web.k8s.io/x", false},
      {"*.dkr.ecr.*.amazonaws.com", "123.dkr.ecr.us-east-1.amazonaws.com/repo", true},
      {"registry.io:8080", "registry.io:8080/app", true},
      {"registry.io:8080", "registry.io/app", false},  // pattern port must be in the image
      {"registry.io", "registry.io:8080/app", false},  // and ports must be equal
      {"registry.io:8080/path", "registry.io:8080/path/app", true},
      {"registry.io/team", "registry.io/team/app", true},
      {"registry.io/team", "registry.io/teamx/app", true},  // a plain string prefix, as kubelet
      {"registry.io/team", "registry.io/other/app", false},
      {"registry.io/team/app", "registry.io/team", false},
      {"*", "localhost/app", true},
      {"*", "registry.io/app", false},
      {"regist?y.io", "registry.io/app", true},
      {"[a-r]egistry.io", "registry.io/app", true},
      {"[^r]egistry.io", "registry.io/app", false},
      {"127.0.0.1:5000", "127.0.0.1:5000/app", true},
      {"https://registry.io", "registry.io/app", true},  // a scheme is not compared
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MatchImage(c.pattern, c.image), c.match) << c.pattern << " vs " << c.image;
  }
}

TEST(ImageMatcherTest, GlobBasics) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYY"));
  EXPECT_TRUE(GlobMatch("\\*", "*"));
  EXPECT_FALSE(GlobMatch("\\*", "a"));
  EXPECT_FALSE(GlobMatch("[abc", "a"));  // malformed class never matches
}

// Issue 15 item 10: a number longer than a double holds threw out_of_range.
TEST(GoDurationTest, HostileNumbersAreErrorsNotExceptions) {
  const std::vector<std::string> hostile = {
      std::string(400, '9') + "s", "1" + std::string(320, '0') + "h", "+", "1e400s", ".s", "1..5s"};
  for (const std::string& d : hostile) {
    auto r = ParseGoDuration(d);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << d.substr(0, 20);
  }
}

// Found by go_duration_fuzz: the duration text went into the error as is
// (control bytes included, and a negative one whole).
TEST(GoDurationTest, ErrorsEscapeAndCutTheText) {
  auto bad = ParseGoDuration("5\r\nlevel=error forged\x1b[2J");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find_first_of("\r\n\x1b"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("\\x0d\\x0a"), std::string::npos) << bad.status().message();
  auto negative = ParseGoDuration("-" + std::string(10000, '1') + "\ns");
  ASSERT_FALSE(negative.ok());
  EXPECT_LT(negative.status().message().size(), 200u);
  EXPECT_EQ(negative.status().message().find('\n'), std::string::npos);
}

TEST(GoDurationTest, Parses) {
  EXPECT_EQ(ParseGoDuration("0")->count(), 0);
  EXPECT_EQ(ParseGoDuration("0s")->count(), 0);
  EXPECT_EQ(ParseGoDuration("10s")->count(), 10000);
  EXPECT_EQ(ParseGoDuration("1h30m")->count(), 5400000);
  EXPECT_EQ(ParseGoDuration("1.5h")->count(), 5400000);
  EXPECT_EQ(ParseGoDuration("300ms")->count(), 300);
  for (const char* bad : {"", "10", "s", "1x", "-5s", "1..5s", "abc"}) {
    EXPECT_FALSE(ParseGoDuration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace berth::credentials
