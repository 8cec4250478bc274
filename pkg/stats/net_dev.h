// Per-interface network counters of a network namespace, from
// /proc/<pid>/net/dev: that file shows the namespace of <pid>, so a pod's
// counters come from its infra process without entering the namespace.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"

namespace berth::stats {

struct InterfaceStats {
  std::string name;
  uint64_t rx_bytes = 0, rx_errors = 0, tx_bytes = 0, tx_errors = 0;
};

// The interfaces of a /proc/<pid>/net/dev text, in file order (two header
// lines, then "<name>: <8 receive counters> <8 transmit counters>").
// InvalidArgument naming the line when an interface line is malformed.
Result<std::vector<InterfaceStats>> ParseNetDev(std::string_view text);

// /proc/<pid>/net/dev, parsed. NotFound when the process is gone.
Result<std::vector<InterfaceStats>> ReadNetDev(int pid);

}  // namespace berth::stats
