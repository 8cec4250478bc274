// MetricsEndpoint: serves GET /metrics over real HTTP on a port of its own,
// and a taken address is an error naming it.
#include "pkg/metrics/metrics_endpoint.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pkg/metrics/daemon_metrics.h"

namespace berth::metrics {
namespace {

// One HTTP/1.0 GET; the whole answer (the server closes the connection).
std::string HttpGet(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "connect failed";
  }
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  EXPECT_EQ(::write(fd, req.data(), req.size()), ssize_t(req.size()));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, size_t(n));
  ::close(fd);
  return out;
}

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
