// MetricsEndpoint: serves a collectable at GET http://<address>/metrics
// (prometheus-cpp's Exposer, an embedded civetweb).
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <string>

#include "pkg/base/status.h"

namespace prometheus {
class Exposer;
}

namespace berth::metrics {

class MetricsEndpoint {
 public:
  // Listens on `address` (host:port, port 0 = any free port). Fails with an
  // error naming the address when it cannot listen (in use, no such host).
  static Result<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& address, std::shared_ptr<prometheus::Collectable> collectable);
  ~MetricsEndpoint();  // stops listening

  // The port it listens on (the real one when asked for port 0).
  int port() const { return port_; }

 private:
  MetricsEndpoint() = default;
  std::shared_ptr<prometheus::Collectable> collectable_;  // the exposer holds a weak_ptr
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace berth::metrics
