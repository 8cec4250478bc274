// What `runsc events --stats <id>` prints about one container in a gVisor
// sandbox, as the figures of a cgroup reading. gVisor runs a pod's containers
// inside its own kernel: their host cgroups stay empty, and only the sandbox
// knows how much CPU each used and what memory it holds.
#pragma once

#include <cstdint>
#include <string_view>

#include "pkg/base/status.h"
#include "pkg/stats/cgroup_stats.h"

namespace berth::stats {

// Parses the runc-style stats event ({"type":"stats","id":...,"data":{"cpu":
// {"usage":{"total":ns}},"memory":{"usage":{"usage":bytes}},"pids":
// {"current":n}}}); runsc leaves zero figures out. Memory is gVisor's share
// of the sandbox's usage for the container, all of it in use: the working
// set is the usage. InvalidArgument when the text is not such an event.
Result<CgroupSample> ParseRunscStatsEvent(std::string_view json_text, int64_t timestamp_ns);

}  // namespace berth::stats
