#include "pkg/stats/net_dev.h"

#include <charconv>

#include "pkg/fs/atomic_file.h"

namespace berth::stats {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Receive: bytes packets errs drop fifo frame compressed multicast;
// transmit: bytes packets errs drop fifo colls carrier compressed.
constexpr size_t kCounters = 16;
constexpr size_t kRxBytes = 0, kRxErrors = 2, kTxBytes = 8, kTxErrors = 10;

}  // namespace

Result<std::vector<InterfaceStats>> ParseNetDev(std::string_view text) {
  std::vector<InterfaceStats> out;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    // Interface names cannot hold ':', and the two header lines have none.
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    InterfaceStats s;
    s.name = std::string(Trim(line.substr(0, colon)));
    uint64_t v[kCounters];
    std::string_view rest = line.substr(colon + 1);
    size_t n = 0;
    for (; n < kCounters; ++n) {
      rest = Trim(rest);
      auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v[n]);
      if (ec != std::errc()) break;
      rest.remove_prefix(static_cast<size_t>(end - rest.data()));
    }
    if (s.name.empty() || n != kCounters) {
      return InvalidArgument("net/dev line \"" + std::string(Trim(line)) +
                             "\" is not \"<name>: <16 counters>\"");
    }
    s.rx_bytes = v[kRxBytes];
    s.rx_errors = v[kRxErrors];
    s.tx_bytes = v[kTxBytes];
    s.tx_errors = v[kTxErrors];
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<InterfaceStats>> ReadNetDev(int pid) {
  if (pid <= 0) return InvalidArgument("no process to read network counters from");
  const std::string path = "/proc/" + std::to_string(pid) + "/net/dev";
  Result<std::string> text = ReadFile(path, 1 << 20);
  if (!text.ok()) return text.status();
  return ParseNetDev(*text);
}

}  // namespace berth::stats
