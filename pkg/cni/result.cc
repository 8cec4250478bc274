#include "pkg/cni/result.h"

#include <nlohmann/json.hpp>

#include "pkg/base/inet_address.h"
#include "pkg/cni/conf_list.h"
#include "pkg/cni/json_member.h"

namespace berth::cni {
namespace {

using nlohmann::json;

// Splits "addr[/len]" and checks both parts. Sets family to 4 or 6.
Status ParseAddress(const std::string& text, std::string* addr, int* prefix, int* family) {
  std::string host = text;
  *prefix = -1;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    host = text.substr(0, slash);
    std::string len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != std::string::npos) {
      return InvalidArgument("invalid prefix length in address \"" + text + "\"");
    }
    *prefix = std::stoi(len);
  }
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1) {
    *family = 4;
  } else if (inet_pton(AF_INET6, host.c_str(), buf) == 1) {
    *family = 6;
  } else {
    return InvalidArgument("invalid IP address \"" + text + "\"");
  }
  if (*prefix > (*family == 4 ? 32 : 128)) {
    return InvalidArgument("prefix length out of range in address \"" + text + "\"");
  }
  *addr = host;
  return OkStatus();
}

bool IsIp(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

Result<CniResult> ParseResultObject(const json& doc, std::string_view expected_version) {
  CniResult r;
  r.cni_version = StringMember(doc, "cniVersion");
  if (r.cni_version.empty()) r.cni_version = std::string(expected_version);
  if (!IsSupportedCniVersion(r.cni_version)) {
    // 0.1.0/0.2.0 results use "ip4"/"ip6" objects, a format berth does not read.
    return InvalidArgument("unsupported result cniVersion \"" + r.cni_version + "\"");
  }
  if (auto it = doc.find("interfaces"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return InvalidArgument("result \"interfaces\" is not an array");
    for (const auto& i : *it) {
      if (!i.is_object()) return InvalidArgument("result interface is not an object");
      r.interfaces.push_back(
          {StringMember(i, "name"), StringMember(i, "mac"), StringMember(i, "sandbox")});
    }
  }
  if (auto it = doc.find("ips"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return InvalidArgument("result \"ips\" is not an array");
    for (const auto& i : *it) {
      if (!i.is_object()) return InvalidArgument("result ip is not an object");
      CniIp ip;
      BERTH_RETURN_IF_ERROR(
          ParseAddress(StringMember(i, "address"), &ip.address, &ip.prefix_length, &ip.family));
      // 0.3.x/0.4.0 also say "version": "4"/"6"; it must agree with the address.
      std::string version = StringMember(i, "version");
      if (!version.empty() && version != std::to_string(ip.family)) {
        return InvalidArgument("result ip \"" + ip.address + "\" says version " + version);
      }
      ip.gateway = StringMember(i, "gateway");
      if (!ip.gateway.empty() && !IsIp(ip.gateway)) {
        return InvalidArgument("invalid gateway \"" + ip.gateway + "\"");
      }
      if (auto idx = i.find("interface"); idx != i.end() && idx->is_number_integer()) {
        int n = idx->get<int>();
        if (n < 0 || static_cast<size_t>(n) >= r.interfaces.size()) {
          return InvalidArgument("result ip \"" + ip.address + "\" names interface " +
                                 std::to_string(n) + " which does not exist");
        }
        ip.interface = n;
      }
      r.ips.push_back(std::move(ip));
    }
  }
  if (auto it = doc.find("routes"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return InvalidArgument("result \"routes\" is not an array");
    for (const auto& rt : *it) {
      if (!rt.is_object()) return InvalidArgument("result route is not an object");
      CniRoute route{StringMember(rt, "dst"), StringMember(rt, "gw")};
      std::string a;
      int p = 0, f = 0;
      BERTH_RETURN_IF_ERROR(ParseAddress(route.dst, &a, &p, &f));
      if (!route.gw.empty() && !IsIp(route.gw)) {
        return InvalidArgument("invalid route gateway \"" + route.gw + "\"");
      }
      r.routes.push_back(std::move(route));
    }
  }
  if (auto dns = doc.find("dns"); dns != doc.end() && dns->is_object()) {
    if (auto ns = dns->find("nameservers"); ns != dns->end() && ns->is_array()) {
      for (const auto& n : *ns) {
        if (n.is_string()) r.dns_nameservers.push_back(n.get<std::string>());
      }
    }
  }
  return r;
}

}  // namespace

Result<CniResult> ParseCniResult(std::string_view text, std::string_view expected_version) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgument("CNI result is not a JSON object");
  }
  try {
    return ParseResultObject(doc, expected_version);
  } catch (const std::exception& e) {  // e.g. an out-of-range integer
    return InvalidArgument(std::string("malformed CNI result: ") + e.what());
  }
}

std::optional<PluginError> ParsePluginError(std::string_view text) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  auto code = doc.find("code");
  if (code == doc.end() || !code->is_number_integer()) return std::nullopt;
  PluginError err;
  err.code = code->get<int>();
  err.msg = StringMember(doc, "msg");
  err.details = StringMember(doc, "details");
  return err;
}

std::vector<std::string> PodIps(const CniResult& result) {
  std::vector<std::string> ips;
  for (const auto& ip : result.ips) {
    if (ip.interface >= 0 && result.interfaces[ip.interface].sandbox.empty()) continue;
    ips.push_back(ip.address);
  }
  return ips;
}

}  // namespace berth::cni
