#include "daemon/sandbox_files.h"

#include "daemon/validate.h"
#include "pkg/fs/atomic_file.h"

namespace berth::daemon {

std::string PodHostname(const runtime::v1::PodSandboxConfig& c, const std::string& id) {
  if (!c.hostname().empty()) return c.hostname();
  const std::string& name = c.metadata().name();
  if (name.size() <= 63 && CheckHostname("name", name).ok()) return name;
  return id.substr(0, 12);
}

Status WritePodEtcFiles(const std::string& dir, const std::string& hostname,
                        const runtime::v1::PodSandboxConfig& c,
                        const std::vector<std::string>& ips) {
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(dir + "/hostname", hostname + "\n", 0644));

  std::string hosts =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "fe00::0\tip6-mcastprefix\n"
      "fe00::1\tip6-allnodes\n"
      "fe00::2\tip6-allrouters\n";
  for (const auto& ip : ips) hosts += ip + "\t" + hostname + "\n";
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(dir + "/hosts", hosts, 0644));

  std::string resolv;
  if (c.has_dns_config()) {
    // Validated already: addresses, and search/option words without spaces.
    const auto& dns = c.dns_config();
    for (const auto& s : dns.servers()) resolv += "nameserver " + s + "\n";
    if (dns.searches_size() > 0) {
      resolv += "search";
      for (const auto& s : dns.searches()) resolv += " " + s;
      resolv += "\n";
    }
    if (dns.options_size() > 0) {
      resolv += "options";
      for (const auto& o : dns.options()) resolv += " " + o;
      resolv += "\n";
    }
  } else {
    Result<std::string> host = ReadFile("/etc/resolv.conf");
    resolv = host.ok() ? *host : "";
  }
  return WriteFileAtomic(dir + "/resolv.conf", resolv, 0644);
}

}  // namespace berth::daemon
