#include "pkg/platform/audit_log.h"

#include <cstdio>

namespace berth::platform {
namespace {

// Each value is quoted; quotes, backslashes and anything outside printable
// ASCII are escaped, so a hostile ID can neither split nor forge a line.
void AppendField(std::string& out, std::string_view name, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += ' ';
  out += name;
  out += "=\"";
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0x0f];
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

std::string FormatAuditLine(const AuditEntry& entry) {
  std::string line = "audit";
  AppendField(line, "op", entry.operation);
  AppendField(line, "key", entry.key);
  AppendField(line, "value", entry.value_name);
  AppendField(line, "container", entry.container_id);
  AppendField(line, "outcome", entry.outcome);
  return line;
}

void StderrAuditLogger::Record(const AuditEntry& entry) {
  const std::string line = FormatAuditLine(entry);
  std::fprintf(stderr, "%s\n", line.c_str());
}

void MemoryAuditLogger::Record(const AuditEntry& entry) {
  std::string line = FormatAuditLine(entry);
  std::lock_guard lock(mu_);
  lines_.push_back(std::move(line));
}

std::vector<std::string> MemoryAuditLogger::Lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

}  // namespace berth::platform
