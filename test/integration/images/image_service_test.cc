// The CRI ImageService of a real berthd against real local registries.
#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/images/image_env.h"

namespace berth::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace rt = runtime::v1;

std::string Open(const std::string& repo) {
  return ImageEnv::Get("OPEN_REGISTRY") + "/" + repo;
}

grpc::Status Pull(BerthdProcess& d, const std::string& ref, std::string* image_ref = nullptr,
                  const rt::AuthConfig* auth = nullptr) {
  rt::PullImageRequest req;
  req.mutable_image()->set_image(ref);
  if (auth != nullptr) *req.mutable_auth() = *auth;
  rt::PullImageResponse resp;
  grpc::Status s = d.image().PullImage(Ctx(std::chrono::seconds(120)).get(), req, &resp);
  if (image_ref != nullptr) *image_ref = resp.image_ref();
  return s;
}

rt::ImageStatusResponse Status(BerthdProcess& d, const std::string& ref, bool verbose = false) {
  rt::ImageStatusRequest req;
  req.mutable_image()->set_image(ref);
  req.set_verbose(verbose);
  rt::ImageStatusResponse resp;
  grpc::Status s = d.image().ImageStatus(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << ref << ": " << s.error_message();
  return resp;
}

grpc::Status Remove(BerthdProcess& d, const std::string& ref) {
  rt::RemoveImageRequest req;
  req.mutable_image()->set_image(ref);
  rt::RemoveImageResponse resp;
  return d.image().RemoveImage(Ctx().get(), req, &resp);
}

std::vector<rt::Image> List(BerthdProcess& d, const std::string& filter = "") {
  rt::ListImagesRequest req;
  if (!filter.empty()) req.mutable_filter()->mutable_image()->set_image(filter);
  rt::ListImagesResponse resp;
  grpc::Status s = d.image().ListImages(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return {resp.images().begin(), resp.images().end()};
}

// The config and layer digests of `repo:tag` on the open registry.
std::vector<std::string> BlobDigests(const std::string& repo, const std::string& tag) {
  ProcessResult r = RunCommand(
      {"/usr/bin/curl", "-sfS", "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
       "http://" + ImageEnv::Get("OPEN_REGISTRY") + "/v2/" + repo + "/manifests/" + tag});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto m = nlohmann::json::parse(r.output);
  std::vector<std::string> out = {m["config"]["digest"]};
  for (const auto& l : m["layers"]) out.push_back(l["digest"]);
  return out;
}

class ImageServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RequireRoot();
    ASSERT_FALSE(ImageEnv::Get("PROXY").empty()) << "image test environment did not start";
  }
  std::string Yaml(const std::string& extra = "") { return ImageEnv::RegistriesYaml() + extra; }
};

TEST_F(ImageServiceTest, PullListStatusRemoveRoundTrip) {
  BerthdProcess d(Yaml());
  ASSERT_NO_FATAL_FAILURE(d.Start());
  const std::string ref = Open("berth-test/busybox:latest");
  std::string id;
  grpc::Status s = Pull(d, ref, &id);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d.Log();
  EXPECT_THAT(id, StartsWith("sha256:"));
  EXPECT_EQ(id.size(), 71u);

  auto images = List(d);
  ASSERT_EQ(images.size(), 1u);
  const rt::Image& img = images[0];
  EXPECT_EQ(img.id(), id);
  EXPECT_THAT(img.repo_tags(), ElementsAre(ref));
  EXPECT_THAT(img.repo_digests(),
              ElementsAre(Open("berth-test/busybox@") + ImageEnv::Get("IMAGE_BUSYBOX_DIGEST")));
  EXPECT_GT(img.size(), 100000u);
  EXPECT_EQ(img.spec().image(), id);
  EXPECT_FALSE(img.pinned());

  // Every way of naming it finds the same image.
  for (const std::string& name :
       {ref, Open("berth-test/busybox"), id, id.substr(7), id.substr(7, 12), img.repo_digests(0)}) {
    rt::ImageStatusResponse st = Status(d, name);
    ASSERT_TRUE(st.has_image()) << name;
    EXPECT_EQ(st.image().id(), id) << name;
  }
  // Verbose: the image config as JSON.
  rt::ImageStatusResponse verbose = Status(d, ref, true);
  ASSERT_TRUE(verbose.info().contains("info"));
  auto info = nlohmann::json::parse(verbose.info().at("info"));
  EXPECT_EQ(info["imageSpec"]["config"]["Cmd"], nlohmann::json::array({"/bin/sh"}));
  EXPECT_EQ(info["imageSpec"]["os"], "linux");

  // A filter selects exactly that image.
  EXPECT_EQ(List(d, ref).size(), 1u);
  EXPECT_EQ(List(d, id).size(), 1u);
  EXPECT_TRUE(List(d, Open("berth-test/other:1")).empty());

  rt::ImageFsInfoResponse fs;
  ASSERT_TRUE(d.image().ImageFsInfo(Ctx().get(), rt::ImageFsInfoRequest(), &fs).ok());
  ASSERT_EQ(fs.image_filesystems_size(), 1);
  EXPECT_FALSE(fs.image_filesystems(0).fs_id().mountpoint().empty());
  EXPECT_GT(fs.image_filesystems(0).used_bytes().value(), 1000000u);
  EXPECT_GT(fs.image_filesystems(0).inodes_used().value(), 10u);
  EXPECT_GT(fs.image_filesystems(0).timestamp(), 0);

  ASSERT_TRUE(Remove(d, ref).ok());
  EXPECT_FALSE(Status(d, id).has_image());
  EXPECT_TRUE(List(d).empty());
  // Its layers went with it, and no download is left behind.
  EXPECT_TRUE(std::filesystem::is_empty(d.dir().Sub("root/image/downloads")));
}

