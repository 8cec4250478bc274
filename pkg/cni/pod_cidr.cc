#include "pkg/cni/pod_cidr.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "pkg/base/inet_address.h"
#include "pkg/base/quote.h"

namespace berth::cni {
namespace {

// No node has more than a handful of ranges; a longer list is garbage.
constexpr size_t kMaxCidrs = 8;

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Result<PodCidr> ParseOne(std::string_view entry) {
  const std::string quoted = QuoteForMessage(entry, 64);
  if (entry.empty()) return InvalidArgument("empty entry in the CIDR list");
  const size_t slash = entry.find('/');
  if (slash == std::string_view::npos) {
    return InvalidArgument(quoted + " is not a CIDR (address/prefix length)");
  }
  const std::string address(entry.substr(0, slash));
  const std::string_view prefix_text = entry.substr(slash + 1);

  PodCidr out;
  out.ipv6 = address.find(':') != std::string::npos;
  const int family = out.ipv6 ? AF_INET6 : AF_INET;
  const int bits = out.ipv6 ? 128 : 32;
  std::array<unsigned char, 16> bytes{};
  // inet_pton takes only the strict forms: dotted quads without leading
  // zeros, IPv6 text without a zone.
  if (inet_pton(family, address.c_str(), bytes.data()) != 1) {
    return InvalidArgument(quoted + ": " + QuoteForMessage(address, 64) + " is not an IP" +
                           (out.ipv6 ? "v6" : "v4") + " address");
  }
  int prefix = -1;
  const char* end = prefix_text.data() + prefix_text.size();
  auto [ptr, ec] = std::from_chars(prefix_text.data(), end, prefix);
  if (prefix_text.empty() || ec != std::errc() || ptr != end || prefix < 0 || prefix > bits ||
      (prefix_text.size() > 1 && prefix_text[0] == '0')) {
    return InvalidArgument(quoted + ": the prefix length must be a number from 0 to " +
                           std::to_string(bits));
  }

  std::array<unsigned char, 16> network = bytes;
  for (int bit = prefix; bit < bits; ++bit) network[bit / 8] &= ~(0x80 >> (bit % 8));
  char text[INET6_ADDRSTRLEN];
  inet_ntop(family, network.data(), text, sizeof text);
  if (network != bytes) {
    return InvalidArgument(quoted + " has host bits set: the network is " + text + "/" +
                           std::to_string(prefix));
  }
  out.text = std::string(text) + "/" + std::to_string(prefix);
  return out;
}

}  // namespace

Result<std::vector<PodCidr>> ParsePodCidrs(std::string_view list) {
  std::vector<PodCidr> out;
  while (true) {
    const size_t comma = list.find(',');
    if (out.size() == kMaxCidrs) {
      return InvalidArgument("more than " + std::to_string(kMaxCidrs) + " CIDRs");
    }
    Result<PodCidr> cidr = ParseOne(TrimBlanks(list.substr(0, comma)));
    if (!cidr.ok()) return cidr.status();
    out.push_back(*cidr);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

std::string JoinPodCidrs(const std::vector<PodCidr>& cidrs) {
  std::string out;
  for (const PodCidr& c : cidrs) out += (out.empty() ? "" : ",") + c.text;
  return out;
}

std::vector<std::string> DefaultRoutesFor(const std::vector<PodCidr>& cidrs) {
  std::vector<std::string> routes;
  if (std::ranges::any_of(cidrs, [](const PodCidr& c) { return !c.ipv6; })) {
    routes.push_back("0.0.0.0/0");
  }
  if (std::ranges::any_of(cidrs, [](const PodCidr& c) { return c.ipv6; })) {
    routes.push_back("::/0");
  }
  return routes;
}

}  // namespace berth::cni
