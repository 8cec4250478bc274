// A census of everything a berthd's pods and containers can leave on the
// host, limited to what belongs to one test (its directories, its bridge and
// subnet, the IDs berthd answered it with), so tests running side by side do
// not see each other. Take one after berthd started and one at the end:
// whatever the second holds that the first did not is a leak.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace berth::testing {

struct CensusScope {
  // berthd's temporary directory (root/ and run/ below it).
  std::string daemon_dir;
  // Further directories of the test: mounts under them and conmon or runc
  // naming them count too.
  std::vector<std::string> other_dirs;
  // OCI runtime state roots, listed with runc.
  std::vector<std::string> runtime_roots;
  // The test's CNI network; empty fields skip veths, IPs and iptables.
  std::string bridge;
  std::string subnet_prefix;  // "10.<a>.<b>."
  std::string ipam_dir;       // host-local's dataDir
  std::string network_name = "berth-it";
  // Pod and container IDs: cgroups, processes and iptables rules naming one
  // are theirs.
  std::set<std::string> ids;
};

class HostCensus {
 public:
  // Mounts under the test's dirs (but runroot's pinned-ns dir itself), pins
  // and berthd's state files (bundles, run dirs, exit files, CNI cache,
  // quarantine, image temporaries), runtime state, network namespaces named
  // in /run/netns, veths on the bridge, host-local IPs, iptables rules
  // (iptables-save) naming the subnet, bridge or an ID, conmon/runc/runsc
  // naming the test's dirs, processes in an ID's cgroup, and cgroup
  // directories (v1 hierarchies and v2) named after an ID.
  static HostCensus Take(const CensusScope& scope);

  // What this census holds that `before` did not, one "<kind>: <what>" each.
  std::vector<std::string> NewSince(const HostCensus& before) const;

  // What this census holds that names `id` (a pod or container ID).
  std::vector<std::string> Naming(const std::string& id) const;

  const std::set<std::string>& items() const { return items_; }

 private:
  std::set<std::string> items_;
};

// Fails the test naming every leak: what a census taken now holds that
// `before` did not.
void ExpectNoLeaks(const CensusScope& scope, const HostCensus& before);

// Fails the test naming everything of `id` that a census taken now over
// `scope` still finds: gone means gone wherever the census looks.
void ExpectGone(const CensusScope& scope, const std::string& id);

}  // namespace berth::testing
