#include "pkg/image/layer_unpack.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "gtest/gtest.h"
#include "pkg/base/digest.h"
#include "test/unit/image/test_tar.h"

namespace berth::image {
namespace {

using namespace berth::image::testing;

class LayerUnpackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::mkdir(dest().c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(outside().c_str(), 0755), 0);
  }
  std::string dest() const { return tmp_ / "dest"; }
  std::string outside() const { return tmp_ / "outside"; }
  std::string blob() const { return tmp_ / "layer.tar"; }

  Result<UnpackResult> Unpack(const std::vector<TarEntry>& entries,
                              Compression c = Compression::kNone, std::string expect = "") {
    diff_id_ = WriteLayer(blob(), entries, c);
    return UnpackLayer(blob(), dest(), UnpackOptions{std::move(expect), ::geteuid() != 0});
  }

  TempDir tmp_;
  std::string diff_id_;
};

struct stat Lstat(const std::string& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st;
}

TEST_F(LayerUnpackTest, RegularFilesDirsModesAndMtimes) {
  TarEntry f = File("etc/app/conf", "hello", 04755);
  f.mtime = 1234567890;
  TarEntry d = Dir("etc/app", 0750);
  d.mtime = 1111111111;
  auto r = Unpack({Dir("etc"), d, f, File("etc/ro", "x", 0400)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->diff_id, diff_id_);
  EXPECT_EQ(r->unpacked_bytes, 6u);
  EXPECT_EQ(r->entries, 4u);
  EXPECT_EQ(ReadAll(dest() + "/etc/app/conf"), "hello");
  auto st = Lstat(dest() + "/etc/app/conf");
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1234567890);
  auto sd = Lstat(dest() + "/etc/app");
  EXPECT_EQ(sd.st_mode & 07777, 0750u);
  // The directory's mtime survives the file created inside it afterwards.
  EXPECT_EQ(sd.st_mtim.tv_sec, 1111111111);
  EXPECT_EQ(Lstat(dest() + "/etc/ro").st_mode & 07777, 0400u);
}

