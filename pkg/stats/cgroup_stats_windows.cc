// CgroupReader on Windows (cgroup_stats.cc is the Linux one): cgroups are
// Linux-only, so there is no cgroup to read. A Windows container's CPU,
// memory and process figures are its job object's counters, which HCS
// reports (HcsGetComputeSystemProperties, "Statistics").
#include "pkg/stats/cgroup_stats.h"

namespace berth::stats {

CgroupReader::CgroupReader(cgroups::Layout layout) : layout_(std::move(layout)) {}

Result<CgroupSample> CgroupReader::Read(const std::string& dir) const {
  return Unimplemented("stats of cgroup " + dir.substr(0, 256) +
                       ": cgroups are Linux-only; on Windows a container's figures are its "
                       "job object's counters, which HCS reports");
}

}  // namespace berth::stats