TEST_F(ImageServiceTest, PullThroughMirrorAndByDigest) {
  BerthdProcess d(Yaml());
  ASSERT_NO_FATAL_FAILURE(d.Start());
  // gcr.io has no route here: only the configured mirror (the proxy) can serve it.
  const std::string by_digest =
      "gcr.io/berth-test/multilayer@" + ImageEnv::Get("IMAGE_MULTILAYER_DIGEST");
  std::string id;
  grpc::Status s = Pull(d, by_digest, &id);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d.Log();
  rt::ImageStatusResponse st = Status(d, by_digest);
  ASSERT_TRUE(st.has_image());
  EXPECT_EQ(st.image().id(), id);
  EXPECT_TRUE(st.image().repo_tags().empty());  // pulled by digest: no tag
  EXPECT_THAT(st.image().repo_digests(), ElementsAre(by_digest));
  EXPECT_GT(ImageEnv::ProxyCount("/v2/berth-test/multilayer/manifests/" +
                                 ImageEnv::Get("IMAGE_MULTILAYER_DIGEST")),
            0);
}

TEST_F(ImageServiceTest, MultiArchIndexResolvesToThisPlatform) {
  BerthdProcess d(Yaml());
  ASSERT_NO_FATAL_FAILURE(d.Start());
  const std::string ref = Open("berth-test/multiarch:latest");
  ASSERT_TRUE(Pull(d, ref).ok()) << d.Log();
  rt::ImageStatusResponse st = Status(d, ref, true);
  ASSERT_TRUE(st.has_image());
  // The repo digest is what the tag points at (the index).
  EXPECT_THAT(st.image().repo_digests(),
              ElementsAre(Open("berth-test/multiarch@") + ImageEnv::Get("IMAGE_MULTIARCH_DIGEST")));
  EXPECT_EQ(nlohmann::json::parse(st.info().at("info"))["imageSpec"]["architecture"], "amd64");
}

TEST_F(ImageServiceTest, BasicAuthFromRequestAuthConfig) {
  BerthdProcess d(Yaml());
  ASSERT_NO_FATAL_FAILURE(d.Start());
  const std::string ref = ImageEnv::Get("BASIC_REGISTRY") + "/berth-test/busybox:latest";
  grpc::Status anon = Pull(d, ref);
  EXPECT_FALSE(anon.ok());

  rt::AuthConfig wrong;
  wrong.set_username(ImageEnv::Get("BASIC_USER"));
  wrong.set_password("not-the-password");
  EXPECT_FALSE(Pull(d, ref, nullptr, &wrong).ok());

  rt::AuthConfig auth;
  auth.set_username(ImageEnv::Get("BASIC_USER"));
  auth.set_password(ImageEnv::Get("BASIC_PASSWORD"));
  std::string id;
  grpc::Status s = Pull(d, ref, &id, &auth);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d.Log();
  EXPECT_TRUE(Status(d, ref).has_image());
  // The secret never reaches the log (requests are logged at debug level).
  EXPECT_THAT(d.Log(), ::testing::Not(HasSubstr(ImageEnv::Get("BASIC_PASSWORD"))));
}

TEST_F(ImageServiceTest, TagsShareAnImageAndRemovingOneOnlyUntags) {
  BerthdProcess d(Yaml());
  ASSERT_NO_FATAL_FAILURE(d.Start());
  const std::string direct = Open("berth-test/busybox:latest");
  const std::string mirrored = "gcr.io/berth-test/busybox:latest";
  std::string id1, id2;
  ASSERT_TRUE(Pull(d, direct, &id1).ok()) << d.Log();
  ASSERT_TRUE(Pull(d, mirrored, &id2).ok()) << d.Log();
  EXPECT_EQ(id1, id2);
  auto images = List(d);
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(images[0].repo_tags_size(), 2);

  ASSERT_TRUE(Remove(d, mirrored).ok());
  rt::ImageStatusResponse st = Status(d, id1);
  ASSERT_TRUE(st.has_image());
  EXPECT_THAT(st.image().repo_tags(), ElementsAre(direct));
  EXPECT_FALSE(Status(d, mirrored).has_image());

  ASSERT_TRUE(Remove(d, direct).ok());
  EXPECT_FALSE(Status(d, id1).has_image());
}

