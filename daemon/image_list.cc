// ListImages (StreamImages batches the same list in image_service.cc) and the
// CRI Image message every image RPC answers with.
#include <charconv>

#include "daemon/image_manager.h"

namespace berth::daemon {

namespace {

// config.User is "user", "user:group", "uid" or "uid:gid": a numeric user is
// reported as uid, a name as username (the kubelet checks runAsNonRoot with them).
void SetUser(const std::string& user_spec, runtime::v1::Image* out) {
  const std::string user = user_spec.substr(0, user_spec.find(':'));
  if (user.empty()) return;
  int64_t uid = 0;
  auto [end, ec] = std::from_chars(user.data(), user.data() + user.size(), uid);
  if (ec == std::errc() && end == user.data() + user.size() && uid >= 0) {
    out->mutable_uid()->set_value(uid);
    return;
  }
  out->set_username(user);
}

}  // namespace

runtime::v1::Image ToCriImage(const image::ImageRecord& record) {
  runtime::v1::Image out;
  out.set_id(record.id);
  for (const auto& t : record.repo_tags) out.add_repo_tags(t);
  for (const auto& d : record.repo_digests) out.add_repo_digests(d);
  out.set_size(record.size);
  SetUser(record.config.user, &out);
  out.mutable_spec()->set_image(record.id);
  out.set_pinned(record.pinned);
  return out;
}

Status ImageManager::ListImages(const runtime::v1::ListImagesRequest& req,
                                runtime::v1::ListImagesResponse* resp) {
  const std::string& wanted = req.filter().image().image();
  if (!wanted.empty()) {
    // A filter names one image: exactly that image, or nothing.
    auto found = Find(wanted);
    if (found.ok()) *resp->add_images() = ToCriImage(*found);
    return OkStatus();
  }
  for (const auto& record : images_->List()) *resp->add_images() = ToCriImage(record);
  return OkStatus();
}

}  // namespace berth::daemon
