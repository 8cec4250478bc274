// What the CRI says about a set of pods and containers, reduced to what must
// survive a berthd restart unchanged: for a pod its name, state, IPs and
// creation time; for a container its pod, name, image, state and its start,
// finish and exit. Crash tests take one of the objects a crash did not touch
// before and after the restart and compare.
#pragma once

#include <map>
#include <set>
#include <string>

#include "test/integration/harness/cri_client.h"

namespace berth::testing {

// id -> one line describing it ("gone: <status>" when its status call fails).
using ObjectSnapshot = std::map<std::string, std::string>;

ObjectSnapshot SnapshotObjects(CriClient& cri, const std::set<std::string>& pod_ids,
                               const std::set<std::string>& container_ids);

}  // namespace berth::testing
