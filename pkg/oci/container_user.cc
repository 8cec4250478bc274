// ResolveUser: the uid, gid and groups a container's process runs with, from
// the CRI security context, the pod's and the image's USER, with names looked
// up in the image's own /etc/passwd and /etc/group.
#include <algorithm>
#include <optional>
#include <set>
#include <string_view>

#include "pkg/base/quote.h"
#include "pkg/base/utf8.h"
#include "pkg/oci/container_internal.h"
#include "pkg/oci/container_spec.h"
#include "pkg/oci/rootfs_file.h"

namespace berth::oci {
namespace {

using internal::CheckId;
using internal::Who;

// Both files are a few KiB in real images; the cap keeps a hostile image from
// making the daemon read gigabytes.
constexpr size_t kMaxAccountFile = 4 << 20;

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

std::optional<uint32_t> ParseId(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > 0xFFFFFFFEull) return std::nullopt;
  return static_cast<uint32_t>(v);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

// Lines that do not parse (comments, NIS "+" entries, garbage) are skipped,
// as libc does.
std::vector<PasswdEntry> ParsePasswd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for (auto line : Split(text, '\n')) {
    auto f = Split(line, ':');
    if (f.size() < 7 || f[0].empty()) continue;
    auto uid = ParseId(f[2]);
    auto gid = ParseId(f[3]);
    if (!uid || !gid) continue;
    out.push_back({std::string(f[0]), *uid, *gid, std::string(f[5])});
  }
  return out;
}

std::vector<GroupEntry> ParseGroup(std::string_view text) {
  std::vector<GroupEntry> out;
  for (auto line : Split(text, '\n')) {
    auto f = Split(line, ':');
    if (f.size() < 4 || f[0].empty()) continue;
    auto gid = ParseId(f[2]);
    if (!gid) continue;
    GroupEntry g{std::string(f[0]), *gid, {}};
    for (auto m : Split(f[3], ',')) {
      if (!m.empty()) g.members.emplace_back(m);
    }
    out.push_back(std::move(g));
  }
  return out;
}

// The file's text, "" when the image has none.
Result<std::string> ReadAccountFile(const std::string& rootfs, const std::string& path,
                                    const std::string& who) {
  auto text = ReadFileInRoot(rootfs, path, kMaxAccountFile);
  if (text.ok()) return text;
  if (text.status().code() == Code::kNotFound) return std::string();
  return text.status().WithContext(who + ": read the image's " + path);
}

// A user or group name from a hostile source: what could appear in the files.
bool IsPlausibleName(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s) {
    if (c == ':' || c == ',' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

}  // namespace

Result<ResolvedUser> ResolveUser(const std::string& rootfs,
                                 const runtime::v1::ContainerConfig& config,
                                 const ImageDefaults& image, const PodContext& pod) {
  const auto& sc = config.linux().security_context();
  const std::string who = Who(config.metadata().name());

  // 1. Who: the container's run_as_user / run_as_username, the pod's
  //    run_as_user, else the image's USER ("user[:group]").
  std::optional<uint32_t> uid;
  std::string user_name, user_field;
  std::string image_group;
  if (sc.has_run_as_user()) {
    BERTH_ASSIGN_OR_RETURN(uid,
                           CheckId(sc.run_as_user().value(), who, "security_context.run_as_user"));
  } else if (!sc.run_as_username().empty()) {
    user_name = sc.run_as_username();
    user_field = "security_context.run_as_username";
  } else if (pod.run_as_user) {
    BERTH_ASSIGN_OR_RETURN(uid, CheckId(*pod.run_as_user, who, "the pod's run_as_user"));
  } else if (!image.user.empty()) {
    std::string_view spec = image.user;
    std::string_view user_part = spec;
    size_t colon = spec.find(':');
    if (colon != std::string_view::npos) {
      user_part = spec.substr(0, colon);
      image_group = std::string(spec.substr(colon + 1));
      if (image_group.empty()) {
        return InvalidArgument(who + ": image USER " + QuoteForMessage(image.user) +
                               " has an empty group");
      }
    }
    if (auto n = ParseId(user_part)) {
      uid = *n;
    } else {
      user_name = std::string(user_part);
      user_field = "image USER";
    }
  } else {
    uid = 0;
  }
  if (!user_name.empty() || !user_field.empty()) {
    if (!IsPlausibleName(user_name)) {
      return InvalidArgument(who + ": " + user_field + " " + QuoteForMessage(user_name) +
                             " is not a valid user name");
    }
  }
  if (!image_group.empty() && !ParseId(image_group) && !IsPlausibleName(image_group)) {
    return InvalidArgument(who + ": image USER " + QuoteForMessage(image.user) +
                           " has an invalid group");
  }
  if (sc.has_run_as_group() && !sc.has_run_as_user() && sc.run_as_username().empty()) {
    return InvalidArgument(who +
                           ": security_context.run_as_group is set without run_as_user or "
                           "run_as_username");
  }

  // 2. Look the user up in the image's /etc/passwd.
  BERTH_ASSIGN_OR_RETURN(std::string passwd_text, ReadAccountFile(rootfs, "/etc/passwd", who));
  std::vector<PasswdEntry> passwd = ParsePasswd(passwd_text);
  const PasswdEntry* entry = nullptr;
  for (const auto& e : passwd) {
    if (uid ? e.uid == *uid : e.name == user_name) {
      entry = &e;
      break;
    }
  }
  if (!uid && entry == nullptr) {
    return InvalidArgument(who + ": " + user_field + ": user " + QuoteForMessage(user_name) +
                           " not found in the image's /etc/passwd");
  }
  // The home directory becomes $HOME in the OCI spec (JSON, UTF-8 only); a
  // Latin-1 byte there must be the image's error, not an opaque Unknown.
  if (entry != nullptr && !IsValidUtf8(entry->home)) {
    return FailedPrecondition(who + ": the image's /etc/passwd gives user " +
                              QuoteForMessage(entry->name) + " a home directory " +
                              QuoteForMessage(entry->home) + " that is not valid UTF-8");
  }
  ResolvedUser out;
  out.uid = uid ? *uid : entry->uid;
  out.gid = entry ? entry->gid : 0;
  if (entry && !entry->home.empty() && entry->home[0] == '/') out.home = entry->home;

  // 3. The primary group: run_as_group, the pod's, the image's ":group",
  //    else the user's own from /etc/passwd (0 without an entry).
  std::vector<GroupEntry> groups;
  bool groups_read = false;
  auto load_groups = [&]() -> Status {
    if (groups_read) return OkStatus();
    BERTH_ASSIGN_OR_RETURN(std::string text, ReadAccountFile(rootfs, "/etc/group", who));
    groups = ParseGroup(text);
    groups_read = true;
    return OkStatus();
  };
  if (sc.has_run_as_group()) {
    BERTH_ASSIGN_OR_RETURN(
        out.gid, CheckId(sc.run_as_group().value(), who, "security_context.run_as_group"));
  } else if (pod.run_as_group) {
    BERTH_ASSIGN_OR_RETURN(out.gid, CheckId(*pod.run_as_group, who, "the pod's run_as_group"));
  } else if (!image_group.empty()) {
    if (auto n = ParseId(image_group)) {
      out.gid = *n;
    } else {
      BERTH_RETURN_IF_ERROR(load_groups());
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const GroupEntry& g) { return g.name == image_group; });
      if (it == groups.end()) {
        return InvalidArgument(who + ": image USER " + QuoteForMessage(image.user) + ": group " +
                               QuoteForMessage(image_group) +
                               " not found in the image's /etc/group");
      }
      out.gid = it->gid;
    }
  }

  // 4. Supplementary groups: the image's /etc/group memberships of the user
  //    (unless the policy is Strict), plus the CRI's (container's, else pod's).
  std::set<uint32_t> extra;
  if (entry && sc.supplemental_groups_policy() != runtime::v1::Strict) {
    BERTH_RETURN_IF_ERROR(load_groups());
    for (const auto& g : groups) {
      if (std::find(g.members.begin(), g.members.end(), entry->name) != g.members.end()) {
        extra.insert(g.gid);
      }
    }
  }
  if (sc.supplemental_groups_size() > 0) {
    for (int i = 0; i < sc.supplemental_groups_size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(
          uint32_t g, CheckId(sc.supplemental_groups(i), who,
                              "security_context.supplemental_groups[" + std::to_string(i) + "]"));
      extra.insert(g);
    }
  } else {
    for (size_t i = 0; i < pod.supplemental_groups.size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(uint32_t g,
                             CheckId(pod.supplemental_groups[i], who,
                                     "the pod's supplemental_groups[" + std::to_string(i) + "]"));
      extra.insert(g);
    }
  }
  extra.erase(out.gid);
  out.additional_gids.assign(extra.begin(), extra.end());
  return out;
}

}  // namespace berth::oci
