// Windows build of sandbox_spec.h's ReadOwnOomScoreAdj (own_oom_score_adj.cc
// is the Linux one): the OOM killer's per-process score is Linux-only;
// Windows has no OOM killer to steer, and a job object's memory limit
// fails allocations instead.
#include "pkg/oci/sandbox_spec.h"

namespace berth::oci {

Result<int> ReadOwnOomScoreAdj() {
  return Unimplemented(
      "read berthd's own oom_score_adj: the OOM score is Linux-only (/proc/self/"
      "oom_score_adj); on Windows pass SandboxSpecOptions.own_oom_score_adj or leave "
      "clamp_oom_score_adj off");
}

}  // namespace berth::oci
