#include "pkg/stats/runsc_stats.h"

#include <nlohmann/json.hpp>

namespace berth::stats {
namespace {

using nlohmann::json;

// The unsigned number at `path` below `doc`; 0 when absent (runsc omits
// zeros), an error when present and not a number.
Result<uint64_t> NumberAt(const json& doc, std::initializer_list<const char*> path) {
  const json* at = &doc;
  std::string where;
  for (const char* key : path) {
    if (!at->is_object()) return InvalidArgument(where + " is not an object");
    where += where.empty() ? key : std::string(".") + key;
    auto it = at->find(key);
    if (it == at->end() || it->is_null()) return uint64_t{0};
    at = &*it;
  }
  if (!at->is_number_unsigned()) return InvalidArgument(where + " is not a count");
  return at->get<uint64_t>();
}

}  // namespace

Result<CgroupSample> ParseRunscStatsEvent(std::string_view json_text, int64_t timestamp_ns) {
  const json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgument("runsc events: not a JSON object");
  }
  if (doc.value("type", "") != "stats" || !doc.contains("data")) {
    return InvalidArgument("runsc events: not a stats event");
  }
  const json& data = doc["data"];
  BERTH_ASSIGN_OR_RETURN(uint64_t cpu, NumberAt(data, {"cpu", "usage", "total"}));
  BERTH_ASSIGN_OR_RETURN(uint64_t memory, NumberAt(data, {"memory", "usage", "usage"}));
  BERTH_ASSIGN_OR_RETURN(uint64_t pids, NumberAt(data, {"pids", "current"}));
  CgroupSample sample;
  sample.timestamp_ns = timestamp_ns;
  sample.cpu_usage_ns = cpu;
  MemoryStats m;
  m.usage_bytes = memory;
  m.working_set_bytes = memory;
  sample.memory = m;
  sample.process_count = pids;
  return sample;
}

}  // namespace berth::stats
