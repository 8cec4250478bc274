// Decompression bombs and cancellation of an unpack: a layer over its bound
// (absolute, ratio to the compressed size, free space) is refused with an
// error naming the bound, and the store keeps nothing of it.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "pkg/image/layer_store.h"
#include "test/unit/image/test_tar.h"

namespace berth::image {
namespace {

using namespace berth::image::testing;

class LayerLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(root_.path()); }

  void Open(const std::string& root) {
    auto s = LayerStore::Open(root);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    store_root_ = root;
  }

  // A gzip layer holding one file of `content`, with its compressed size set.
  LayerBlob MakeBlob(const std::string& name, const std::string& content) {
    LayerBlob b;
    b.path = blobs_ / name;
    b.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    b.diff_id = WriteLayer(b.path, {File(name, content)}, Compression::kGzip);
    struct stat st {};
    EXPECT_EQ(::stat(b.path.c_str(), &st), 0);
    b.size = uint64_t(st.st_size);
    return b;
  }

  void ExpectNothingKept() {
    EXPECT_TRUE(store_->List().empty());
    EXPECT_EQ(CountEntries(store_root_ + "/layers/tmp"), 0u);
  }

  TempDir root_;
  TempDir blobs_;
  std::string store_root_;
  std::unique_ptr<LayerStore> store_;
};

// Bytes that do not compress (a xorshift stream), so compressed ~ unpacked.
std::string Incompressible(size_t n) {
  std::string out(n, '\0');
  uint64_t x = 88172645463325252ull;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = char(x);
  }
  return out;
}

TEST_F(LayerLimitsTest, ZeroFileBombIsRefusedByTheRatioBound) {
  // 96 MiB of zeros gzip to ~100 KiB: far past 100x, and past the 64 MiB floor.
  LayerBlob bomb = MakeBlob("zeros", std::string(96 << 20, '\0'));
  ASSERT_LT(bomb.size, uint64_t(1) << 20);
  auto r = store_->Unpack(bomb);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted) << r.status().ToString();
  EXPECT_NE(r.status().message().find("decompression bomb"), std::string::npos);
  EXPECT_NE(r.status().message().find("image_layer_max_expansion_ratio 100"), std::string::npos)
      << r.status().message();
  ExpectNothingKept();
}

TEST_F(LayerLimitsTest, RatioBoundCanBeTurnedOff) {
  store_->SetUnpackLimits(UnpackLimits{uint64_t(1) << 30, 0});
  LayerBlob zeros = MakeBlob("zeros", std::string(96 << 20, '\0'));
  auto r = store_->Unpack(zeros);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->unpacked_bytes, uint64_t(96) << 20);
}

TEST_F(LayerLimitsTest, SmallLayersAreNeverRefusedForTheirRatio) {
  // 4 MiB of zeros: ratio ~1000, but under the 64 MiB floor.
  auto r = store_->Unpack(MakeBlob("zeros", std::string(4 << 20, '\0')));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

TEST_F(LayerLimitsTest, AbsoluteBoundRefusesALargerLayer) {
  store_->SetUnpackLimits(UnpackLimits{uint64_t(1) << 20, 100});
  auto r = store_->Unpack(MakeBlob("big", Incompressible(2 << 20)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted);
  EXPECT_NE(r.status().message().find("more than 1048576 bytes (image_layer_max_unpacked_gib)"),
            std::string::npos)
      << r.status().message();
  ExpectNothingKept();
}

TEST_F(LayerLimitsTest, CancelledUnpackStopsAndKeepsNothing) {
  CancelSource cancel;
  cancel.Cancel();
  auto r = store_->Unpack(MakeBlob("data", Incompressible(1 << 20)), cancel.token());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCancelled) << r.status().ToString();
  ExpectNothingKept();
}

// A tmpfs of 4 MiB is the image filesystem.
class SmallFilesystemTest : public LayerLimitsTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "mounting a small tmpfs needs root";
    ASSERT_EQ(::mount("tmpfs", small_.path().c_str(), "tmpfs", 0, "size=4m"), 0)
        << std::strerror(errno);
    mounted_ = true;
    Open(small_.path());
  }
  void TearDown() override {
    store_.reset();
    if (mounted_) ::umount2(small_.path().c_str(), MNT_DETACH);
  }
  TempDir small_;
  bool mounted_ = false;
};

TEST_F(SmallFilesystemTest, BlobTooLargeForTheFreeSpaceIsRefusedBeforeUnpacking) {
  // 3 MiB compressed needs 6 MiB free; the filesystem has less than 4.
  auto r = store_->Unpack(MakeBlob("big", Incompressible(3 << 20)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted);
  EXPECT_NE(r.status().message().find("bytes free; unpacking a blob of"), std::string::npos)
      << r.status().message();
  ExpectNothingKept();
}

TEST_F(SmallFilesystemTest, LayerOutgrowingTheFreeSpaceIsRefusedClearly) {
  // 64 KiB compressed passes the check; 5 MiB unpacked cannot fit in 4.
  store_->SetUnpackLimits(UnpackLimits{uint64_t(1) << 30, 0});
  LayerBlob zeros = MakeBlob("zeros", std::string(5 << 20, '\0'));
  auto r = store_->Unpack(zeros);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted) << r.status().ToString();
  EXPECT_NE(r.status().message().find("the free space of the image filesystem"), std::string::npos)
      << r.status().message();
  ExpectNothingKept();
}

}  // namespace
}  // namespace berth::image
