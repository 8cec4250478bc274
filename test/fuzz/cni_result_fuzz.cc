// Fuzz target: what CNI plugins print (pkg/cni/result): results in every
// supported version and error objects.
//
// Input: one selector byte (low two bits: the version expected when the
// result names none), then the plugin's stdout. Properties of a parsed result:
//  - every IP is a bare address of its family, with a prefix length in range
//    or none, and an interface index that is absent or names an interface;
//  - the pod IPs handed to the kubelet are addresses inet_pton accepts, in
//    result order, a subset of the result's IPs.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "pkg/cni/result.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using berth::fuzz::Check;

bool IsAddress(int family, const std::string& address) {
  unsigned char buf[16];
  return inet_pton(family == 6 ? AF_INET6 : AF_INET, address.c_str(), buf) == 1;
}

bool IsAnyAddress(const std::string& address) {
  return IsAddress(4, address) || IsAddress(6, address);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kVersions[] = {"", "0.3.1", "0.4.0", "1.0.0"};
  const std::string_view text = berth::fuzz::AsText(data + 1, size - 1);
  (void)berth::cni::ParsePluginError(text);
  auto result = berth::cni::ParseCniResult(text, kVersions[data[0] & 3]);
  if (!result.ok()) return 0;
  for (const berth::cni::CniIp& ip : result->ips) {
    Check(ip.family == 4 || ip.family == 6, "an IP's family is 4 or 6");
    Check(IsAddress(ip.family, ip.address), "an IP is a bare address of its family");
    Check(ip.prefix_length >= -1 && ip.prefix_length <= (ip.family == 6 ? 128 : 32),
          "a prefix length is in range or absent");
    Check(ip.interface >= -1 && ip.interface < static_cast<int>(result->interfaces.size()),
          "an IP's interface index is absent or names an interface");
    Check(ip.gateway.empty() || IsAnyAddress(ip.gateway), "a gateway is an address");
  }
  const std::vector<std::string> pod_ips = berth::cni::PodIps(*result);
  auto next = result->ips.begin();
  for (const std::string& pod_ip : pod_ips) {
    Check(IsAnyAddress(pod_ip), "a pod IP is an address");
    next = std::find_if(next, result->ips.end(),
                        [&](const berth::cni::CniIp& ip) { return ip.address == pod_ip; });
    Check(next != result->ips.end(), "pod IPs are the result's IPs, in order");
    ++next;
  }
  return 0;
}
