// The figures of one bench run, each a key, a value and a unit: printed one
// aligned line each as they come, and, given a path, also written as
// "key<TAB>value<TAB>unit" lines (flushed per figure, so a run that fails half
// way keeps what it measured) for hack/bench.sh --compare to join across
// runtimes by key.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "test/bench/bench_util.h"

namespace berth::bench {

class FigureReport {
 public:
  // Without a path, figures are only printed.
  explicit FigureReport(const std::string& path)
      : file_(path.empty() ? nullptr : std::fopen(path.c_str(), "w"), &CloseFile),
        unwritable_(!path.empty() && !file_) {}

  // A path was given and cannot be written.
  bool unwritable() const { return unwritable_; }

  void Add(const std::string& key, double value, const std::string& unit) {
    std::printf("%-56s %12.2f %s\n", key.c_str(), value, unit.c_str());
    if (!file_) return;
    std::fprintf(file_.get(), "%s\t%.3f\t%s\n", key.c_str(), value, unit.c_str());
    std::fflush(file_.get());
  }

  // "<key> median" and "<key> p90" of latency samples in ms.
  void AddLatencies(const std::string& key, const std::vector<double>& ms) {
    Add(key + " median", Quantile(ms, 0.5), "ms");
    Add(key + " p90", Quantile(ms, 0.9), "ms");
  }

 private:
  static void CloseFile(FILE* f) {
    if (f) std::fclose(f);
  }
  std::unique_ptr<FILE, void (*)(FILE*)> file_;
  const bool unwritable_;
};

}  // namespace berth::bench
