// The CRI stats of a pod (ListPodSandboxStats' figures, gathered once by
// StatsCollector) restated as cAdvisor-named metrics, for the kubelet's
// ListMetricDescriptors / ListPodSandboxMetrics (PodAndContainerStatsFromCRI).
//
// Names, types and label keys follow cAdvisor as CRI-O serves them: every
// metric has the labels id, name, image (a pod's own metrics: its sandbox ID,
// "POD", ""), and a family's own keys after them (cpu, interface, device,
// failure_type and scope). Values are unsigned integers, so CPU seconds are
// whole seconds. Only what was measured is reported: a figure absent from
// the stats is absent here, never 0.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "runtime/v1/api.pb.h"

namespace berth::daemon {

// What ListMetricDescriptors answers; the same for berthd's whole life.
std::vector<runtime::v1::MetricDescriptor> CadvisorDescriptors();

// One pod's metrics from its stats: the pod's cgroup, network and process
// count, and each container in `stats` (images by container ID, for the
// image label; the stats do not carry them).
runtime::v1::PodSandboxMetrics CadvisorMetrics(const runtime::v1::PodSandboxStats& stats,
                                               const std::map<std::string, std::string>& images);

}  // namespace berth::daemon
