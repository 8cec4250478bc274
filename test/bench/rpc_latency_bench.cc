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
  try {
    for (int i = 0; i < kRuns; ++i) {
      version.MeasureCall("Version", [&] {
        grpc::ClientContext ctx;
        runtime::v1::VersionResponse r;
        return stub->Version(&ctx, runtime::v1::VersionRequest(), &r);
      });
      status.MeasureCall("Status", [&] {
        grpc::ClientContext ctx;
        runtime::v1::StatusResponse r;
        return stub->Status(&ctx, runtime::v1::StatusRequest(), &r);
      });
    }
  } catch (const berth::bench::BenchError& e) {
    std::fprintf(stderr, "rpc_latency_bench: %s\n", e.what.c_str());
    return 1;
  }
  version.Print("Version");
  status.Print("Status");
  return 0;
}
