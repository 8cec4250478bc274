// Images whose content is hostile, through a real berthd (issue 15 items 6, 7
// and 10): an /etc/passwd that is a FIFO, a device node, a link to the host's
// /etc/shadow or not UTF-8 makes CreateContainer with a user name fail with a
// clear error (berthd neither blocks nor reads the host file), and a layer of
// zeros that gzips 1000:1 is refused as a decompression bomb, naming the
// image and the layer, with nothing left behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "test/integration/containers/container_env.h"
#include "test/integration/images/image_env.h"
#include "test/integration/images/image_rpc.h"

namespace berth::testing {
namespace {

namespace rt = runtime::v1;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// push_hostile_content_images.py's IMAGE_* and BOMB_LAYER values.
std::map<std::string, std::string> PushImages() {
  TempDir tmp("berth-hostile-content");
  const std::string env_file = tmp.Sub("images.env");
  ProcessResult r = RunCommand({"/usr/bin/python3",
                                std::string(BERTH_SOURCE_DIR) +
                                    "/test/integration/containers/push_hostile_content_images.py",
                                ImageEnv::Get("OPEN_REGISTRY"), env_file},
                               std::chrono::seconds(120));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::map<std::string, std::string> values;
  std::ifstream in(env_file);
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return values;
}

class HostileImageContentTest : public ContainerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ContainerTest::SetUp());
    static const std::map<std::string, std::string> images = PushImages();
    images_ = images;
    ASSERT_FALSE(images_["IMAGE_PASSWD_FIFO"].empty());
  }

  // CreateContainer from `image` running as user `user`; must fail.
  grpc::Status CreateAs(const std::string& image, const std::string& user) {
    const std::string ref = images_[image];
    EXPECT_TRUE(PullImage(*d_, ref).ok()) << ref;
    const std::string pod = RunPod("acct-" + std::to_string(++pods_));
    rt::ContainerConfig c = Config("acct", {"/bin/true"});
    c.mutable_image()->set_image(ref);
    c.mutable_linux()->mutable_security_context()->set_run_as_username(user);
    std::string id;
    const auto started = std::chrono::steady_clock::now();
    grpc::Status s = Create(pod, c, &id);
    // Create is local work here: a blocked open would hold it to its 30 s deadline.
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
    return s;
  }

  std::map<std::string, std::string> images_;
  int pods_ = 0;
};

TEST_F(HostileImageContentTest, FifoPasswdIsRefusedNamingItsType) {
  grpc::Status s = CreateAs("IMAGE_PASSWD_FIFO", "app");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("\"/etc/passwd\" in the image is a FIFO"));
}

TEST_F(HostileImageContentTest, DevicePasswdIsRefusedNamingItsType) {
  grpc::Status s = CreateAs("IMAGE_PASSWD_DEVICE", "app");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("\"/etc/passwd\" in the image is a character device"));
}

TEST_F(HostileImageContentTest, PasswdLinkedToTheHostsShadowNeverReadsIt) {
  // Were the host's shadow read, its "root" line could parse as an entry.
  const int watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ASSERT_GE(watch, 0);
  ASSERT_GE(inotify_add_watch(watch, "/etc/shadow", IN_OPEN), 0);
  grpc::Status s = CreateAs("IMAGE_PASSWD_SHADOW", "root");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("not found in the image's /etc/passwd"));
  alignas(inotify_event) char buf[4096];
  EXPECT_LE(read(watch, buf, sizeof(buf)), 0) << "something opened the host's /etc/shadow";
  close(watch);
}

TEST_F(HostileImageContentTest, Latin1HomeIsFailedPreconditionNotUnknown) {
  grpc::Status s = CreateAs("IMAGE_PASSWD_LATIN1", "j");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("/etc/passwd"));
  EXPECT_THAT(s.error_message(), HasSubstr("not valid UTF-8"));
}

TEST_F(HostileImageContentTest, ZeroBombLayerIsRefusedNamingImageAndLayer) {
  const std::string ref = images_["IMAGE_ZERO_BOMB"];
  const std::vector<std::string> layers_before = LayerDirs(*d_);
  grpc::Status s = PullImage(*d_, ref);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("pull " + ref));
  EXPECT_THAT(s.error_message(), HasSubstr("layer " + images_["BOMB_LAYER"]));
  EXPECT_THAT(s.error_message(), HasSubstr("decompression bomb"));
  EXPECT_THAT(s.error_message(), HasSubstr("image_layer_max_expansion_ratio"));
  // Only busybox (pulled by the fixture) is left; no part of the bomb.
  EXPECT_EQ(ListImages(*d_).size(), 1u);
  EXPECT_EQ(LayerDirs(*d_), layers_before);
  EXPECT_THAT(LeftoverTempFiles(*d_), IsEmpty());
}

}  // namespace
}  // namespace berth::testing
