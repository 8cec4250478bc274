#include "pkg/streaming/protocol.h"

#include <algorithm>

namespace berth::streaming {

const std::vector<std::string>& SpdyRemoteCommandProtocols() {
  static const std::vector<std::string> k = {"v5.channel.k8s.io", "v4.channel.k8s.io",
                                             "v3.channel.k8s.io", "v2.channel.k8s.io",
                                             "channel.k8s.io"};
  return k;
}

const std::vector<std::string>& SpdyPortForwardProtocols() {
  static const std::vector<std::string> k = {"portforward.k8s.io"};
  return k;
}

const std::vector<std::string>& WebSocketRemoteCommandProtocols() {
  static const std::vector<std::string> k = {"v5.channel.k8s.io", "v4.channel.k8s.io",
                                             "channel.k8s.io", "base64.channel.k8s.io"};
  return k;
}

const std::vector<std::string>& WebSocketPortForwardProtocols() {
  static const std::vector<std::string> k = {"v4.channel.k8s.io"};
  return k;
}

std::vector<std::string> SplitProtocolList(const std::vector<std::string_view>& header_values) {
  std::vector<std::string> out;
  for (std::string_view value : header_values) {
    size_t start = 0;
    while (start <= value.size()) {
      size_t comma = value.find(',', start);
      if (comma == std::string_view::npos) comma = value.size();
      std::string_view item = value.substr(start, comma - start);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (!item.empty()) out.emplace_back(item);
      start = comma + 1;
    }
  }
  return out;
}

std::optional<std::string> Negotiate(const std::vector<std::string>& offered,
                                     const std::vector<std::string>& supported) {
  for (const std::string& p : offered) {
    if (std::find(supported.begin(), supported.end(), p) != supported.end()) return p;
  }
  return std::nullopt;
}

int RemoteCommandVersion(std::string_view protocol) {
  if (protocol.size() > 3 && protocol[0] == 'v' && protocol.substr(2, 1) == "." &&
      protocol[1] >= '2' && protocol[1] <= '9') {
    return protocol[1] - '0';
  }
  return 1;
}

}  // namespace berth::streaming
