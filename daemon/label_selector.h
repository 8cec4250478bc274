// The CRI label selector of ListPodSandbox, ListContainers and the stats
// lists: every key of the selector must be present with the same value.
#pragma once

#include <google/protobuf/map.h>

#include <string>

namespace berth::daemon {

inline bool LabelsMatch(const google::protobuf::Map<std::string, std::string>& selector,
                        const google::protobuf::Map<std::string, std::string>& labels) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace berth::daemon
