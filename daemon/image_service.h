// ImageService over gRPC: each RPC forwards through HandleRpc to the
// ImageManager (image_manager.h), whose handlers live one family per file.
#pragma once

#include <memory>

#include "pkg/base/status.h"
#include "runtime/v1/api.grpc.pb.h"

namespace berth::daemon {

class ImageManager;

class ImageServiceImpl final : public runtime::v1::ImageService::Service {
 public:
  // Serves `manager`'s images (the Server owns it, and it outlives this).
  explicit ImageServiceImpl(ImageManager& manager);
  ~ImageServiceImpl() override;

  grpc::Status ListImages(grpc::ServerContext*, const runtime::v1::ListImagesRequest* req,
                          runtime::v1::ListImagesResponse* resp) override;
  grpc::Status StreamImages(grpc::ServerContext*, const runtime::v1::StreamImagesRequest* req,
                            grpc::ServerWriter<runtime::v1::StreamImagesResponse>* writer) override;
  grpc::Status ImageStatus(grpc::ServerContext*, const runtime::v1::ImageStatusRequest* req,
                           runtime::v1::ImageStatusResponse* resp) override;
  grpc::Status PullImage(grpc::ServerContext*, const runtime::v1::PullImageRequest* req,
                         runtime::v1::PullImageResponse* resp) override;
  grpc::Status RemoveImage(grpc::ServerContext*, const runtime::v1::RemoveImageRequest* req,
                           runtime::v1::RemoveImageResponse* resp) override;
  grpc::Status ImageFsInfo(grpc::ServerContext*, const runtime::v1::ImageFsInfoRequest* req,
                           runtime::v1::ImageFsInfoResponse* resp) override;

 private:
  ImageManager& manager_;
};

}  // namespace berth::daemon
