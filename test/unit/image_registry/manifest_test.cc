#include "pkg/registry/manifest.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::registry {
namespace {

std::string D(char c) {
  return "sha256:" + std::string(64, c);
}

std::string ImageManifestJson(const std::string& layer_type = std::string(media::kOciLayerGzip)) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
         D('a') +
         R"(","size":123},
    "layers":[{"mediaType":")" +
         layer_type + R"(","digest":")" + D('b') + R"(","size":456}]})";
}

std::string IndexJson() {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
         D('1') +
         R"(","size":10,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
         D('2') +
         R"(","size":11,"platform":{"os":"linux","architecture":"amd64"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
         D('3') +
         R"(","size":12,"platform":{"os":"windows","architecture":"amd64"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
         D('4') +
         R"(","size":13,"platform":{"os":"linux","architecture":"arm","variant":"v6"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
         D('5') + R"(","size":14,"platform":{"os":"linux","architecture":"arm","variant":"v7"}}]})";
}

TEST(ManifestTest, ClassifiesByContentTypeThenByBody) {
  EXPECT_EQ(*ClassifyManifest(media::kOciIndex, "{}", "m"), ManifestKind::kIndex);
  EXPECT_EQ(*ClassifyManifest(media::kDockerList, "{}", "m"), ManifestKind::kIndex);
  EXPECT_EQ(*ClassifyManifest("application/vnd.docker.distribution.manifest.v2+json; charset=x",
                              "{}", "m"),
            ManifestKind::kImage);
  EXPECT_EQ(*ClassifyManifest("application/json", ImageManifestJson(), "m"), ManifestKind::kImage);
  EXPECT_EQ(*ClassifyManifest("", IndexJson(), "m"), ManifestKind::kIndex);
}

TEST(ManifestTest, RefusesSchema1WithAClearError) {
  auto by_type = ClassifyManifest(media::kDockerSchema1Signed, "{}", "busybox:old");
  ASSERT_FALSE(by_type.ok());
  EXPECT_EQ(by_type.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(by_type.status().message().find("schema 1"), std::string::npos);
  EXPECT_NE(by_type.status().message().find("busybox:old"), std::string::npos);
  auto by_body = ClassifyManifest("application/json", R"({"schemaVersion":1,"fsLayers":[]})", "m");
  ASSERT_FALSE(by_body.ok());
  EXPECT_EQ(by_body.status().code(), Code::kFailedPrecondition);
}

TEST(ManifestTest, ParsesImageManifest) {
  auto m = ParseImageManifest(ImageManifestJson(), "m");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->config.digest, D('a'));
  EXPECT_EQ(m->config.size, 123);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].digest, D('b'));
  EXPECT_EQ(m->layers[0].size, 456);
  EXPECT_EQ(m->layers[0].media_type, media::kOciLayerGzip);
}

TEST(ManifestTest, RefusesHostileOrBrokenManifests) {
  std::string good = ImageManifestJson();
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::string bad[] = {
      "not json",
      "[]",
      replace("\"schemaVersion\":2", "\"schemaVersion\":3"),
      replace(D('b'), "sha256:../../etc/passwd"),
      replace(D('b'), "sha512:" + std::string(128, 'b')),
      replace("\"size\":456", "\"size\":-1"),
      replace("\"size\":456", "\"size\":\"456\""),
      replace("application/vnd.oci.image.config.v1+json",
              "application/vnd.cncf.helm.config.v1+json"),
      ImageManifestJson("application/x-unknown-layer"),
  };
  for (const std::string& b : bad) {
    auto m = ParseImageManifest(b, "m");
    EXPECT_FALSE(m.ok()) << b;
  }
}

TEST(ManifestTest, AcceptsEveryUnpackableLayerType) {
  for (auto t :
       {media::kOciLayer, media::kOciLayerGzip, media::kOciLayerZstd, media::kDockerLayerGzip}) {
    EXPECT_TRUE(ParseImageManifest(ImageManifestJson(std::string(t)), "m").ok()) << t;
  }
  EXPECT_EQ(*LayerCompression(media::kOciLayerZstd), Compression::kZstd);
  EXPECT_EQ(*LayerCompression(media::kDockerLayerGzip), Compression::kGzip);
  EXPECT_EQ(*LayerCompression(media::kOciLayer), Compression::kNone);
}

TEST(ManifestTest, SelectsThePlatform) {
  auto idx = ParseManifestIndex(IndexJson(), "i");
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  ASSERT_EQ(idx->manifests.size(), 5u);
  EXPECT_EQ(SelectPlatform(*idx, {"linux", "amd64", ""}, "i")->digest, D('2'));
  EXPECT_EQ(SelectPlatform(*idx, {"linux", "arm64", ""}, "i")->digest, D('1'));  // "" == v8
  EXPECT_EQ(SelectPlatform(*idx, {"linux", "arm64", "v8"}, "i")->digest, D('1'));
  EXPECT_EQ(SelectPlatform(*idx, {"linux", "arm", "v7"}, "i")->digest, D('5'));  // exact wins
  EXPECT_EQ(SelectPlatform(*idx, {"windows", "amd64", ""}, "i")->digest, D('3'));
  auto none = SelectPlatform(*idx, {"linux", "s390x", ""}, "busybox");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Code::kNotFound);
  EXPECT_NE(none.status().message().find("linux/s390x"), std::string::npos);
  EXPECT_NE(none.status().message().find("linux/arm64/v8"), std::string::npos);
}

TEST(ManifestTest, ArmFallsBackToALowerVariantOnly) {
  std::string one =
      R"({"schemaVersion":2,"manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      D('6') + R"(","size":1,"platform":{"os":"linux","architecture":"arm","variant":"v6"}}]})";
  auto idx = ParseManifestIndex(one, "i");
  ASSERT_TRUE(idx.ok());
  EXPECT_TRUE(SelectPlatform(*idx, {"linux", "arm", "v7"}, "i").ok());
  EXPECT_FALSE(SelectPlatform(*idx, {"linux", "arm", "v5"}, "i").ok());
}

// Found by manifest_fuzz: an index parsed whatever type its body named, so a
// manifest (or anything) sent as an index was taken for one.
TEST(ManifestTest, IndexRefusesABodyThatNamesAnotherType) {
  std::string body = IndexJson();
  const std::string index_type(media::kOciIndex);
  body.replace(body.find(index_type), index_type.size(), media::kOciManifest);
  auto idx = ParseManifestIndex(body, "busybox");
  ASSERT_FALSE(idx.ok());
  EXPECT_EQ(idx.status().code(), Code::kInvalidArgument);
  EXPECT_NE(idx.status().message().find("busybox"), std::string::npos);
  EXPECT_NE(idx.status().message().find("is not an index"), std::string::npos);
  body = IndexJson();
  body.replace(body.find(index_type), index_type.size(), media::kDockerList);
  EXPECT_TRUE(ParseManifestIndex(body, "busybox").ok());
}

TEST(ManifestTest, HostPlatformIsLinux) {
  Platform p = HostPlatform();
  EXPECT_EQ(p.os, "linux");
  EXPECT_FALSE(p.architecture.empty());
}

TEST(ManifestTest, AcceptHeaderListsAllFourTypesButNotSchema1) {
  std::string a = ManifestAcceptHeader();
  for (auto t :
       {media::kOciIndex, media::kOciManifest, media::kDockerList, media::kDockerManifest}) {
    EXPECT_NE(a.find(t), std::string::npos) << t;
  }
  EXPECT_EQ(a.find("distribution.manifest.v1"), std::string::npos);
}

}  // namespace
}  // namespace berth::registry
