#include "pkg/image/image_store.h"

#include <sys/stat.h>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pkg/base/digest.h"
#include "test/unit/image/test_tar.h"

namespace berth::image {
namespace {

using namespace berth::image::testing;

class ImageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    layers_.reset();
    auto l = LayerStore::Open(root_.path());
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    layers_ = std::move(l).value();
    auto s = ImageStore::Open(root_.path(), layers_.get());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  // Unpacks layers with the given contents and returns an image record for them.
  ImageRecord MakeImage(const std::vector<std::string>& contents, const std::string& cmd = "sh") {
    std::vector<std::string> diff_ids;
    std::string parent;
    for (const auto& c : contents) {
      LayerBlob b;
      b.path = blobs_ / ("blob-" + std::to_string(counter_++));
      b.diff_id = WriteLayer(b.path, {File("f-" + c, c)});
      b.parent_chain_id = parent;
      auto l = layers_->Unpack(b);
      EXPECT_TRUE(l.ok()) << l.status().ToString();
      parent = l->chain_id;
      diff_ids.push_back(b.diff_id);
    }
    nlohmann::json config = {{"architecture", "amd64"},
                             {"os", "linux"},
                             {"config",
                              {{"Entrypoint", {"/bin/entry"}},
                               {"Cmd", {cmd}},
                               {"Env", {"PATH=/bin", "A=b"}},
                               {"WorkingDir", "/work"},
                               {"User", "1000:1000"},
                               {"StopSignal", "SIGQUIT"},
                               {"Volumes", {{"/data", nlohmann::json::object()}}},
                               {"ExposedPorts", {{"80/tcp", nlohmann::json::object()}}},
                               {"Labels", {{"k", "v"}}}}},
                             {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
    auto r = RecordFromConfig(config.dump());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    r->size = 1234;
    return *r;
  }

  ImageRecord Add(ImageRecord r, std::vector<std::string> tags,
                  std::vector<std::string> digests = {}) {
    r.repo_tags = std::move(tags);
    r.repo_digests = std::move(digests);
    auto added = store_->Add(r);
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    return added.ok() ? *added : r;
  }

  std::string images_dir() const { return root_ / "images"; }

  TempDir root_;
  TempDir blobs_;
  int counter_ = 0;
  std::unique_ptr<LayerStore> layers_;
  std::unique_ptr<ImageStore> store_;
};

TEST_F(ImageStoreTest, ConfigIsParsed) {
  ImageRecord r = MakeImage({"a", "b"});
  EXPECT_EQ(r.config.entrypoint, std::vector<std::string>{"/bin/entry"});
  EXPECT_EQ(r.config.cmd, std::vector<std::string>{"sh"});
  EXPECT_EQ(r.config.env, (std::vector<std::string>{"PATH=/bin", "A=b"}));
  EXPECT_EQ(r.config.working_dir, "/work");
  EXPECT_EQ(r.config.user, "1000:1000");
  EXPECT_EQ(r.config.stop_signal, "SIGQUIT");
  EXPECT_EQ(r.config.volumes, std::vector<std::string>{"/data"});
  EXPECT_EQ(r.config.exposed_ports, std::vector<std::string>{"80/tcp"});
  EXPECT_EQ(r.config.labels.at("k"), "v");
  EXPECT_EQ(r.id, Sha256Digest(r.config_json));
  ASSERT_EQ(r.chain_ids.size(), 2u);
  EXPECT_EQ(r.chain_ids[0], r.config.diff_ids[0]);
}

TEST_F(ImageStoreTest, MalformedConfigIsInvalidArgument) {
  EXPECT_EQ(RecordFromConfig("{").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(
      RecordFromConfig(R"({"rootfs":{"type":"layers","diff_ids":["sha256:zz"]}})").status().code(),
      Code::kInvalidArgument);
  EXPECT_EQ(RecordFromConfig(R"({"config":{"Cmd":"notalist"},"rootfs":{"type":"layers"}})")
                .status()
                .code(),
            Code::kInvalidArgument);
}

TEST_F(ImageStoreTest, AddRequiresUnpackedLayers) {
  ImageRecord r = MakeImage({"a"});
  r.chain_ids.push_back(Sha256Digest("missing"));
  EXPECT_EQ(store_->Add(r).status().code(), Code::kFailedPrecondition);
}

TEST_F(ImageStoreTest, PersistenceRoundTrip) {
  ImageRecord r = Add(MakeImage({"a", "b"}), {"docker.io/library/busybox:latest"},
                      {"docker.io/library/busybox@sha256:" + std::string(64, 'e')});
  Reopen();
  auto found = store_->Find("docker.io/library/busybox:latest");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->id, r.id);
  EXPECT_EQ(found->repo_digests, r.repo_digests);
  EXPECT_EQ(found->size, 1234u);
  EXPECT_EQ(found->chain_ids, r.chain_ids);
  EXPECT_EQ(found->config_json, r.config_json);
  EXPECT_EQ(found->config.user, "1000:1000");
  EXPECT_NE(found->created_unix_nanos, 0);
  EXPECT_EQ(store_->List().size(), 1u);
}

TEST_F(ImageStoreTest, LookupByEveryForm) {
  ImageRecord r = Add(MakeImage({"a"}), {"docker.io/library/busybox:1.36"},
                      {"docker.io/library/busybox@sha256:" + std::string(64, 'd')});
  const std::string hex(DigestHex(r.id));
  for (const std::string& ref :
       {r.id, hex, hex.substr(0, 12), hex.substr(0, kMinIdPrefixLen), "sha256:" + hex.substr(0, 3),
        std::string("docker.io/library/busybox:1.36"),
        "docker.io/library/busybox@sha256:" + std::string(64, 'd')}) {
    auto f = store_->Find(ref);
    ASSERT_TRUE(f.ok()) << ref << ": " << f.status().ToString();
    EXPECT_EQ(f->id, r.id) << ref;
  }
  EXPECT_EQ(store_->Find(hex.substr(0, 3)).status().code(), Code::kNotFound);  // too short
  EXPECT_EQ(store_->Find("docker.io/library/busybox:nope").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->Find("sha256:" + std::string(64, '0')).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->Find("").status().code(), Code::kInvalidArgument);
}

TEST_F(ImageStoreTest, AmbiguousPrefixIsAnError) {
  // Find two images whose IDs share a first hex digit.
  std::map<char, std::string> by_first;
  for (int i = 0; i < 40; ++i) {
    ImageRecord r = Add(MakeImage({"x"}, "cmd" + std::to_string(i)), {});
    char c = DigestHex(r.id)[0];
    if (by_first.contains(c)) {
      EXPECT_EQ(store_->Find("sha256:" + std::string(1, c)).status().code(),
                Code::kInvalidArgument);
      return;
    }
    by_first[c] = r.id;
  }
  FAIL() << "no two IDs shared a first digit";
}

TEST_F(ImageStoreTest, TagMovesToNewImageAndOldImageStaysUntagged) {
  ImageRecord old_img =
      Add(MakeImage({"a"}, "old"), {"example.com/app:latest", "example.com/app:v1"});
  ImageRecord new_img = Add(MakeImage({"a"}, "new"), {"example.com/app:latest"});
  EXPECT_EQ(store_->Find("example.com/app:latest")->id, new_img.id);
  EXPECT_EQ(store_->Find(old_img.id)->repo_tags, std::vector<std::string>{"example.com/app:v1"});
  // Moving the last tag too leaves the old image in place, untagged.
  Add(new_img, {"example.com/app:v1"});
  auto old_now = store_->Find(old_img.id);
  ASSERT_TRUE(old_now.ok());
  EXPECT_TRUE(old_now->repo_tags.empty());
  EXPECT_EQ(store_->List().size(), 2u);
  Reopen();  // and it was persisted that way
  EXPECT_TRUE(store_->Find(old_img.id)->repo_tags.empty());
  EXPECT_EQ(store_->Find("example.com/app:v1")->id, new_img.id);
  EXPECT_EQ(store_->Find(new_img.id)->repo_tags.size(), 2u);
}

TEST_F(ImageStoreTest, AddingSameImageMergesTags) {
  ImageRecord img = MakeImage({"a"});
  Add(img, {"r/a:1"});
  Add(img, {"r/a:2"}, {"r/a@sha256:" + std::string(64, 'a')});
  auto f = store_->Find(img.id);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->repo_tags, (std::vector<std::string>{"r/a:1", "r/a:2"}));
  EXPECT_EQ(f->repo_digests.size(), 1u);
}

TEST_F(ImageStoreTest, Untag) {
  ImageRecord img = Add(MakeImage({"a"}), {"r/a:1", "r/a:2"});
  auto u = store_->Untag("r/a:1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->repo_tags, std::vector<std::string>{"r/a:2"});
  EXPECT_EQ(store_->Find("r/a:1").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->Untag("r/a:1").status().code(), Code::kNotFound);
  Reopen();
  EXPECT_EQ(store_->Find(img.id)->repo_tags, std::vector<std::string>{"r/a:2"});
}

TEST_F(ImageStoreTest, RemoveReleasesOnlyUnsharedLayers) {
  ImageRecord a = Add(MakeImage({"base", "a-top"}), {"r/a:1"});
  ImageRecord b = Add(MakeImage({"base", "b-top"}), {"r/b:1"});
  ASSERT_EQ(a.chain_ids[0], b.chain_ids[0]);
  ASSERT_TRUE(store_->Remove(a.id).ok());
  EXPECT_EQ(store_->Find(a.id).status().code(), Code::kNotFound);
  EXPECT_FALSE(PathExists(images_dir() + "/" + std::string(DigestHex(a.id)) + ".json"));
  EXPECT_TRUE(layers_->Exists(a.chain_ids[0]));   // shared with b
  EXPECT_FALSE(layers_->Exists(a.chain_ids[1]));  // a's own
  EXPECT_FALSE(PathExists(root_ / ("layers/" + std::string(DigestHex(a.chain_ids[1])))));
  EXPECT_TRUE(layers_->Exists(b.chain_ids[1]));
  EXPECT_EQ(store_->Remove(a.id).code(), Code::kNotFound);
  ASSERT_TRUE(store_->Remove(b.id).ok());
  EXPECT_TRUE(layers_->List().empty());
  EXPECT_EQ(CountEntries(root_ / "layers/tmp"), 0u);
}

TEST_F(ImageStoreTest, InUseImageIsNotRemoved) {
  ImageRecord a = Add(MakeImage({"a"}), {"r/a:1"});
  store_->SetInUseCheck([&](const std::string& id) { return id == a.id; });
  EXPECT_EQ(store_->Remove(a.id).code(), Code::kFailedPrecondition);
  EXPECT_TRUE(store_->Find(a.id).ok());
  EXPECT_TRUE(layers_->Exists(a.chain_ids[0]));
}

TEST_F(ImageStoreTest, RemoveReferenceFollowsCriSemantics) {
  ImageRecord a = Add(MakeImage({"a"}), {"r/a:1", "r/a:2"});
  auto out = store_->RemoveReference("r/a:1");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, RemoveOutcome::kUntagged);
  EXPECT_TRUE(store_->Find(a.id).ok());
  out = store_->RemoveReference("r/a:2");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, RemoveOutcome::kRemoved);
  EXPECT_EQ(store_->Find(a.id).status().code(), Code::kNotFound);
  out = store_->RemoveReference("r/a:2");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, RemoveOutcome::kAbsent);
}

