// Hostile content through a real berthd: a blob whose bytes do not match its
// digest, and layers whose entries try to land outside the layer root. Each
// is refused, leaves nothing registered and writes nothing outside.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>

#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/images/image_env.h"
#include "test/integration/images/image_rpc.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ImageHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RequireRoot();
    ASSERT_FALSE(ImageEnv::Get("PROXY").empty()) << "image test environment did not start";
    escape_ = std::make_unique<TempDir>("berth-escape");
    hostile_ = ImageEnv::PushHostileImages(escape_->path());
    ASSERT_FALSE(hostile_["IMAGE_TAMPERED"].empty());
    d_ = std::make_unique<BerthdProcess>(ImageEnv::RegistriesYaml());
    ASSERT_NO_FATAL_FAILURE(d_->Start());
  }

  // Nothing registered, no layer, no temporary file left by the refused pull.
  void ExpectNothingLeft() {
    EXPECT_TRUE(ListImages(*d_).empty());
    EXPECT_THAT(LayerDirs(*d_), IsEmpty());
    EXPECT_THAT(LeftoverTempFiles(*d_), IsEmpty());
  }

  std::unique_ptr<TempDir> escape_;
  std::map<std::string, std::string> hostile_;
  std::unique_ptr<BerthdProcess> d_;
};

TEST_F(ImageHostileTest, TamperedBlobIsRefusedNamingTheDigest) {
  // Flip bytes in the middle of the stored layer: same size, other content.
  const std::string digest = hostile_["TAMPERED_LAYER"];
  const std::string data = ImageEnv::StoredBlobPath(digest);
  std::string bytes;
  {
    std::ifstream in(data, std::ios::binary);
    ASSERT_TRUE(in) << "registry storage has no " << data;
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 1000u);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 16; ++i) bytes[i] = char(~bytes[i]);
  std::ofstream(data, std::ios::binary | std::ios::trunc) << bytes;

  grpc::Status s = PullImage(*d_, hostile_["IMAGE_TAMPERED"]);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.error_message(), HasSubstr(digest));
  EXPECT_THAT(s.error_message(), HasSubstr("digest mismatch"));
  ExpectNothingLeft();
}

struct EvilCase {
  std::string name;   // suffix of push_hostile_images.py's IMAGE_EVIL_* / ESCAPE_*
  std::string entry;  // what the error must name: the offending entry
};

class MaliciousLayerTest : public ImageHostileTest,
                           public ::testing::WithParamInterface<EvilCase> {};

TEST_P(MaliciousLayerTest, IsRefusedWithNothingWrittenOutside) {
  const EvilCase& c = GetParam();
  struct stat passwd_before {};
  ASSERT_EQ(stat("/etc/passwd", &passwd_before), 0);

  grpc::Status s = PullImage(*d_, hostile_["IMAGE_EVIL_" + c.name]);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  const std::string escape_name = std::filesystem::path(escape_->path()).filename();
  EXPECT_THAT(s.error_message(), HasSubstr(c.entry == "passwd" ? c.entry : escape_name + c.entry));

  // Nothing landed where the entries aimed, nor anywhere in the escape dir.
  if (!hostile_["ESCAPE_" + c.name].empty()) {
    EXPECT_FALSE(std::filesystem::exists(hostile_["ESCAPE_" + c.name]));
  }
  EXPECT_THAT(ListDirOrEmpty(escape_->path()), IsEmpty());
  // A hard link to a host file would raise its link count.
  struct stat passwd_after {};
  ASSERT_EQ(stat("/etc/passwd", &passwd_after), 0);
  EXPECT_EQ(passwd_after.st_nlink, passwd_before.st_nlink);
  ExpectNothingLeft();
}

INSTANTIATE_TEST_SUITE_P(
    Entries, MaliciousLayerTest,
    ::testing::Values(EvilCase{"DOTDOT", "/dotdot"}, EvilCase{"ABSOLUTE", "/absolute"},
                      EvilCase{"SYMLINK", "/symlink"}, EvilCase{"SYMLINK_REL", "/symlink-rel"},
                      EvilCase{"HARDLINK", "passwd"}),
    [](const ::testing::TestParamInfo<EvilCase>& info) { return info.param.name; });

}  // namespace
}  // namespace berth::testing
