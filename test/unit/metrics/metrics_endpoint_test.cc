// MetricsEndpoint: serves GET /metrics over real HTTP on a port of its own,
// and a taken address is an error naming it. Portable: the Windows build runs
// it too (test/windows, with http_get_win.cc).
#include "pkg/metrics/metrics_endpoint.h"

#include <gtest/gtest.h>

#include "pkg/metrics/daemon_metrics.h"
#include "test/unit/metrics/http_get.h"

namespace berth::metrics {
namespace {

TEST(MetricsEndpointTest, ServesTheExpositionOnAnyFreePort) {
  auto metrics = std::make_shared<DaemonMetrics>();
  metrics->RecordRpc("RuntimeService.Version", "", "OK", 0.001);
  auto endpoint = MetricsEndpoint::Start("127.0.0.1:0", metrics);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status().ToString();
  ASSERT_GT((*endpoint)->port(), 0);

  std::string answer = HttpGet((*endpoint)->port(), "/metrics");
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer.substr(0, 200);
  EXPECT_NE(answer.find("berth_grpc_requests_total{method=\"RuntimeService.Version\"} 1"),
            std::string::npos)
      << answer;
  // Figures recorded later show at the next scrape.
  metrics->RecordOomKill();
  EXPECT_NE(HttpGet((*endpoint)->port(), "/metrics").find("berth_container_oom_kills_total 1"),
            std::string::npos);
}

TEST(MetricsEndpointTest, TakenAddressIsAnErrorNamingIt) {
  auto metrics = std::make_shared<DaemonMetrics>();
  auto first = MetricsEndpoint::Start("127.0.0.1:0", metrics);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::string address = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = MetricsEndpoint::Start(address, metrics);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kUnavailable);
  EXPECT_NE(second.status().message().find(address), std::string::npos)
      << second.status().message();
}

TEST(MetricsEndpointTest, StopsListeningWhenDestroyed) {
  auto metrics = std::make_shared<DaemonMetrics>();
  int port = 0;
  {
    auto endpoint = MetricsEndpoint::Start("127.0.0.1:0", metrics);
    ASSERT_TRUE(endpoint.ok()) << endpoint.status().ToString();
    port = (*endpoint)->port();
  }
  EXPECT_EQ(HttpGet(port, "/metrics"), "connect failed");
}

}  // namespace
}  // namespace berth::metrics
