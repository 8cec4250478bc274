// HcsClient: the two Host Compute Service calls CCG needs, as JSON in and out.
// The real client (windows/hcs_client_windows.cc) loads vmcompute.dll at run
// time; FakeHcsClient records calls and keeps instances in memory for tests.
#pragma once

#include <string>

#include "pkg/base/status.h"

namespace berth::platform {

class HcsClient {
 public:
  virtual ~HcsClient() = default;
  // HcsModifyServiceSettings with a ModificationRequest document.
  virtual Status ModifyServiceSettings(const std::string& request_json) = 0;
  // HcsGetServiceProperties with a property query; returns the properties document.
  virtual Result<std::string> GetServiceProperties(const std::string& query_json) = 0;
};

}  // namespace berth::platform
