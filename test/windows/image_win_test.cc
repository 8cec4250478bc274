// pkg/image and pkg/dynlib's library tables in the Windows build: the volume
// holding a path, the layer unpacker's refusal, and the libcurl/libarchive
// tables looking for their mingw-w64 DLLs (absent here, as on a Windows host
// without them), each error naming its object and cause.
#include <windows.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "pkg/dynlib/archive_library.h"
#include "pkg/dynlib/curl_library.h"
#include "pkg/fs/temp_dir.h"
#include "pkg/image/image_fs_info.h"
#include "pkg/image/layer_unpack.h"

namespace berth {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

TEST(MountPointWinTest, IsTheVolumeRootHoldingTheDirectory) {
  Result<TempDir> dir = TempDir::Create(std::filesystem::temp_directory_path().string(), "mp-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  Result<std::string> mp = image::MountPointOf(dir->path());
  ASSERT_TRUE(mp.ok()) << mp.status().ToString();
  // A drive root such as "C:\" (Wine mounts no volume on a folder).
  ASSERT_EQ(mp->size(), 3u) << *mp;
  EXPECT_EQ(mp->substr(1), ":\\") << *mp;
  // The temp directory's full path starts with it (drive letters ignore case).
  wchar_t full[MAX_PATH];
  ASSERT_GT(::GetFullPathNameW(std::filesystem::path(dir->path()).c_str(), MAX_PATH, full, nullptr),
            0u);
  EXPECT_EQ(Lower(std::filesystem::path(full).string()).rfind(Lower(*mp), 0), 0u)
      << std::filesystem::path(full).string();
}

TEST(MountPointWinTest, MissingPathIsNotFoundNamingIt) {
  Result<std::string> mp = image::MountPointOf("C:\\berth-no-such-dir\\images");
  ASSERT_FALSE(mp.ok());
  EXPECT_EQ(mp.status().code(), Code::kNotFound);
  EXPECT_THAT(mp.status().message(), HasSubstr("C:\\berth-no-such-dir\\images"));
}

TEST(LayerUnpackWinTest, RefusesNamingTheLayerAndWhatDoesItOnWindows) {
  Result<image::UnpackResult> r = image::UnpackLayer("C:\\blobs\\abc", "C:\\layers\\x", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnimplemented);
  EXPECT_THAT(r.status().message(), AllOf(HasSubstr("C:\\blobs\\abc"), HasSubstr("Linux-only"),
                                          HasSubstr("HcsImportLayer")));
  // Which media types berth takes is the same on every system.
  EXPECT_TRUE(image::CheckLayerMediaType("application/vnd.oci.image.layer.v1.tar+gzip").ok());
  EXPECT_FALSE(image::CheckLayerMediaType("application/x-rar").ok());
}

TEST(LibraryTablesWinTest, MissingLibcurlNamesItsDllAndWhereItComesFrom) {
  Result<const dynlib::CurlLibrary*> curl = dynlib::LoadCurl();
  ASSERT_FALSE(curl.ok());
  EXPECT_EQ(curl.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(curl.status().message(),
              AllOf(HasSubstr("libcurl-4.dll"), HasSubstr("(error 126)"),
                    HasSubstr("registry requests need libcurl (a mingw-w64 build")));
}

TEST(LibraryTablesWinTest, MissingLibarchiveNamesItsDllAndWhereItComesFrom) {
  Result<const dynlib::ArchiveLibrary*> archive = dynlib::LoadArchive();
  ASSERT_FALSE(archive.ok());
  EXPECT_EQ(archive.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(archive.status().message(),
              AllOf(HasSubstr("libarchive-13.dll"), HasSubstr("(error 126)"),
                    HasSubstr("layer unpacking needs libarchive (a mingw-w64 build")));
}

}  // namespace
}  // namespace berth
