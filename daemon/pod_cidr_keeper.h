// PodCidrKeeper: the node's pod CIDR as the kubelet last sent it
// (UpdateRuntimeConfig). It is recorded in <root>/runtime-config.json so that
// it outlives restarts, and, when "cni.network_config_template" names a
// template, rendered into the CNI conf dir, so that pods started from then on
// get addresses in it (containerd's CRI plugin does the same).
//
// A network someone else put in the conf dir wins: the template is rendered
// only while no network is loaded or the loaded one is the rendered file.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/cni/cni_network.h"
#include "pkg/cni/pod_cidr.h"

namespace berth::daemon {

class PodCidrKeeper {
 public:
  // The file rendered in the conf dir, sorted where a node's own network
  // usually sits ("10-").
  static constexpr char kRenderedFile[] = "10-berth-net.conflist";

  // `record_path`: <root>/runtime-config.json; `template_path`: "" = none.
  PodCidrKeeper(std::string record_path, std::string template_path, std::string conf_dir,
                cni::CniNetwork& network);

  // At start-up, once the network is loaded: reads the record and renders
  // the template again when its network is missing (a conf dir on tmpfs, a
  // crash between recording and rendering). Problems are logged, never fatal:
  // the kubelet sends its CIDR again.
  void Restore();

  // UpdateRuntimeConfig's pod_cidr: "" is a no-op (the kubelet sends it so);
  // garbage is InvalidArgument naming the field; a template that does not
  // render to a valid network config is FailedPrecondition naming the
  // template, and then nothing is recorded.
  Status Update(std::string_view pod_cidr);

  // The recorded CIDRs, comma-separated ("" when none).
  std::string Recorded() const;

 private:
  // The template rendered for `cidrs`, checked to be a network config list.
  Result<std::string> Render(const std::vector<cni::PodCidr>& cidrs) const;
  // Writes `content` as the rendered file unless another network is in use
  // or the file already holds it, then reloads the network.
  Status Publish(const std::string& content);
  Status WriteRecord(const std::string& cidrs);

  const std::string record_path_;
  const std::string template_path_;
  const std::string conf_dir_;
  cni::CniNetwork& network_;

  mutable std::mutex mu_;  // serializes updates: record and rendered file change together
  std::string recorded_;   // guarded by mu_
};

}  // namespace berth::daemon
