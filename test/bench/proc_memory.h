// Memory figures from /proc for the benchmarks: a key of a /proc file in kB,
// and the monitor processes (conmon, containerd shims) by the ID they serve.
#pragma once

#include <dirent.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace berth::bench {

// "VmRSS:     1234 kB" style key of a /proc file, in kB; -1 when the file or key is absent.
inline long ProcKb(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  }
  return -1;
}

// A key of /proc/<pid>/status in kB (VmRSS, VmHWM) or its count (Threads); -1 when absent.
inline long StatusKb(const std::string& pid, const std::string& key) {
  return ProcKb("/proc/" + pid + "/status", key);
}

// The pids of every process now running.
inline std::vector<std::string> ProcessIds() {
  std::vector<std::string> pids;
  std::unique_ptr<DIR, int (*)(DIR*)> proc(opendir("/proc"), closedir);
  while (dirent* e = proc ? readdir(proc.get()) : nullptr) {
    const std::string pid = e->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    pids.push_back(pid);
  }
  return pids;
}

// Every running `program` (its argv[0]'s base name, since /proc/<pid>/comm is
// cut at 15 characters) keyed by the value after `id_flag` on its command line:
// conmon's "--cid", containerd-shim-runc-v2's "-id".
inline std::map<std::string, std::string> MonitorPidsById(const std::string& program,
                                                          const std::string& id_flag) {
  std::map<std::string, std::string> by_id;
  for (const std::string& pid : ProcessIds()) {
    std::ifstream cmdline("/proc/" + pid + "/cmdline");
    std::vector<std::string> args;
    for (std::string a; std::getline(cmdline, a, '\0');) args.push_back(a);
    if (args.empty() || args[0].substr(args[0].rfind('/') + 1) != program) continue;
    for (size_t i = 1; i + 1 < args.size(); ++i) {
      if (args[i] == id_flag) {
        by_id[args[i + 1]] = pid;
        break;
      }
    }
  }
  return by_id;
}

// Every conmon process, keyed by the --cid it was started with.
inline std::map<std::string, std::string> ConmonPidsByContainer() {
  return MonitorPidsById("conmon", "--cid");
}

// The `program` monitors (see MonitorPidsById) serving one of `ids`: how many,
// and their summed VmRSS in kB.
inline std::pair<int, long> MonitorRss(const std::string& program, const std::string& id_flag,
                                       const std::set<std::string>& ids) {
  int count = 0;
  long kb = 0;
  for (const auto& [id, pid] : MonitorPidsById(program, id_flag)) {
    if (!ids.count(id)) continue;
    const long rss = StatusKb(pid, "VmRSS");
    if (rss < 0) continue;  // exited since the listing
    ++count;
    kb += rss;
  }
  return {count, kb};
}

}  // namespace berth::bench