TEST_F(ImageStoreTest, PinnedIsComputedFromPatterns) {
  ImageRecord pause = Add(MakeImage({"p"}), {"registry.k8s.io/pause:3.9"});
  ImageRecord app = Add(MakeImage({"q"}), {"docker.io/library/app:1"});
  store_->SetPinnedPatterns({"registry.k8s.io/*"});
  EXPECT_TRUE(store_->Find(pause.id)->pinned);
  EXPECT_FALSE(store_->Find(app.id)->pinned);
  store_->SetPinnedPatterns({"docker.io/library/app:1"});
  for (const auto& r : store_->List()) EXPECT_EQ(r.pinned, r.id == app.id);
}

TEST_F(ImageStoreTest, CorruptRecordIsMovedAsideNotFatal) {
  ImageRecord good = Add(MakeImage({"a"}), {"r/good:1"});
  WriteAll(images_dir() + "/" + std::string(64, 'b') + ".json", "{ not json");
  // A record whose config does not hash to its ID is refused too.
  ImageRecord forged = MakeImage({"b"});
  forged.repo_tags = {"r/forged:1"};
  std::string text = RecordToJson(forged);
  WriteAll(images_dir() + "/" + std::string(64, 'c') + ".json", text);
  Reopen();
  EXPECT_EQ(store_->List().size(), 1u);
  EXPECT_TRUE(store_->Find("r/good:1").ok());
  EXPECT_EQ(CountEntries(images_dir() + "/corrupt"), 2u);
  EXPECT_FALSE(PathExists(images_dir() + "/" + std::string(64, 'b') + ".json"));
}

