#include "test/unit/seccomp/filter_loader.h"

#include <fcntl.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "pkg/seccomp/libseccomp_names.h"

namespace berth::seccomp::test_support {
namespace {

using nlohmann::json;

struct ContextDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using FilterContext = std::unique_ptr<void, ContextDeleter>;

bool ToAction(const std::string& name, const json& errno_ret, uint32_t* out) {
  const uint32_t errno_value = errno_ret.is_number_unsigned() ? errno_ret.get<uint32_t>() : EPERM;
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD")
    *out = SCMP_ACT_KILL_THREAD;
  else if (name == "SCMP_ACT_KILL_PROCESS")
    *out = SCMP_ACT_KILL_PROCESS;
  else if (name == "SCMP_ACT_TRAP")
    *out = SCMP_ACT_TRAP;
  else if (name == "SCMP_ACT_ERRNO")
    *out = SCMP_ACT_ERRNO(errno_value);
  else if (name == "SCMP_ACT_TRACE")
    *out = SCMP_ACT_TRACE(errno_value);
  else if (name == "SCMP_ACT_ALLOW")
    *out = SCMP_ACT_ALLOW;
  else if (name == "SCMP_ACT_LOG")
    *out = SCMP_ACT_LOG;
  else
    return false;  // NOTIFY needs a listener: not for these tests
  return true;
}

bool ToOperator(const std::string& name, scmp_compare* out) {
  if (name == "SCMP_CMP_NE")
    *out = SCMP_CMP_NE;
  else if (name == "SCMP_CMP_LT")
    *out = SCMP_CMP_LT;
  else if (name == "SCMP_CMP_LE")
    *out = SCMP_CMP_LE;
  else if (name == "SCMP_CMP_EQ")
    *out = SCMP_CMP_EQ;
  else if (name == "SCMP_CMP_GE")
    *out = SCMP_CMP_GE;
  else if (name == "SCMP_CMP_GT")
    *out = SCMP_CMP_GT;
  else if (name == "SCMP_CMP_MASKED_EQ")
    *out = SCMP_CMP_MASKED_EQ;
  else
    return false;
  return true;
}

std::string AddRule(void* ctx, uint32_t action, const std::string& name,
                    const std::vector<scmp_arg_cmp>& args) {
  const int nr = seccomp_syscall_resolve_name(name.c_str());
  if (nr == __NR_SCMP_ERROR) return "unknown syscall " + name;
  // libseccomp takes one comparison per argument in a rule; like runc, split
  // several on the same argument into one rule each.
  std::set<unsigned> indexes;
  for (const scmp_arg_cmp& arg : args) indexes.insert(arg.arg);
  std::vector<std::vector<scmp_arg_cmp>> rules;
  if (indexes.size() == args.size()) {
    rules.push_back(args);
  } else {
    for (const scmp_arg_cmp& arg : args) rules.push_back({arg});
  }
  for (const auto& rule : rules) {
    const int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(rule.size()),
                                          rule.empty() ? nullptr : rule.data());
    if (rc < 0) return "rule for " + name + ": " + std::strerror(-rc);
  }
  return "";
}

}  // namespace

std::string LoadFilter(const json& profile) {
  uint32_t default_action = 0;
  if (!ToAction(profile.value("defaultAction", ""), profile.value("defaultErrnoRet", json()),
                &default_action)) {
    return "unsupported defaultAction";
  }
  FilterContext ctx(seccomp_init(default_action));
  if (!ctx) return "seccomp_init failed";
  for (const json& arch : profile.value("architectures", json::array())) {
    const uint32_t token = ArchToken(arch.get<std::string>());
    if (token == 0) return "unknown architecture " + arch.get<std::string>();
    const int rc = seccomp_arch_add(ctx.get(), token);
    if (rc < 0 && rc != -EEXIST) return "seccomp_arch_add: " + std::string(std::strerror(-rc));
  }
  for (const json& rule : profile.value("syscalls", json::array())) {
    uint32_t action = 0;
    if (!ToAction(rule.at("action").get<std::string>(), rule.value("errnoRet", json()), &action)) {
      return "unsupported action " + rule.at("action").get<std::string>();
    }
    if (action == default_action) continue;  // libseccomp refuses a no-op rule
    std::vector<scmp_arg_cmp> args;
    for (const json& arg : rule.value("args", json::array())) {
      scmp_compare op{};
      if (!ToOperator(arg.at("op").get<std::string>(), &op)) return "unknown operator";
      args.push_back(scmp_arg_cmp{arg.at("index").get<unsigned>(), op,
                                  arg.at("value").get<uint64_t>(),
                                  arg.value("valueTwo", uint64_t{0})});
    }
    for (const json& name : rule.at("names")) {
      std::string error = AddRule(ctx.get(), action, name.get<std::string>(), args);
      if (!error.empty()) return error;
    }
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return "PR_SET_NO_NEW_PRIVS failed";
  const int rc = seccomp_load(ctx.get());
  if (rc < 0) return "seccomp_load: " + std::string(std::strerror(-rc));
  return "";
}

std::string RunUnderFilter(const json& profile, const std::function<std::string()>& checks) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return "pipe2 failed";
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return "fork failed";
  }
  if (pid == 0) {
    close(fds[0]);
    std::string report = LoadFilter(profile);
    if (report.empty()) report = checks();
    if (!report.empty()) {
      size_t done = 0;
      while (done < report.size()) {
        const ssize_t n = write(fds[1], report.data() + done, report.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
    }
    _exit(0);  // no atexit handlers or leak check in the filtered child
  }
  close(fds[1]);
  std::string report;
  char buf[512];
  for (;;) {
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    report.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return "filtered child died (wait status " + std::to_string(status) + "): " + report;
  }
  return report;
}

}  // namespace berth::seccomp::test_support
