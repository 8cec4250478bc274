// Round-trip latency of the cheapest CRI calls (Version, Status): the floor
// every other RPC's figure stands on.
#include <grpcpp/grpcpp.h>

#include "runtime/v1/api.grpc.pb.h"
#include "test/bench/bench_util.h"

int main(int argc, char** argv) {
  std::string endpoint = berth::bench::EndpointFromArgs(argc, argv);
  auto channel = grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "cannot connect to %s\n", endpoint.c_str());
    return 1;
  }
  auto stub = runtime::v1::RuntimeService::NewStub(channel);
  constexpr int kRuns = 1000;
  berth::bench::Latencies version, status;
  for (int i = 0; i < kRuns; ++i) {
    version.Measure([&] {
      grpc::ClientContext ctx;
      runtime::v1::VersionResponse r;
      stub->Version(&ctx, runtime::v1::VersionRequest(), &r);
    });
    status.Measure([&] {
      grpc::ClientContext ctx;
      runtime::v1::StatusResponse r;
      stub->Status(&ctx, runtime::v1::StatusRequest(), &r);
    });
  }
  version.Print("Version");
  status.Print("Status");
  return 0;
}
