// Small helpers shared by the benchmarks: endpoint and flags from argv, and
// latency figures (median, p90) printed one line per measurement.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace berth::bench {

// "--endpoint unix:///path" or $BERTH_ENDPOINT, else the default socket.
inline std::string EndpointFromArgs(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--endpoint") return argv[i + 1];
  }
  if (const char* e = std::getenv("BERTH_ENDPOINT")) return e;
  return "unix:///run/berth/berth.sock";
}

// "--name value" from argv, else `def`.
inline std::string Flag(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return argv[i + 1];
  }
  return def;
}

inline double SecondsSince(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// The value at quantile q of `values` by rank (0.9 is the p90; 0.5 the median
// as below); 0 when empty.
inline double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<size_t>(q * static_cast<double>(values.size() - 1))];
}

// The median of `values` (the lower middle one for an even count; 0 when empty).
inline double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[(values.size() - 1) / 2];
}

// A failed step ends the bench (after cleanup) with the call's message.
struct BenchError {
  std::string what;
};

class Latencies {
 public:
  // Times one call of `call`, which returns its status (a grpc::Status or
  // anything with ok() and error_message()). A failed call is not a latency:
  // it keeps no sample and throws BenchError naming `what`.
  template <typename Call>
  double MeasureCall(const std::string& what, Call&& call) {
    auto start = std::chrono::steady_clock::now();
    const auto status = call();
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!status.ok()) throw BenchError{what + ": " + status.error_message()};
    samples_.push_back(ms);
    return ms;
  }

  // Times one call of `fn`, keeps the sample and returns it (ms). When `fn`
  // throws, no sample is kept.
  template <typename Fn>
  double Measure(Fn&& fn) {
    auto start = std::chrono::steady_clock::now();
    fn();
    samples_.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    return samples_.back();
  }
  void Print(const std::string& what) {
    if (samples_.empty()) return;
    std::sort(samples_.begin(), samples_.end());
    auto at = [&](double q) { return samples_[static_cast<size_t>(q * (samples_.size() - 1))]; };
    std::printf("%-40s n=%-5zu median=%8.3f ms  p90=%8.3f ms  max=%8.3f ms\n", what.c_str(),
                samples_.size(), at(0.5), at(0.9), samples_.back());
  }

 private:
  std::vector<double> samples_;
};

}  // namespace berth::bench
