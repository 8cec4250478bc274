// fd-recorder: stands in for a program berthd starts (the OCI runtime,
// conmon, a CNI plugin, a credential provider) and records which descriptors
// it was started with, then becomes that program.
//
// Started through a symlink <dir>/<name>, it reads the real program's path
// from <dir>/<name>.exec and appends one line to <dir>/<name>.fds:
//   <parent's comm> TAB <arguments, space-separated> TAB <fd>=<target> TAB ...
// It opens nothing before listing /proc/self/fd (whose own descriptor it
// leaves out), and everything it opens is close-on-exec.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

std::string ReadSmallFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[PATH_MAX];
  ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  std::string s(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// fd -> what it points at, as the program received them.
std::map<int, std::string> OwnDescriptors() {
  std::map<int, std::string> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  const int listing = dirfd(dir);
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const int fd = std::atoi(e->d_name);
    if (fd == listing) continue;
    char target[PATH_MAX];
    ssize_t n = readlinkat(listing, e->d_name, target, sizeof(target) - 1);
    fds[fd] = n > 0 ? std::string(target, static_cast<size_t>(n)) : "?";
  }
  closedir(dir);
  return fds;
}

}  // namespace

int main(int argc, char** argv) {
  const std::map<int, std::string> fds = OwnDescriptors();
  const std::string self = argv[0];
  const std::string real = ReadSmallFile(self + ".exec");
  if (real.empty()) {
    std::fprintf(stderr, "fd-recorder: no program in %s.exec\n", self.c_str());
    return 127;
  }
  std::string line = ReadSmallFile("/proc/" + std::to_string(getppid()) + "/comm");
  line += "\t";
  for (int i = 1; i < argc; ++i) line += std::string(i > 1 ? " " : "") + argv[i];
  for (const auto& [fd, target] : fds) line += "\t" + std::to_string(fd) + "=" + target;
  line += "\n";
  // O_APPEND: runs in parallel each add a whole line.
  int out = open((self + ".fds").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0 || write(out, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    std::fprintf(stderr, "fd-recorder: cannot record to %s.fds: %s\n", self.c_str(),
                 std::strerror(errno));
    return 127;
  }
  close(out);
  std::vector<char*> args(argv, argv + argc);
  args.push_back(nullptr);
  args[0] = const_cast<char*>(real.c_str());
  execv(real.c_str(), args.data());
  std::fprintf(stderr, "fd-recorder: exec %s: %s\n", real.c_str(), std::strerror(errno));
  return 127;
}
