#include "pkg/oci/exit_file.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "pkg/base/quote.h"
#include "pkg/fs/atomic_file.h"

namespace berth::oci {
namespace {

// An exit code is a few digits; anything longer is not one.
constexpr size_t kMaxExitFileBytes = 31;

}  // namespace

bool IsExitFileName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

Result<ExitInfo> ReadExitFile(const std::string& exit_dir, const std::string& id) {
  if (!IsExitFileName(id))
    return InvalidArgument("container ID " + QuoteForMessage(id) + " is not valid");
  const std::string path = exit_dir + "/" + id;
  Result<std::string> text = ReadFile(path, kMaxExitFileBytes, FinalSymlink::kRefuse);
  if (!text.ok()) {
    if (text.status().code() == Code::kNotFound) return NotFound("no exit file " + path);
    if (text.status().code() != Code::kResourceExhausted) return text.status();
    return Internal("exit file " + path + " holds no exit code: it is longer than " +
                    std::to_string(kMaxExitFileBytes) + " bytes");
  }
  const char* begin = text->c_str();
  char* end = nullptr;
  errno = 0;
  long v = strtol(begin, &end, 10);
  if (end == begin || errno != 0 || v < INT_MIN || v > INT_MAX || (*end != '\0' && *end != '\n')) {
    return Internal("exit file " + path + " holds no exit code: " + QuoteForMessage(*text));
  }
  ExitInfo info;
  info.id = id;
  info.exit_code = static_cast<int>(v);
  // The monitor wrote the file when the container ended: its mtime is the
  // finish time (now, if it cannot be read).
  std::error_code ec;
  const std::filesystem::file_time_type mtime = std::filesystem::last_write_time(path, ec);
  info.finished = ec ? std::chrono::system_clock::now()
                     : std::chrono::time_point_cast<std::chrono::system_clock::duration>(
                           std::chrono::file_clock::to_sys(mtime));
  return info;
}

ExitWatcher::ExitWatcher(std::string exit_dir, Callback callback)
    : exit_dir_(std::move(exit_dir)), callback_(std::move(callback)) {}

ExitWatcher::~ExitWatcher() {
  Stop();
}

namespace internal {

Result<ExitInfo> WaitExitFileWith(const std::string& exit_dir, const std::string& id,
                                  std::chrono::milliseconds timeout,
                                  const WaitForChange& wait_for_change) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    auto info = ReadExitFile(exit_dir, id);
    // A file caught between create and write reads as empty: wait for its write.
    if (info.ok() ||
        (info.status().code() != Code::kNotFound && info.status().code() != Code::kInternal)) {
      return info;
    }
    // Rounded up, so that a wait never wakes just short of the deadline.
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return DeadlineExceeded("no exit file for " + id + " in " + exit_dir + " after " +
                              std::to_string(timeout.count()) + "ms");
    }
    BERTH_RETURN_IF_ERROR(wait_for_change(left));
  }
}

}  // namespace internal

}  // namespace berth::oci
