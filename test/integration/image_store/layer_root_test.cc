// Root-only layer store behaviour: owners, device nodes, trusted xattrs and
// real overlay mounts of unpacked layers.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "gtest/gtest.h"
#include "pkg/image/layer_store.h"
#include "pkg/image/layer_unpack.h"
#include "test/unit/image/test_tar.h"

namespace berth::image {
namespace {

using namespace berth::image::testing;

class RootLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "these integration tests need root (chown, mknod, "
                                  "trusted.* xattrs, overlay mounts)";
    auto s = LayerStore::Open(root_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  Result<LayerInfo> AddLayer(const std::vector<TarEntry>& entries, const std::string& parent) {
    LayerBlob b;
    b.path = blobs_ / ("b" + std::to_string(counter_++));
    b.diff_id = WriteLayer(b.path, entries, Compression::kGzip);
    b.parent_chain_id = parent;
    return store_->Unpack(b);
  }

  std::string MakeDir(const std::string& name) {
    std::string p = work_ / name;
    EXPECT_EQ(::mkdir(p.c_str(), 0755), 0) << p;
    return p;
  }

  TempDir root_;
  TempDir blobs_;
  TempDir work_;
  int counter_ = 0;
  std::unique_ptr<LayerStore> store_;
};

struct stat Lstat(const std::string& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p << ": " << std::strerror(errno);
  return st;
}

std::string GetXattr(const std::string& path, const char* key) {
  char buf[256];
  ssize_t n = ::lgetxattr(path.c_str(), key, buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

TEST_F(RootLayerTest, OwnersDeviceNodesFifosAndSetuidAreKept) {
  TarEntry f = File("bin/su", "elf", 04755);
  f.uid = 1234;
  f.gid = 5678;
  TarEntry d = Dir("home/user", 0700);
  d.uid = 1000;
  d.gid = 1000;
  TarEntry null = Entry("dev/null", TarEntry::kChar, 0666);
  null.dev_major = 1;
  null.dev_minor = 3;
  TarEntry loop = Entry("dev/loop0", TarEntry::kBlock, 0660);
  loop.dev_major = 7;
  loop.gid = 6;
  TarEntry fifo = Entry("run/fifo", TarEntry::kFifo, 0620);
  TarEntry link = Symlink("home/link", "user");
  link.uid = 42;
  auto l = AddLayer({f, d, null, loop, fifo, link}, "");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  const std::string diff = store_->DiffDir(l->chain_id);

  auto st = Lstat(diff + "/bin/su");
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mode & 07777, 04755u);  // chown did not clear setuid
  st = Lstat(diff + "/home/user");
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  st = Lstat(diff + "/dev/null");
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(st.st_mode & 07777, 0666u);
  st = Lstat(diff + "/dev/loop0");
  EXPECT_TRUE(S_ISBLK(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(7, 0));
  EXPECT_EQ(st.st_gid, 6u);
  st = Lstat(diff + "/run/fifo");
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0620u);
  EXPECT_EQ(Lstat(diff + "/home/link").st_uid, 42u);
}

TEST_F(RootLayerTest, TrustedXattrsKeptButOverlayOnesDropped) {
  TarEntry f = File("f", "x");
  f.xattrs = {{"trusted.berth.test", "kept"}, {"trusted.overlay.redirect", "/etc"}};
  TarEntry d = Dir("d");
  d.xattrs = {{"trusted.overlay.opaque", "y"}};
  auto l = AddLayer({f, d}, "");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  const std::string diff = store_->DiffDir(l->chain_id);
  EXPECT_EQ(GetXattr(diff + "/f", "trusted.berth.test"), "kept");
  EXPECT_EQ(GetXattr(diff + "/f", "trusted.overlay.redirect"), "");
  EXPECT_EQ(GetXattr(diff + "/d", "trusted.overlay.opaque"), "");
}

TEST_F(RootLayerTest, OpaqueMarkerSetsTheOverlayXattr) {
  auto l = AddLayer({Dir("opq"), File("opq/.wh..wh..opq", ""), File("opq/new", "n")}, "");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  const std::string diff = store_->DiffDir(l->chain_id);
  EXPECT_EQ(GetXattr(diff + "/opq", "trusted.overlay.opaque"), "y");
  EXPECT_FALSE(PathExists(diff + "/opq/.wh..wh..opq"));
}

TEST_F(RootLayerTest, OverlayHidesWhiteoutsAndOpaqueDirectories) {
  auto lower = AddLayer({Dir("etc"), File("etc/keep", "k"), File("etc/gone", "g"), Dir("opq"),
                         File("opq/lower-only", "l"), File("opq/both", "lower")},
                        "");
  ASSERT_TRUE(lower.ok()) << lower.status().ToString();
  auto upper_layer = AddLayer({Dir("etc"), File("etc/.wh.gone", ""), Dir("opq"),
                               File("opq/.wh..wh..opq", ""), File("opq/both", "upper")},
                              lower->chain_id);
  ASSERT_TRUE(upper_layer.ok()) << upper_layer.status().ToString();

  const std::string upper = MakeDir("upper"), work = MakeDir("work"), target = MakeDir("rootfs");
  auto mount = store_->MountRootfs(upper_layer->chain_id, upper, work, target, false);
  ASSERT_TRUE(mount.ok()) << mount.status().ToString();
  EXPECT_EQ(ReadAll(target + "/etc/keep"), "k");
  EXPECT_FALSE(PathExists(target + "/etc/gone")) << "whiteout did not hide the lower file";
  EXPECT_FALSE(PathExists(target + "/opq/lower-only")) << "opaque dir shows lower content";
  EXPECT_EQ(ReadAll(target + "/opq/both"), "upper");
  // Writes go to the upper dir, the layers stay untouched.
  WriteAll(target + "/etc/new", "w");
  EXPECT_EQ(ReadAll(upper + "/etc/new"), "w");
  EXPECT_FALSE(PathExists(store_->DiffDir(upper_layer->chain_id) + "/etc/new"));
  ASSERT_TRUE(mount->Unmount().ok());
  EXPECT_FALSE(PathExists(target + "/etc"));
}

TEST_F(RootLayerTest, ReadOnlyMountOfASingleLayer) {
  auto l = AddLayer({File("hello", "world")}, "");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  const std::string target = MakeDir("ro");
  auto mount = store_->MountRootfs(l->chain_id, "", "", target, true);
  ASSERT_TRUE(mount.ok()) << mount.status().ToString();
  EXPECT_EQ(ReadAll(target + "/hello"), "world");
  EXPECT_NE(::mkdir((target + "/x").c_str(), 0755), 0);
  EXPECT_EQ(errno, EROFS);
}

TEST_F(RootLayerTest, MountOfOneHundredTwentyLayers) {
  std::string parent;
  std::vector<std::string> chain;
  for (int i = 0; i < 120; ++i) {
    auto l = AddLayer(
        {File("layer-" + std::to_string(i), std::to_string(i)), File("shared", std::to_string(i))},
        parent);
    ASSERT_TRUE(l.ok()) << i << ": " << l.status().ToString();
    parent = l->chain_id;
    chain.push_back(parent);
  }
  // With absolute diff paths the option would be far beyond one page.
  ASSERT_GT(120 * (store_->DiffDir(parent).size() + 1), 4096u);
  const std::string upper = MakeDir("upper"), work = MakeDir("work"), target = MakeDir("rootfs");
  auto mount = store_->MountRootfs(parent, upper, work, target, false);
  ASSERT_TRUE(mount.ok()) << mount.status().ToString();
  EXPECT_EQ(ReadAll(target + "/layer-0"), "0");
  EXPECT_EQ(ReadAll(target + "/layer-119"), "119");
  EXPECT_EQ(ReadAll(target + "/shared"), "119");  // the top layer wins
}

// The relative l/<id> names resolve in the layers directory, yet the
// mounting process's own working directory (shared by all its threads) stays
// where it was, after a mount and after a failed one.
TEST_F(RootLayerTest, MountLeavesTheProcessWorkingDirectoryAlone) {
  auto l = AddLayer({File("a", "b")}, "");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  const std::string before = MakeDir("cwd");
  ASSERT_EQ(::chdir(before.c_str()), 0);
  const std::string upper = MakeDir("upper"), work = MakeDir("work"), target = MakeDir("rootfs");
  auto mount = store_->MountRootfs(l->chain_id, upper, work, target, false);
  ASSERT_TRUE(mount.ok()) << mount.status().ToString();
  EXPECT_EQ(ReadAll(target + "/a"), "b");
  EXPECT_EQ(std::filesystem::current_path().string(), before);
  auto missing = store_->MountRootfs(l->chain_id, upper, work, target + "/absent", false);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(target + "/absent"), std::string::npos)
      << missing.status().ToString();
  EXPECT_EQ(std::filesystem::current_path().string(), before);
  ASSERT_EQ(::chdir("/"), 0);
}

TEST_F(RootLayerTest, MountPathsThatWouldInjectOptionsAreRefused) {
  auto l = AddLayer({File("a", "b")}, "");
  ASSERT_TRUE(l.ok());
  const std::string target = MakeDir("t");
  auto m = store_->MountRootfs(l->chain_id, "/tmp/x,lowerdir=/", "/tmp/w", target, false);
  EXPECT_EQ(m.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth::image
