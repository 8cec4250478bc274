// Pull throughput: pulls one image (default: the ~100 MB test image) through a
// CRI endpoint and prints the pull time, MB/s and berthd's peak RSS.
//
//   image_pull_bench --endpoint unix:///run/berth/berth.sock
//       --image 127.0.0.1:5000/berth-test/big:latest [--pid <berthd pid>]
// The image is removed first so the pull downloads everything. Without --pid
// the peak RSS line is skipped.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "runtime/v1/api.grpc.pb.h"
#include "test/bench/bench_util.h"

namespace {

std::string Arg(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return argv[i + 1];
  }
  return def;
}

// VmHWM (peak resident set) of `pid`, as /proc prints it ("123456 kB").
std::string PeakRss(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 6));
  }
  return "unknown";
}

}  // namespace

int main(int argc, char** argv) {
  namespace rt = runtime::v1;
  const std::string endpoint = berth::bench::EndpointFromArgs(argc, argv);
  const std::string image = Arg(argc, argv, "--image", "127.0.0.1:5000/berth-test/big:latest");
  const std::string pid = Arg(argc, argv, "--pid", "");
  auto stub =
      rt::ImageService::NewStub(grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials()));

  {
    grpc::ClientContext ctx;
    rt::RemoveImageRequest req;
    req.mutable_image()->set_image(image);
    rt::RemoveImageResponse resp;
    grpc::Status s = stub->RemoveImage(&ctx, req, &resp);
    if (!s.ok()) std::fprintf(stderr, "remove before pull: %s\n", s.error_message().c_str());
  }

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
  rt::PullImageRequest req;
  req.mutable_image()->set_image(image);
  rt::PullImageResponse resp;
  const auto start = std::chrono::steady_clock::now();
  grpc::Status s = stub->PullImage(&ctx, req, &resp);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!s.ok()) {
    std::fprintf(stderr, "pull %s: %s\n", image.c_str(), s.error_message().c_str());
    return 1;
  }

  // The bytes transferred: ImageStatus size (compressed layers + config).
  grpc::ClientContext sctx;
  rt::ImageStatusRequest sreq;
  sreq.mutable_image()->set_image(resp.image_ref());
  rt::ImageStatusResponse sresp;
  if (!stub->ImageStatus(&sctx, sreq, &sresp).ok() || !sresp.has_image()) {
    std::fprintf(stderr, "image status after pull failed\n");
    return 1;
  }
  const double mb = double(sresp.image().size()) / 1e6;
  std::printf("%-40s %8.3f s  %8.1f MB  %8.1f MB/s\n", ("pull " + image).c_str(), secs, mb,
              mb / secs);
  if (!pid.empty()) std::printf("%-40s %s\n", "berthd peak RSS (VmHWM)", PeakRss(pid).c_str());
  return 0;
}
