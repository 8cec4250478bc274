// AuditLogger: one line per privileged host mutation (registry value, HCS
// instance). A line names the operation, the key, the value name and the
// container; it never carries the credential spec's content, which is a
// secret-adjacent document (domain, account and SIDs of a gMSA).
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace berth::platform {

struct AuditEntry {
  std::string_view operation;     // e.g. "create-value", "delete-value", "ccg-add"
  std::string_view key;           // registry key path or HCS property type
  std::string_view value_name;    // registry value name or CCG instance ID
  std::string_view container_id;  // empty for sweeps at start-up
  std::string_view outcome;       // "ok", "absent", "exists" or the error code name
};

// audit op="<op>" key="<key>" value="<name>" container="<id>" outcome="<outcome>",
// with quotes, backslashes and non-printable bytes escaped (\", \\, \xNN).
std::string FormatAuditLine(const AuditEntry& entry);

class AuditLogger {
 public:
  virtual ~AuditLogger() = default;
  virtual void Record(const AuditEntry& entry) = 0;
};

// Writes formatted lines to stderr (the daemon can plug its own logger in instead).
class StderrAuditLogger final : public AuditLogger {
 public:
  void Record(const AuditEntry& entry) override;
};

// Keeps formatted lines in memory; for tests and for callers that forward lines later.
class MemoryAuditLogger final : public AuditLogger {
 public:
  void Record(const AuditEntry& entry) override;
  std::vector<std::string> Lines() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;  // guarded by mu_
};

}  // namespace berth::platform