TEST_F(ImageServiceTest, StatusOfAbsentImageIsEmptyAndRemoveIsIdempotent) {
  BerthdProcess d(Yaml());
  ASSERT_NO_FATAL_FAILURE(d.Start());
  EXPECT_FALSE(Status(d, "docker.io/library/not-here:1").has_image());
  EXPECT_FALSE(Status(d, "sha256:" + std::string(64, '0')).has_image());
  EXPECT_TRUE(Remove(d, "docker.io/library/not-here:1").ok());

  const std::string ref = Open("berth-test/busybox:latest");
  ASSERT_TRUE(Pull(d, ref).ok()) << d.Log();
  EXPECT_TRUE(Remove(d, ref).ok());
  EXPECT_TRUE(Remove(d, ref).ok());
  EXPECT_TRUE(List(d).empty());
}

TEST_F(ImageServiceTest, InvalidReferenceIsInvalidArgument) {
  BerthdProcess d(Yaml());
  ASSERT_NO_FATAL_FAILURE(d.Start());
  grpc::Status s = Pull(d, "Bad//Ref::x");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("Bad//Ref::x"));
  EXPECT_EQ(Pull(d, "").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ImageServiceTest, ConcurrentPullsDownloadEachBlobOnce) {
  BerthdProcess d(Yaml());
  ASSERT_NO_FATAL_FAILURE(d.Start());
  const std::string ref = "gcr.io/berth-test/multilayer:latest";
  // The proxy's counts are per process (all cases share it): compare deltas.
  const auto blobs = BlobDigests("berth-test/multilayer", "latest");
  ASSERT_EQ(blobs.size(), 4u);  // config + 3 layers
  std::map<std::string, int> before;
  for (const auto& digest : blobs) {
    before[digest] = ImageEnv::ProxyCount("/v2/berth-test/multilayer/blobs/" + digest);
  }
  constexpr int kPullers = 6;
  std::vector<grpc::Status> results(kPullers);
  std::vector<std::string> ids(kPullers);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kPullers; ++i) {
      threads.emplace_back([&, i] { results[i] = Pull(d, ref, &ids[i]); });
    }
  }
  for (int i = 0; i < kPullers; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].error_message() << "\n" << d.Log();
    EXPECT_EQ(ids[i], ids[0]);
  }
  for (const auto& digest : blobs) {
    EXPECT_EQ(ImageEnv::ProxyCount("/v2/berth-test/multilayer/blobs/" + digest) - before[digest], 1)
        << digest;
  }
  EXPECT_EQ(List(d).size(), 1u);
}

TEST_F(ImageServiceTest, ImagesSurviveRestart) {
  BerthdProcess d(Yaml("pinned_images: [\"" + Open("berth-test/*") + "\"]\n"));
  ASSERT_NO_FATAL_FAILURE(d.Start());
  const std::string ref = Open("berth-test/multilayer:latest");
  ASSERT_TRUE(Pull(d, ref).ok()) << d.Log();
  rt::ImageStatusResponse before = Status(d, ref, true);
  ASSERT_TRUE(before.has_image());
  EXPECT_TRUE(before.image().pinned());

  EXPECT_EQ(d.StopWith(SIGTERM), 0);
  ASSERT_NO_FATAL_FAILURE(d.Start());
  rt::ImageStatusResponse after = Status(d, ref, true);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(before, after))
      << before.DebugString() << "\n---\n"
      << after.DebugString();
  EXPECT_EQ(List(d).size(), 1u);
}

TEST_F(ImageServiceTest, StreamImagesMatchesListImages) {
  BerthdProcess d(Yaml());
  ASSERT_NO_FATAL_FAILURE(d.Start());
  ASSERT_TRUE(Pull(d, Open("berth-test/busybox:latest")).ok()) << d.Log();
  ASSERT_TRUE(Pull(d, Open("berth-test/multilayer:latest")).ok()) << d.Log();
  auto listed = List(d);
  ASSERT_EQ(listed.size(), 2u);

  auto ctx = Ctx();
  auto reader = d.image().StreamImages(ctx.get(), rt::StreamImagesRequest());
  std::vector<rt::Image> streamed;
  rt::StreamImagesResponse batch;
  while (reader->Read(&batch)) {
    for (const auto& img : batch.images()) streamed.push_back(img);
  }
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(streamed.size(), listed.size());
  for (size_t i = 0; i < listed.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(streamed[i], listed[i]));
  }
}

// Keep last: it stalls the shared proxy for the rest of the process.
TEST_F(ImageServiceTest, StalledPullIsCancelledWithDeadlineExceeded) {
  BerthdProcess d(Yaml("image_pull_progress_timeout: 2s\n"));
  ASSERT_NO_FATAL_FAILURE(d.Start());
  ImageEnv::StallProxy();
  const auto started = std::chrono::steady_clock::now();
  grpc::Status s = Pull(d, "gcr.io/berth-test/big:latest");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("no progress"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(60));
  // Nothing half-registered, nothing left in downloads.
  EXPECT_TRUE(List(d).empty());
  EXPECT_TRUE(std::filesystem::is_empty(d.dir().Sub("root/image/downloads")));
}

}  // namespace
}  // namespace berth::testing
