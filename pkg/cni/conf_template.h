// A CNI network config template (config "cni.network_config_template"),
// rendered with the node's pod CIDRs when the kubelet sends them. The fields
// are containerd's, so a template written for containerd's CRI plugin works
// unchanged as long as it keeps to the subset below.
//
// Fields:
//   .PodCIDR        the first CIDR ("10.244.1.0/24")
//   .PodCIDRRanges  every CIDR, in the order given (one per family)
//   .Routes         "0.0.0.0/0" when a CIDR is IPv4, then "::/0" when one is IPv6
// Actions (Go text/template spelling; nothing else is accepted):
//   {{.Field}}  {{$var}}  {{.}}                     print a string (or an index)
//   {{range $i, $v := .List}} ... {{end}}          also {{range $v := .List}},
//   {{range .List}} ... {{end}}                    and {{.}} as the element
//   {{if X}} ... {{else}} ... {{end}}              X: .Field, $var or . ;
//                                                  true when non-empty / non-zero
//   {{/* comment */}}
//   {{- and -}} trim the blanks (spaces, tabs, newlines) before / after.
// Values are printed as they are, with no escaping: CIDRs need none.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"
#include "pkg/cni/pod_cidr.h"

namespace berth::cni {

struct ConfTemplateData {
  std::string pod_cidr;
  std::vector<std::string> pod_cidr_ranges;
  std::vector<std::string> routes;
};

// The template's fields for parsed pod CIDRs (at least one).
ConfTemplateData TemplateDataFor(const std::vector<PodCidr>& cidrs);

// Renders `text`. InvalidArgument says where ("line N") and what is wrong:
// an unknown field or variable, an unsupported action, an unclosed block.
Result<std::string> RenderConfTemplate(std::string_view text, const ConfTemplateData& data);

}  // namespace berth::cni
