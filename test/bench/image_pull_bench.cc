// Pull throughput: pulls one image (default: the ~100 MB test image) through a
// CRI endpoint and prints the pull time, MB/s and berthd's peak RSS during
// the pull.
//
//   image_pull_bench --endpoint unix:///run/berth/berth.sock
//       --image 127.0.0.1:5000/berth-test/big:latest [--pid <berthd pid>]
// The image is removed first, and ImageStatus must then not find it, so the
// pull downloads everything; a failed remove ends the bench. The peak RSS is
// the pull's own: berthd's VmHWM is reset just before it (/proc/<pid>/clear_refs,
// which needs root), not the daemon's lifetime peak after earlier benches.
// Without --pid, or when the reset is refused, the peak RSS line is skipped
// and says why.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "runtime/v1/api.grpc.pb.h"
#include "test/bench/bench_util.h"
#include "test/bench/proc_memory.h"

namespace {

std::string Arg(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return argv[i + 1];
  }
  return def;
}

// Resets `pid`'s VmHWM to its current RSS ("5" to clear_refs, Linux 4.0+), so
// that the next reading is the peak since now. False when refused.
bool ResetPeakRss(const std::string& pid) {
  std::ofstream out("/proc/" + pid + "/clear_refs");
  out << "5" << std::flush;
  return out.good();
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "image_pull_bench: %s\n", what.c_str());
  std::exit(1);
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
    if (!s.ok()) Fail("remove before pull: " + s.error_message());
    // Still there (another tag or a container holds it): the pull would time
    // a no-op.
    grpc::ClientContext sctx;
    rt::ImageStatusRequest sreq;
    sreq.mutable_image()->set_image(image);
    rt::ImageStatusResponse sresp;
    s = stub->ImageStatus(&sctx, sreq, &sresp);
    if (!s.ok()) Fail("image status before pull: " + s.error_message());
    if (sresp.has_image()) Fail(image + " is still present after RemoveImage");
  }
  const long rss_before = pid.empty() ? -1 : berth::bench::StatusKb(pid, "VmRSS");
  const bool peak_reset = !pid.empty() && ResetPeakRss(pid);

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
  rt::PullImageRequest req;
  req.mutable_image()->set_image(image);
  rt::PullImageResponse resp;
  const auto start = std::chrono::steady_clock::now();
  grpc::Status s = stub->PullImage(&ctx, req, &resp);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Read at once, before anything else makes berthd grow.
  const long peak = peak_reset ? berth::bench::StatusKb(pid, "VmHWM") : -1;
  if (!s.ok()) Fail("pull " + image + ": " + s.error_message());

  // The bytes transferred: ImageStatus size (compressed layers + config).
  grpc::ClientContext sctx;
  rt::ImageStatusRequest sreq;
  sreq.mutable_image()->set_image(resp.image_ref());
  rt::ImageStatusResponse sresp;
  if (!stub->ImageStatus(&sctx, sreq, &sresp).ok() || !sresp.has_image()) {
    Fail("image status after pull failed");
  }
  const double mb = double(sresp.image().size()) / 1e6;
  std::printf("%-40s %8.3f s  %8.1f MB  %8.1f MB/s\n", ("pull " + image).c_str(), secs, mb,
              mb / secs);
  if (peak_reset && peak >= 0 && rss_before >= 0) {
    std::printf("%-40s %8ld kB  (RSS before %ld kB, +%ld kB)\n",
                "berthd peak RSS during the pull (VmHWM)", peak, rss_before, peak - rss_before);
  } else if (!pid.empty()) {
    std::printf("berthd peak RSS skipped: no /proc/%s, or its clear_refs refused the reset\n",
                pid.c_str());
  }
  return 0;
}
