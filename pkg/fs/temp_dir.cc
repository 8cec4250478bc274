#include "pkg/fs/temp_dir.h"

#include <cerrno>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "pkg/fs/dir.h"
#include "pkg/fs/portable_fs.h"

namespace berth {

Result<TempDir> TempDir::Create(std::string_view parent, std::string_view prefix) {
  if (parent.empty()) return InvalidArgument("temp dir: empty parent directory");
  if (prefix.find('/') != std::string_view::npos) {
    return InvalidArgument("temp dir: prefix \"" + std::string(prefix) + "\" contains '/'");
  }
  std::string templ = std::string(parent) + "/" + std::string(prefix) + "XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (MakeTempDir(buf.data()) == nullptr) return ErrnoError("mkdtemp " + templ, errno);
  return TempDir(std::string(buf.data()));
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    (void)Remove();
    path_ = std::exchange(other.path_, std::string());
  }
  return *this;
}

TempDir::~TempDir() {
  if (Status s = Remove(); !s.ok()) spdlog::warn("temp dir cleanup: {}", s.message());
}

std::string TempDir::Release() {
  return std::exchange(path_, std::string());
}

Status TempDir::Remove() {
  if (path_.empty()) return OkStatus();
  return RemoveAll(std::exchange(path_, std::string()));
}

}  // namespace berth
