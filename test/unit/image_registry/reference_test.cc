#include "pkg/registry/reference.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::registry {
namespace {

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Good {
  std::string in;
  std::string domain, path, tag, digest;
};

TEST(ReferenceTest, NormalizesValidReferences) {
  const Good cases[] = {
      {"busybox", "docker.io", "library/busybox", "latest", ""},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", ""},
      {"library/busybox", "docker.io", "library/busybox", "latest", ""},
      {"docker.io/busybox", "docker.io", "library/busybox", "latest", ""},
      {"index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", ""},
      {"someone/app", "docker.io", "someone/app", "latest", ""},
      {"quay.io/org/app:v1.2-rc_3", "quay.io", "org/app", "v1.2-rc_3", ""},
      {"localhost/app", "localhost", "app", "latest", ""},
      {"localhost:5000/app:tag", "localhost:5000", "app", "tag", ""},
      {"127.0.0.1:5000/a/b/c", "127.0.0.1:5000", "a/b/c", "latest", ""},
      {"[::1]:5000/app", "[::1]:5000", "app", "latest", ""},
      {"Registry.Example/app", "Registry.Example", "app", "latest", ""},
      {"gcr.io/a.b/c_d/e__f/g-h--i", "gcr.io", "a.b/c_d/e__f/g-h--i", "latest", ""},
      {"busybox@sha256:" + kHex, "docker.io", "library/busybox", "", "sha256:" + kHex},
      {"busybox:1.36@sha256:" + kHex, "docker.io", "library/busybox", "1.36", "sha256:" + kHex},
      {"host:5000/app:t@sha256:" + kHex, "host:5000", "app", "t", "sha256:" + kHex},
      {"localhost:5000", "docker.io", "library/localhost", "5000", ""},  // as docker reads it
  };
  for (const Good& c : cases) {
    auto r = ParseReference(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().ToString();
    EXPECT_EQ(r->domain, c.domain) << c.in;
    EXPECT_EQ(r->path, c.path) << c.in;
    EXPECT_EQ(r->tag, c.tag) << c.in;
    EXPECT_EQ(r->digest, c.digest) << c.in;
  }
}

TEST(ReferenceTest, RejectsInvalidReferencesWithInvalidArgumentNamingThem) {
  const std::string cases[] = {
      "",
      "Busybox",                    // uppercase repository
      "docker.io/Library/busybox",  // uppercase path component
      "busybox:",                   // empty tag
      "busybox:-bad",               // tag starts with '-'
      "busybox:" + std::string(129, 'a'),
      "busybox@sha256:abc",  // short digest
      "busybox@sha256:" + std::string(64, 'G'),
      "busybox@md5:0123456789abcdef0123456789abcdef",
      "busybox@",
      kHex,  // an image ID, not a name
      "a//b",
      "/busybox",
      "busybox/",
      "-a/b",
      "a/b-",
      "a/.b",
      "a/b..c",
      "a/b___c",
      "host:port/app",        // non-numeric port
      "127.0.0.1:99999/app",  // port past 65535
      "registry.io:0/app",    // port 0
      "[::1]:70000/app",
      "ho_st.io/app",                     // '_' in a host label
      "gcr.io/" + std::string(250, 'a'),  // name over 255 characters
      "app name",
      "app\n",
  };
  for (const std::string& c : cases) {
    auto r = ParseReference(c);
    ASSERT_FALSE(r.ok()) << "accepted: " << c;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << c;
    EXPECT_NE(r.status().message().find("invalid image reference"), std::string::npos) << c;
  }
}

TEST(ReferenceTest, ErrorNamesTheReferenceSanitized) {
  auto r = ParseReference("Bad\x01Ref");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("\"Bad\\x01Ref\""), std::string::npos)
      << r.status().message();
}

TEST(ReferenceTest, LengthLimitCountsDomainAndPath) {
  std::string path(255 - std::string("gcr.io/").size(), 'a');
  EXPECT_TRUE(ParseReference("gcr.io/" + path).ok());
  EXPECT_FALSE(ParseReference("gcr.io/" + path + "a").ok());
}

TEST(ReferenceTest, StringForms) {
  auto r = ParseReference("busybox:1.36@sha256:" + kHex);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Name(), "docker.io/library/busybox");
  EXPECT_EQ(r->String(), "docker.io/library/busybox:1.36@sha256:" + kHex);
  EXPECT_EQ(r->TagString(), "docker.io/library/busybox:1.36");
  EXPECT_EQ(r->DigestString(), "docker.io/library/busybox@sha256:" + kHex);
  EXPECT_EQ(r->ManifestSelector(), "sha256:" + kHex);  // digest wins for pulls

  auto t = ParseReference("busybox");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->String(), "docker.io/library/busybox:latest");
  EXPECT_EQ(t->ManifestSelector(), "latest");
  EXPECT_EQ(t->DigestString(), "");
}

TEST(ReferenceTest, NoDefaultTagVariantLeavesTagEmpty) {
  auto r = ParseReferenceNoDefaultTag("busybox");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tag, "");
  EXPECT_EQ(r->String(), "docker.io/library/busybox");
}

TEST(ReferenceTest, RoundTripsItsOwnString) {
  for (std::string in :
       {std::string("busybox"), std::string("quay.io/a/b:c"), "localhost:5000/x@sha256:" + kHex}) {
    auto r = ParseReference(in);
    ASSERT_TRUE(r.ok());
    auto again = ParseReference(r->String());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*r, *again);
  }
}

}  // namespace
}  // namespace berth::registry
