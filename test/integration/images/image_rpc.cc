#include "test/integration/images/image_rpc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

namespace berth::testing {

namespace fs = std::filesystem;
namespace rt = runtime::v1;

grpc::Status PullImage(BerthdProcess& d, const std::string& ref, const rt::AuthConfig* auth,
                       std::string* image_ref) {
  rt::PullImageRequest req;
  req.mutable_image()->set_image(ref);
  if (auth != nullptr) *req.mutable_auth() = *auth;
  rt::PullImageResponse resp;
  grpc::Status s = d.image().PullImage(Ctx(std::chrono::seconds(180)).get(), req, &resp);
  if (image_ref != nullptr) *image_ref = resp.image_ref();
  return s;
}

rt::ImageStatusResponse ImageStatus(BerthdProcess& d, const std::string& ref) {
  rt::ImageStatusRequest req;
  req.mutable_image()->set_image(ref);
  rt::ImageStatusResponse resp;
  grpc::Status s = d.image().ImageStatus(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << ref << ": " << s.error_message();
  return resp;
}

std::vector<rt::Image> ListImages(BerthdProcess& d) {
  rt::ListImagesResponse resp;
  grpc::Status s = d.image().ListImages(Ctx().get(), rt::ListImagesRequest(), &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return {resp.images().begin(), resp.images().end()};
}

grpc::Status RemoveImage(BerthdProcess& d, const std::string& ref) {
  rt::RemoveImageRequest req;
  req.mutable_image()->set_image(ref);
  rt::RemoveImageResponse resp;
  return d.image().RemoveImage(Ctx().get(), req, &resp);
}

std::vector<std::string> LayerDirs(const BerthdProcess& d) {
  std::vector<std::string> out;
  for (const std::string& name : ListDirOrEmpty(d.dir().Sub("root/image/layers"))) {
    // Layers are named by the hex of their chain ID; l/, tmp/, empty/ are not layers.
    if (name.size() == 64 && name.find_first_not_of("0123456789abcdef") == std::string::npos) {
      out.push_back(name);
    }
  }
  return out;
}

std::vector<std::string> LeftoverTempFiles(const BerthdProcess& d) {
  std::vector<std::string> out;
  for (const char* rel : {"root/image/downloads", "root/image/layers/tmp"}) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(d.dir().Sub(rel), ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      out.push_back(it->path().string());
    }
  }
  return out;
}

uint64_t BytesUnder(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;  // a file may vanish between listing and stat
    if (it->is_regular_file(size_ec)) {
      const auto n = it->file_size(size_ec);
      if (!size_ec) total += n;
    }
  }
  return total;
}

}  // namespace berth::testing
