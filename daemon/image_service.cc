#include "daemon/image_service.h"

#include "daemon/call_cancel.h"
#include "daemon/image_manager.h"
#include "daemon/rpc_handler.h"

namespace berth::daemon {

ImageServiceImpl::ImageServiceImpl(ImageManager& manager) : manager_(manager) {}
ImageServiceImpl::~ImageServiceImpl() = default;

// One RPC, one line: the generated signature forwarding to its handler.
#define BERTH_IMAGE_UNARY(rpc)                                                                   \
  grpc::Status ImageServiceImpl::rpc(grpc::ServerContext*, const runtime::v1::rpc##Request* req, \
                                     runtime::v1::rpc##Response* resp) {                         \
    return HandleRpc(#rpc, *req, [&] { return manager_.rpc(*req, resp); });                      \
  }

BERTH_IMAGE_UNARY(ListImages)
BERTH_IMAGE_UNARY(ImageStatus)
BERTH_IMAGE_UNARY(RemoveImage)
BERTH_IMAGE_UNARY(ImageFsInfo)

// The one image RPC that can run long: the client's cancel and deadline reach it.
grpc::Status ImageServiceImpl::PullImage(grpc::ServerContext* context,
                                         const runtime::v1::PullImageRequest* req,
                                         runtime::v1::PullImageResponse* resp) {
  return HandleRpc("PullImage", *req,
                   [&] { return manager_.PullImage(*req, resp, CancelTokenOf(*context)); });
}

namespace {
// Streamed lists send this many images per message, far below gRPC's limit
// even for images with many tags.
constexpr int kStreamBatch = 500;
}  // namespace

grpc::Status ImageServiceImpl::StreamImages(
    grpc::ServerContext*, const runtime::v1::StreamImagesRequest* req,
    grpc::ServerWriter<runtime::v1::StreamImagesResponse>* writer) {
  return HandleRpc("StreamImages", *req, [&]() -> berth::Status {
    runtime::v1::ListImagesRequest list_req;
    *list_req.mutable_filter() = req->filter();
    runtime::v1::ListImagesResponse all;
    BERTH_RETURN_IF_ERROR(manager_.ListImages(list_req, &all));
    runtime::v1::StreamImagesResponse batch;
    for (auto& image : *all.mutable_images()) {
      *batch.add_images() = std::move(image);
      if (batch.images_size() == kStreamBatch) {
        if (!writer->Write(batch)) return Cancelled("client went away");
        batch.Clear();
      }
    }
    if (batch.images_size() > 0 && !writer->Write(batch)) return Cancelled("client went away");
    return OkStatus();
  });
}

}  // namespace berth::daemon
