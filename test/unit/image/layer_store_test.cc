#include "pkg/image/layer_store.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pkg/base/digest.h"
#include "test/unit/image/test_tar.h"

namespace berth::image {
namespace {

using namespace berth::image::testing;

class LayerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = LayerStore::Open(root_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  // A layer blob with one distinct file; returns the blob (diff ID filled).
  LayerBlob MakeBlob(const std::string& content, const std::string& parent = "",
                     Compression c = Compression::kGzip) {
    const std::string path = blobs_ / ("blob-" + std::to_string(counter_++));
    LayerBlob b;
    b.path = path;
    b.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    b.diff_id = WriteLayer(path, {File("file-" + content, content)}, c);
    b.parent_chain_id = parent;
    return b;
  }

  std::string layers() const { return root_ / "layers"; }

  TempDir root_;
  TempDir blobs_;
  int counter_ = 0;
  std::unique_ptr<LayerStore> store_;
};

TEST_F(LayerStoreTest, UnpackPublishesLayerKeyedByChainId) {
  LayerBlob b1 = MakeBlob("one");
  auto l1 = store_->Unpack(b1);
  ASSERT_TRUE(l1.ok()) << l1.status().ToString();
  EXPECT_EQ(l1->chain_id, b1.diff_id);  // bottom layer: chain ID = diff ID
  LayerBlob b2 = MakeBlob("two", l1->chain_id);
  auto l2 = store_->Unpack(b2);
  ASSERT_TRUE(l2.ok()) << l2.status().ToString();
  EXPECT_EQ(l2->chain_id, Sha256Digest(l1->chain_id + " " + b2.diff_id));

  const std::string dir = layers() + "/" + std::string(DigestHex(l2->chain_id));
  EXPECT_EQ(ReadAll(dir + "/diff/file-two"), "two");
  EXPECT_EQ(ReadAll(dir + "/link"), l2->short_id);
  EXPECT_EQ(ReadAll(dir + "/parent"), l1->chain_id);
  EXPECT_TRUE(PathExists(dir + "/meta.json"));
  EXPECT_EQ(l2->short_id.size(), 26u);
  EXPECT_EQ(ReadAll(layers() + "/l/" + l2->short_id + "/file-two"), "two");
  EXPECT_EQ(CountEntries(layers() + "/tmp"), 0u);

  auto chain = store_->Chain(l2->chain_id);
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(*chain, (std::vector<std::string>{l1->chain_id, l2->chain_id}));
}

TEST_F(LayerStoreTest, SecondUnpackOfSameChainIdReusesTheLayer) {
  LayerBlob b = MakeBlob("same");
  auto a = store_->Unpack(b);
  ASSERT_TRUE(a.ok());
  ::unlink(b.path.c_str());  // not even read the second time
  auto again = store_->Unpack(b);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->short_id, a->short_id);
}

TEST_F(LayerStoreTest, ConcurrentUnpacksOfSameChainIdUnpackOnce) {
  LayerBlob b;
  b.path = blobs_ / "big";
  b.diff_id = WriteLayer(b.path, {File("big", std::string(2000000, 'c'))}, Compression::kGzip);
  constexpr int kThreads = 6;
  std::vector<std::string> short_ids(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto r = store_->Unpack(b);
      if (!r.ok()) {
        ADD_FAILURE() << r.status().ToString();
        ++failures;
        return;
      }
      short_ids[i] = r->short_id;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (const auto& s : short_ids) EXPECT_EQ(s, short_ids[0]);
  EXPECT_EQ(CountEntries(layers() + "/l"), 1u);
  EXPECT_EQ(store_->List().size(), 1u);
}

TEST_F(LayerStoreTest, FailedUnpackLeavesNothingBehind) {
  const std::string path = blobs_ / "evil";
  LayerBlob b;
  b.path = path;
  b.diff_id = WriteLayer(path, {File("ok", "x"), File("../escape", "evil")});
  auto r = store_->Unpack(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(store_->Exists(b.diff_id));
  EXPECT_EQ(CountEntries(layers() + "/tmp"), 0u);
  EXPECT_EQ(CountEntries(layers() + "/l"), 0u);
  EXPECT_FALSE(PathExists(layers() + "/" + std::string(DigestHex(b.diff_id))));
  EXPECT_FALSE(PathExists(layers() + "/escape"));
}

TEST_F(LayerStoreTest, DiffIdMismatchIsRefusedAndNothingPublished) {
  LayerBlob b = MakeBlob("x");
  b.diff_id = Sha256Digest("not the layer");
  auto r = store_->Unpack(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(store_->List().empty());
  EXPECT_EQ(CountEntries(layers() + "/tmp"), 0u);
}

TEST_F(LayerStoreTest, UnknownMediaTypeIsRefused) {
  LayerBlob b = MakeBlob("x");
  b.media_type = "text/html";
  EXPECT_EQ(store_->Unpack(b).status().code(), Code::kInvalidArgument);
}

TEST_F(LayerStoreTest, UnpackWithoutDiffIdComputesIt) {
  LayerBlob b = MakeBlob("compute", "", Compression::kZstd);
  const std::string expected = b.diff_id;
  b.diff_id.clear();
  b.media_type = "application/vnd.oci.image.layer.v1.tar+zstd";
  auto r = store_->Unpack(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->diff_id, expected);
  EXPECT_EQ(r->chain_id, expected);
}

TEST_F(LayerStoreTest, ReopenLoadsLayersAndCleansTmpAndDanglingLinks) {
  auto l = store_->Unpack(MakeBlob("keep"));
  ASSERT_TRUE(l.ok());
  store_.reset();
  ASSERT_EQ(::mkdir((layers() + "/tmp/half-done").c_str(), 0700), 0);
  WriteAll(layers() + "/tmp/half-done/junk", "x");
  ASSERT_EQ(::symlink("../0000/diff", (layers() + "/l/DANGLINGDANGLINGDANGLING00").c_str()), 0);
  auto s = LayerStore::Open(root_.path());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE((*s)->Exists(l->chain_id));
  EXPECT_EQ(CountEntries(layers() + "/tmp"), 0u);
  EXPECT_EQ(CountEntries(layers() + "/l"), 1u);
}

TEST_F(LayerStoreTest, IntegrityCheckSetsAsideIncompleteLayersAndRelinks) {
  auto good = store_->Unpack(MakeBlob("good"));
  auto bad = store_->Unpack(MakeBlob("bad"));
  ASSERT_TRUE(good.ok() && bad.ok());
  const std::string bad_dir = layers() + "/" + std::string(DigestHex(bad->chain_id));
  WriteAll(bad_dir + "/meta.json", "{truncated");
  ASSERT_EQ(::unlink((layers() + "/l/" + good->short_id).c_str()), 0);
  auto broken = store_->CheckIntegrity();
  ASSERT_TRUE(broken.ok()) << broken.status().ToString();
  EXPECT_EQ(*broken, std::vector<std::string>{bad->chain_id});
  EXPECT_FALSE(store_->Exists(bad->chain_id));
  EXPECT_FALSE(PathExists(bad_dir));
  EXPECT_TRUE(store_->Exists(good->chain_id));
  EXPECT_EQ(ReadAll(layers() + "/l/" + good->short_id + "/file-good"), "good");
}

// Issue 15 item 1: a meta.json member of the wrong type sets its layer aside;
// the check goes on with the rest.
TEST_F(LayerStoreTest, MetaMembersOfTheWrongTypeAreSetAsideNotFatal) {
  auto good = store_->Unpack(MakeBlob("kept"));
  ASSERT_TRUE(good.ok());
  const std::vector<std::pair<std::string, nlohmann::json>> damage = {
      {"chain_id", 5},         {"diff_id", nullptr},   {"parent", nlohmann::json::array()},
      {"short_id", 12},        {"blob_size", "big"},   {"blob_size", -1},
      {"unpacked_bytes", 1.5}, {"blob_digest", false},
  };
  int n = 0;
  for (const auto& [key, value] : damage) {
    auto bad = store_->Unpack(MakeBlob("damaged-" + std::to_string(n++)));
    ASSERT_TRUE(bad.ok());
    const std::string meta = layers() + "/" + std::string(DigestHex(bad->chain_id)) + "/meta.json";
    nlohmann::json j = nlohmann::json::parse(ReadAll(meta));
    j[key] = value;
    WriteAll(meta, j.dump());
    auto broken = store_->CheckIntegrity();
    ASSERT_TRUE(broken.ok()) << key << ": " << broken.status().ToString();
    EXPECT_EQ(*broken, std::vector<std::string>{bad->chain_id}) << key << " = " << value.dump();
    EXPECT_TRUE(store_->Exists(good->chain_id)) << key;
  }
}

TEST_F(LayerStoreTest, LeasedLayerIsNotDetached) {
  auto l = store_->Unpack(MakeBlob("leased"));
  ASSERT_TRUE(l.ok());
  {
    LayerLease lease = store_->NewLease();
    lease.Add(l->chain_id);
    auto path = store_->Detach(l->chain_id);
    ASSERT_TRUE(path.ok());
    EXPECT_EQ(*path, "");
    EXPECT_TRUE(store_->Exists(l->chain_id));
  }
  auto path = store_->Detach(l->chain_id);
  ASSERT_TRUE(path.ok());
  ASSERT_NE(*path, "");
  EXPECT_FALSE(store_->Exists(l->chain_id));
  EXPECT_EQ(CountEntries(layers() + "/l"), 0u);
  EXPECT_TRUE(store_->DeleteDetached(*path).ok());
  EXPECT_EQ(CountEntries(layers() + "/tmp"), 0u);
}

// Issue 15 item 4: a layer whose tree is far deeper than the descriptors
// berthd may hold is deleted (the removal once held one per level).
TEST_F(LayerStoreTest, LayerWithAVeryDeepPathIsDeletedWithFewDescriptors) {
  constexpr int kDepth = 5000;
  std::string deep;
  for (int i = 0; i < kDepth; ++i) deep += "d/";
  const std::string path = blobs_ / "deep-blob";
  LayerBlob b;
  b.path = path;
  b.media_type = "application/vnd.oci.image.layer.v1.tar";
  b.diff_id = WriteLayer(path, {File(deep + "f", "bottom"), Dir(deep.substr(0, 200) + "x", 0555)},
                         Compression::kNone);
  auto l = store_->Unpack(b);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  auto detached = store_->Detach(l->chain_id);
  ASSERT_TRUE(detached.ok()) << detached.status().ToString();
  Status s;
  {
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
    rlimit lowered = saved;
    lowered.rlim_cur = 256;  // far fewer than the layer's levels
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
    s = store_->DeleteDetached(*detached);
    ::setrlimit(RLIMIT_NOFILE, &saved);
  }
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(PathExists(*detached));
  EXPECT_EQ(CountEntries(layers() + "/tmp"), 0u);
}

TEST_F(LayerStoreTest, LowerDirOptionForManyLayersFitsOnePage) {
  std::vector<std::string> chain;
  for (int i = 0; i < 120; ++i) {
    auto l = store_->Unpack(MakeBlob("layer" + std::to_string(i), chain.empty() ? "" : chain.back(),
                                     Compression::kNone));
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    chain.push_back(l->chain_id);
  }
  auto lower = store_->LowerDirOption(chain);
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->base_dir, layers());
  EXPECT_LT(lower->option.size() + 2 * 200, 4096u);
  // Top-most first: the first entry is the last layer's short link.
  auto top = store_->Get(chain.back());
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(lower->option.substr(0, 28), "l/" + top->short_id);
  auto top_chain = store_->Chain(chain.back());
  ASSERT_TRUE(top_chain.ok());
  EXPECT_EQ(*top_chain, chain);
}

TEST_F(LayerStoreTest, LowerDirOptionOfUnknownLayerIsNotFound) {
  EXPECT_EQ(store_->LowerDirOption({Sha256Digest("nope")}).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace berth::image
