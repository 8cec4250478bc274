// berthd opens libcurl and libarchive at the first pull (pkg/dynlib), not at
// start-up: an idle daemon maps neither them nor their dependency chains.
#include <gtest/gtest.h>
#include <sys/types.h>

#include <fstream>
#include <string>

#include "test/integration/harness/berthd_fixture.h"
#include "test/integration/images/image_env.h"

namespace berth::testing {
namespace {

namespace rt = runtime::v1;

// Whether process `pid` maps a file whose name starts with `prefix`.
bool MapsLibrary(pid_t pid, const std::string& prefix) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  EXPECT_TRUE(maps.is_open()) << "no maps for pid " << pid;
  for (std::string line; std::getline(maps, line);) {
    const size_t slash = line.rfind('/');
    if (slash != std::string::npos && line.compare(slash + 1, prefix.size(), prefix) == 0) {
      return true;
    }
  }
  return false;
}

TEST(LazyLibrariesTest, LibcurlAndLibarchiveAreMappedOnlyFromTheFirstPull) {
  RequireRoot();
  BerthdProcess d(ImageEnv::RegistriesYaml());
  ASSERT_NO_FATAL_FAILURE(d.Start());  // returns once the socket answers: start-up is over
  EXPECT_FALSE(MapsLibrary(d.pid(), "libcurl.so.")) << "idle berthd maps libcurl";
  EXPECT_FALSE(MapsLibrary(d.pid(), "libarchive.so.")) << "idle berthd maps libarchive";

  rt::PullImageRequest req;
  req.mutable_image()->set_image(ImageEnv::Get("OPEN_REGISTRY") + "/berth-test/busybox:latest");
  rt::PullImageResponse resp;
  grpc::Status s = d.image().PullImage(Ctx(std::chrono::seconds(120)).get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d.Log();
  EXPECT_TRUE(MapsLibrary(d.pid(), "libcurl.so."));
  EXPECT_TRUE(MapsLibrary(d.pid(), "libarchive.so."));
}

}  // namespace
}  // namespace berth::testing
