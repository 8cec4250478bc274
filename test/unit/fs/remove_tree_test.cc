// Issue 15 item 4: tree removal once recursed once per directory level,
// holding a descriptor (and a growing path string) per level: a tree 100,000
// directories deep ran out of descriptors or stack. Removal is now iterative
// with at most kRemoveTreeMaxOpenDirs directories open. (The 100,000-deep tree
// itself is built by a container in test/integration/hardening; here 10,000
// levels under a descriptor limit far below that prove the bound.)
#include "pkg/fs/remove_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"
#include "pkg/fs/scoped_fd.h"
#include "test/unit/fs/test_util.h"

namespace berth {
namespace {

using testing_util::Exists;

size_t OpenDescriptors() {
  size_t n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (struct dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
  ::closedir(d);
  return n - 1;  // the one opendir holds
}

// Builds a chain of `depth` directories named "d" below `top`, with a file
// every `file_every` levels, holding one descriptor at a time.
void BuildChain(const std::string& top, int depth, int file_every) {
  ASSERT_EQ(::mkdir(top.c_str(), 0755), 0);
  ScopedFd cur(::open(top.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(cur);
  for (int i = 0; i < depth; ++i) {
    if (i % file_every == 0) {
      ScopedFd f(::openat(cur.get(), "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
      ASSERT_TRUE(f) << "level " << i;
    }
    ASSERT_EQ(::mkdirat(cur.get(), "d", 0755), 0) << "level " << i;
    cur.reset(::openat(cur.get(), "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(cur) << "level " << i;
  }
}

// Lowers the soft descriptor limit for the scope of one removal.
class DescriptorLimit {
 public:
  explicit DescriptorLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit lowered = saved_;
    lowered.rlim_cur = soft;
    ::setrlimit(RLIMIT_NOFILE, &lowered);
  }
  ~DescriptorLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_{};
};

class RemoveTreeTest : public testing_util::TempDirTest {};

TEST_F(RemoveTreeTest, TenThousandDeepTreeGoesWithFewDescriptors) {
  const std::string top = Path("deep");
  ASSERT_NO_FATAL_FAILURE(BuildChain(top, 10000, 1000));
  const size_t before = OpenDescriptors();
  Status s;
  {
    // Far fewer descriptors than levels: one per level cannot succeed.
    DescriptorLimit limit(before + kRemoveTreeMaxOpenDirs + 16);
    s = RemoveAll(top);
  }
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(Exists(top));
  EXPECT_EQ(OpenDescriptors(), before) << "a descriptor leaked";
}

TEST_F(RemoveTreeTest, BranchingTreeDeeperThanTheOpenLimitIsRemovedWhole) {
  // Every level holds a file and a side directory with a file of its own, so
  // directories moved up land beside others still being emptied.
  const std::string top = Path("branchy");
  ASSERT_NO_FATAL_FAILURE(BuildChain(top, 10 * kRemoveTreeMaxOpenDirs, 1));
  std::string level = top;
  for (size_t i = 0; i < 10 * kRemoveTreeMaxOpenDirs; ++i) {
    ASSERT_TRUE(MkdirAll(level + "/side/inner").ok());
    ASSERT_TRUE(WriteFileAtomic(level + "/side/inner/g", "x").ok());
    level += "/d";
    if (level.size() > 3000) break;  // PATH_MAX for the set-up's own path calls
  }
  // A name the walk picks for moved directories, taken already.
  ASSERT_TRUE(WriteFileAtomic(top + "/.berth-remove-0", "taken").ok());
  Status s = RemoveAll(top);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(Exists(top));
}

TEST_F(RemoveTreeTest, SymlinksInsideAreRemovedNotFollowed) {
  const std::string outside = Path("outside");
  ASSERT_TRUE(MkdirAll(outside + "/keep").ok());
  ASSERT_TRUE(WriteFileAtomic(outside + "/keep/file", "precious").ok());
  const std::string top = Path("tree");
  ASSERT_NO_FATAL_FAILURE(BuildChain(top, 3 * kRemoveTreeMaxOpenDirs, 7));
  std::string deepest = top;
  for (size_t i = 0; i < 3 * kRemoveTreeMaxOpenDirs; ++i) deepest += "/d";
  ASSERT_EQ(::symlink(outside.c_str(), (top + "/link").c_str()), 0);
  ASSERT_EQ(::symlink((outside + "/keep").c_str(), (deepest + "/link").c_str()), 0);
  Status s = RemoveAll(top);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(Exists(top));
  EXPECT_TRUE(Exists(outside + "/keep/file"));
}

TEST_F(RemoveTreeTest, MissingNameIsSuccessAndAFileIsOneUnlink) {
  ScopedFd dir(::open(dir_->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_TRUE(RemoveTreeAt(dir.get(), "absent", Path("absent")).ok());
  ASSERT_TRUE(WriteFileAtomic(Path("plain"), "x").ok());
  EXPECT_TRUE(RemoveTreeAt(dir.get(), "plain", Path("plain")).ok());
  EXPECT_FALSE(Exists(Path("plain")));
}

}  // namespace
}  // namespace berth