TEST_F(LayerUnpackTest, MissingParentsAreCreated) {
  auto r = Unpack({File("a/b/c/file", "x")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadAll(dest() + "/a/b/c/file"), "x");
}

TEST_F(LayerUnpackTest, ReadOnlyDirectoryStillReceivesItsChildren) {
  auto r = Unpack({Dir("ro", 0555), File("ro/inside", "data")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadAll(dest() + "/ro/inside"), "data");
  EXPECT_EQ(Lstat(dest() + "/ro").st_mode & 07777, 0555u);
}

TEST_F(LayerUnpackTest, SymlinksAreKeptVerbatim) {
  auto r = Unpack({Dir("bin"), File("bin/busybox", "elf", 0755), Symlink("bin/sh", "busybox"),
                   Symlink("abs", "/etc/passwd"), Symlink("up", "../../..")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  char buf[PATH_MAX];
  ssize_t n = ::readlink((dest() + "/bin/sh").c_str(), buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, n), "busybox");
  n = ::readlink((dest() + "/abs").c_str(), buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n), "/etc/passwd");
  EXPECT_TRUE(S_ISLNK(Lstat(dest() + "/up").st_mode));
}

TEST_F(LayerUnpackTest, HardLinksShareTheInode) {
  auto r = Unpack({File("bin/busybox", "elf", 0755), Hardlink("bin/ls", "bin/busybox"),
                   Hardlink("cat", "./bin/busybox")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto a = Lstat(dest() + "/bin/busybox");
  auto b = Lstat(dest() + "/bin/ls");
  auto c = Lstat(dest() + "/cat");
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_ino, c.st_ino);
  EXPECT_EQ(a.st_nlink, 3u);
}

TEST_F(LayerUnpackTest, WhiteoutBecomesCharDevice00AndAufsMetadataIsDropped) {
  auto r = Unpack({Dir("etc"), File("etc/.wh.gone", ""), File(".wh..wh.plnk", "")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto st = Lstat(dest() + "/etc/gone");
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(PathExists(dest() + "/etc/.wh.gone"));
  EXPECT_FALSE(PathExists(dest() + "/.wh..wh.plnk"));
  EXPECT_FALSE(PathExists(dest() + "/plnk"));
}

TEST_F(LayerUnpackTest, UserXattrsAreKept) {
  TarEntry f = File("f", "x");
  f.xattrs = {{"user.berth.test", "value"}};
  auto r = Unpack({f});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  char buf[64];
  ssize_t n = ::lgetxattr((dest() + "/f").c_str(), "user.berth.test", buf, sizeof buf);
  ASSERT_EQ(n, 5) << std::strerror(errno);
  EXPECT_EQ(std::string(buf, n), "value");
}

TEST_F(LayerUnpackTest, LaterEntryReplacesEarlierOne) {
  auto r =
      Unpack({File("x", "old"), File("x", "new"), Dir("d"), File("d/f", "1"), File("d", "file")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadAll(dest() + "/x"), "new");
  EXPECT_EQ(ReadAll(dest() + "/d"), "file");
}

TEST_F(LayerUnpackTest, GzipAndZstdLayersUnpackWithTheUncompressedDiffId) {
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    TempDir fresh;
    std::vector<TarEntry> entries = {File("hello", std::string(100000, 'z'))};
    const std::string diff = WriteLayer(fresh / "blob", entries, c);
    ASSERT_NE(Sha256Digest(ReadAll(fresh / "blob")), diff);  // really compressed
    ASSERT_EQ(::mkdir((fresh / "d").c_str(), 0755), 0);
    auto r = UnpackLayer(fresh / "blob", fresh / "d", UnpackOptions{diff, ::geteuid() != 0});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->diff_id, diff);
    EXPECT_EQ(ReadAll(fresh / "d/hello"), std::string(100000, 'z'));
  }
}

TEST_F(LayerUnpackTest, DiffIdMismatchIsRefused) {
  auto r = Unpack({File("a", "x")}, Compression::kGzip, Sha256Digest("something else"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("diff ID"), std::string::npos);
}

TEST_F(LayerUnpackTest, GarbageIsRefused) {
  WriteAll(blob(), std::string(5000, 'G'));
  auto r = UnpackLayer(blob(), dest(), UnpackOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
}

TEST_F(LayerUnpackTest, MediaTypes) {
  EXPECT_TRUE(CheckLayerMediaType("application/vnd.oci.image.layer.v1.tar+zstd").ok());
  EXPECT_TRUE(CheckLayerMediaType("application/vnd.docker.image.rootfs.diff.tar.gzip").ok());
  EXPECT_EQ(CheckLayerMediaType("application/vnd.oci.image.config.v1+json").code(),
            Code::kInvalidArgument);
}

// --- path traversal: the whole layer is refused, nothing lands outside ---

class TraversalTest : public LayerUnpackTest {
 protected:
  void ExpectRefused(const std::vector<TarEntry>& entries, const std::string& entry_name) {
    auto r = Unpack(entries);
    ASSERT_FALSE(r.ok()) << "layer with " << entry_name << " was accepted";
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
    EXPECT_NE(r.status().message().find(entry_name), std::string::npos) << r.status().ToString();
    EXPECT_EQ(CountEntries(outside()), 0u) << "something was written outside";
    EXPECT_FALSE(PathExists(tmp_ / "x"));
  }
};

TEST_F(TraversalTest, DotDotComponentIsRefused) {
  ExpectRefused({File("../x", "evil")}, "../x");
}

TEST_F(TraversalTest, NestedDotDotIsRefused) {
  ExpectRefused({Dir("a"), File("a/../../outside/x", "evil")}, "a/../../outside/x");
}

TEST_F(TraversalTest, AbsolutePathIsRefused) {
  ExpectRefused({File(outside() + "/x", "evil")}, outside() + "/x");
}

TEST_F(TraversalTest, WriteThroughSymlinkIsRefused) {
  ExpectRefused({Symlink("evil", outside()), File("evil/file", "evil")}, "evil/file");
}

TEST_F(TraversalTest, WriteThroughRelativeSymlinkIsRefused) {
  ExpectRefused({Symlink("evil", "../outside"), File("evil/file", "evil")}, "evil/file");
}

TEST_F(TraversalTest, DirectoryThroughSymlinkIsRefused) {
  ExpectRefused({Symlink("evil", outside()), Dir("evil/sub")}, "evil/sub");
}

TEST_F(TraversalTest, HardlinkOutsideIsRefused) {
  ExpectRefused({Hardlink("passwd", "../../etc/passwd")}, "passwd");
}

TEST_F(TraversalTest, HardlinkAbsoluteIsRefused) {
  ExpectRefused({Hardlink("passwd", "/etc/passwd")}, "passwd");
}

TEST_F(TraversalTest, HardlinkThroughSymlinkIsRefused) {
  WriteAll(outside() + "/secret", "s");
  auto r = Unpack({Symlink("evil", outside()), Hardlink("stolen", "evil/secret")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(PathExists(dest() + "/stolen"));
  EXPECT_EQ(Lstat(outside() + "/secret").st_nlink, 1u);
}

TEST_F(TraversalTest, HardlinkToMissingTargetIsRefused) {
  ExpectRefused({Hardlink("a", "nothing")}, "a");
}

TEST_F(TraversalTest, WhiteoutOfDotDotIsRefused) {
  ExpectRefused({File(".wh...", "")}, ".wh...");
}

TEST_F(TraversalTest, PreexistingSymlinkIsNotFollowed) {
  ASSERT_EQ(::symlink(outside().c_str(), (dest() + "/lnk").c_str()), 0);
  ExpectRefused({File("lnk/x", "evil")}, "lnk/x");
}

TEST_F(TraversalTest, SymlinkReplacedByFileDoesNotWriteThroughIt) {
  // A later file entry with a symlink's name replaces the link, it does not follow it.
  auto r = Unpack({Symlink("f", outside() + "/target"), File("f", "data")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(PathExists(outside() + "/target"));
  EXPECT_TRUE(S_ISREG(Lstat(dest() + "/f").st_mode));
}

}  // namespace
}  // namespace berth::image