// Issue 15 item 1: every member of a record may have been damaged on disk;
// each damaged record is set aside and the store opens with the rest.
TEST_F(ImageStoreTest, RecordMembersOfTheWrongTypeAreSetAsideNotFatal) {
  ImageRecord good = Add(MakeImage({"a"}), {"r/good:1"});
  // Another image on the same layer, so setting it aside orphans no layer.
  ImageRecord victim = MakeImage({"a"}, "victim");
  victim.repo_tags = {"r/victim:1"};
  const std::string file = images_dir() + "/" + std::string(DigestHex(victim.id)) + ".json";
  const nlohmann::json valid = nlohmann::json::parse(RecordToJson(victim));
  const std::vector<std::pair<std::string, nlohmann::json>> damage = {
      {"id", 5},
      {"repo_tags", "r/x:1"},
      {"repo_tags", nlohmann::json::array({1, 2})},
      {"repo_digests", nullptr},
      {"size", -1},
      {"size", "big"},
      {"unpacked_size", "x"},
      {"chain_ids", nlohmann::json::array({1})},
      {"manifest_media_type", 7},
      {"created_unix_nanos", "yesterday"},
      {"config", nlohmann::json::object()},
  };
  size_t set_aside = 0;
  for (const auto& [key, value] : damage) {
    nlohmann::json bad = valid;
    bad[key] = value;
    WriteAll(file, bad.dump());
    Reopen();
    EXPECT_EQ(store_->List().size(), 1u) << key << " = " << value.dump();
    EXPECT_TRUE(store_->Find("r/good:1").ok()) << key;
    EXPECT_EQ(CountEntries(images_dir() + "/corrupt"), ++set_aside) << key;
  }
  for (const char* text : {"[]", "null", "7", "\"record\"", "{\"id\":"}) {
    WriteAll(file, text);
    Reopen();
    EXPECT_EQ(store_->List().size(), 1u) << text;
    EXPECT_EQ(CountEntries(images_dir() + "/corrupt"), ++set_aside) << text;
  }
  // The undamaged record loads: only the damage set the others aside.
  WriteAll(file, valid.dump());
  Reopen();
  EXPECT_EQ(store_->List().size(), 2u);
  EXPECT_TRUE(store_->Find("r/victim:1").ok());
}

TEST_F(ImageStoreTest, OrphanLayersAreRemovedAtStart) {
  ImageRecord kept = Add(MakeImage({"kept"}), {"r/kept:1"});
  MakeImage({"orphan-1", "orphan-2"});  // unpacked, never registered: a killed pull
  ASSERT_EQ(layers_->List().size(), 3u);
  Reopen();
  EXPECT_EQ(layers_->List(), kept.chain_ids);
  EXPECT_TRUE(store_->Find("r/kept:1").ok());
}

TEST_F(ImageStoreTest, RecordWithMissingLayerIsSetAside) {
  ImageRecord a = Add(MakeImage({"a"}), {"r/a:1"});
  store_.reset();
  auto path = layers_->Detach(a.chain_ids[0]);
  ASSERT_TRUE(path.ok());
  ASSERT_TRUE(layers_->DeleteDetached(*path).ok());
  Reopen();
  EXPECT_EQ(store_->Find("r/a:1").status().code(), Code::kNotFound);
  EXPECT_EQ(CountEntries(images_dir() + "/corrupt"), 1u);
}

}  // namespace
}  // namespace berth::image
