// Reading Localhost profile files, and the public entry points.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pkg/fs/scoped_fd.h"
#include "pkg/seccomp/capability_set.h"
#include "pkg/seccomp/profile_json.h"
#include "pkg/seccomp/profile_parser.h"
#include "pkg/seccomp/seccomp_profile.h"

namespace berth::seccomp {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 16;  // the deepest real profile nests 5 levels

// The path as shown in errors: plain if printable, else quoted and escaped.
std::string ShownPath(std::string_view path) {
  for (char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || c == '"') return Describe(json(std::string(path)));
  }
  return std::string(path);
}

Status ProfileError(std::string_view source, const Status& status) {
  return status.WithContext("seccomp profile " + ShownPath(source));
}

Result<std::string> ReadProfileFile(const std::string& path) {
  if (path.empty() || path.front() != '/' || path.find('\0') != std::string::npos ||
      path.size() >= PATH_MAX) {
    return InvalidArgument("path must be absolute");
  }
  // O_NONBLOCK: a FIFO planted at the path must not hang the caller.
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) {
    const int err = errno;
    if (err == ENOENT) return InvalidArgument("file does not exist");
    return InvalidArgument(std::string("cannot open: ") + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return InvalidArgument(std::string("stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return InvalidArgument("not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxProfileBytes) {
    return InvalidArgument("file is larger than " + std::to_string(kMaxProfileBytes) + " bytes");
  }
  std::string text;
  char buf[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return InvalidArgument(std::string("read: ") + std::strerror(errno));
    if (n == 0) break;
    // The size can change after fstat; the cap holds regardless.
    if (text.size() + static_cast<size_t>(n) > kMaxProfileBytes) {
      return InvalidArgument("file is larger than " + std::to_string(kMaxProfileBytes) + " bytes");
    }
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace

Result<json> ParseProfileText(std::string_view source, std::string_view text,
                              const ConditionContext& context) {
  if (text.size() > kMaxProfileBytes) {
    return ProfileError(
        source, InvalidArgument("larger than " + std::to_string(kMaxProfileBytes) + " bytes"));
  }
  bool too_deep = false;
  json doc;
  try {
    // Anything nested past kMaxDepth is dropped while parsing and then refused.
    doc = json::parse(text, [&](int depth, json::parse_event_t, json&) {
      if (depth > kMaxDepth) too_deep = true;
      return depth <= kMaxDepth;
    });
  } catch (const json::exception& e) {
    return ProfileError(source, InvalidArgument(std::string("not valid JSON: ") + e.what()));
  }
  if (too_deep) {
    return ProfileError(
        source, InvalidArgument("nested deeper than " + std::to_string(kMaxDepth) + " levels"));
  }
  try {
    Result<json> converted = ConvertProfile(doc, context);
    if (!converted.ok()) return ProfileError(source, converted.status());
    return converted;
  } catch (const std::exception& e) {
    // Not expected (every access is type-checked first), but no exception
    // leaves the library.
    return ProfileError(source, Internal(std::string("unexpected error: ") + e.what()));
  }
}

Result<json> LoadProfileFile(const std::string& path, const ConditionContext& context) {
  Result<std::string> text = ReadProfileFile(path);
  if (!text.ok()) return ProfileError(path, text.status());
  return ParseProfileText(path, *text, context);
}

Result<json> LoadLocalhostProfile(const std::string& path) {
  // No container to ask: conditions on capabilities see an empty set.
  return LoadProfileFile(path, HostContext(CapabilitySet()));
}

Result<std::optional<json>> ProfileFor(ProfileType type, const std::string& localhost_path,
                                       bool privileged,
                                       const std::vector<std::string>& capabilities) {
  if (privileged) return std::optional<json>();
  switch (type) {
    case ProfileType::kUnconfined:
      return std::optional<json>();
    case ProfileType::kRuntimeDefault:
      return std::optional<json>(RuntimeDefaultProfile(capabilities));
    case ProfileType::kLocalhost: {
      if (localhost_path.empty()) {
        return InvalidArgument("seccomp profile type Localhost needs a profile path");
      }
      BERTH_ASSIGN_OR_RETURN(
          json profile, LoadProfileFile(localhost_path, HostContext(CapabilitySet(capabilities))));
      return std::optional<json>(std::move(profile));
    }
  }
  return InvalidArgument("unknown seccomp profile type");
}

}  // namespace berth::seccomp
