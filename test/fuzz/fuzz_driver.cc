// A stand-in for libFuzzer's main, so fuzz targets run under CTest in the
// regular gcc + ASan/UBSan build: replays the seed corpus, then a fixed number
// of random mutations of it from a fixed seed (the same inputs every run),
// within a time budget.
//
//   <target> [--iterations=N] [--seed=S] [--max-seconds=T] [--max-len=L] FILE|DIR...
//
// A file named on its own with --iterations=0 replays just that input.
// When a sanitizer stops the run, or a target's property check aborts, the
// input that did it is written to ./fuzz-crash-input for replay.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define BERTH_FUZZ_DEATH_CALLBACK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BERTH_FUZZ_DEATH_CALLBACK 1
#endif
#endif
#ifdef BERTH_FUZZ_DEATH_CALLBACK
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

using Input = std::vector<uint8_t>;

const Input* g_current = nullptr;  // the input being run, for the crash dump

void DumpCurrentInput() {
  if (g_current == nullptr) return;
  if (FILE* f = std::fopen("fuzz-crash-input", "wb")) {
    std::fwrite(g_current->data(), 1, g_current->size(), f);
    std::fclose(f);
    std::fprintf(stderr, "fuzz driver: input written to ./fuzz-crash-input\n");
  }
}

// UBSan's default ends the process with exit(1), past every hook that could
// save the input; aborting instead reaches OnAbort below.
extern "C" const char* __ubsan_default_options() {
  return "abort_on_error=1:print_stacktrace=1";
}

// A broken property aborts (fuzz_support.h's Check): keep the input, then
// die of the same signal so CTest sees the failure.
void OnAbort(int sig) {
  DumpCurrentInput();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void RunOne(const Input& in) {
  g_current = &in;
  LLVMFuzzerTestOneInput(in.data(), in.size());
  g_current = nullptr;
}

Input ReadFile(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return Input(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// One random edit of the kinds that find framing bugs: bit flips, boundary
// values in 32-bit big-endian fields (lengths, ids), inserted and deleted
// runs, and splices from another seed.
void Mutate(Input& in, const std::vector<Input>& seeds, std::mt19937& rng, size_t max_len) {
  auto pick = [&](size_t n) {
    return n == 0 ? size_t{0} : std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  };
  static constexpr uint32_t kInteresting[] = {
      0,      1,      4,        8,         10,         0x7f,       0x80,       0xff,
      0x8000, 0xffff, 0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff};
  switch (pick(7)) {
    case 0:
      if (!in.empty()) in[pick(in.size())] ^= static_cast<uint8_t>(1u << pick(8));
      break;
    case 1:
      if (!in.empty()) in[pick(in.size())] = static_cast<uint8_t>(rng());
      break;
    case 2:
      if (in.size() >= 4) {
        const uint32_t v = kInteresting[pick(std::size(kInteresting))];
        const size_t at = pick(in.size() - 3);
        for (int i = 0; i < 4; ++i) in[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
      }
      break;
    case 3: {
      const size_t at = pick(in.size() + 1);
      const size_t n = 1 + pick(16);
      Input run(n);
      for (auto& b : run) b = static_cast<uint8_t>(rng());
      in.insert(in.begin() + static_cast<ptrdiff_t>(at), run.begin(), run.end());
      break;
    }
    case 4:
      if (!in.empty()) {
        const size_t at = pick(in.size());
        const size_t n = 1 + pick(std::min<size_t>(in.size() - at, 32));
        in.erase(in.begin() + static_cast<ptrdiff_t>(at),
                 in.begin() + static_cast<ptrdiff_t>(at + n));
      }
      break;
    case 5:
      in.resize(pick(in.size() + 1));  // truncate
      break;
    case 6: {
      const Input& other = seeds[pick(seeds.size())];
      if (other.empty()) break;
      const size_t from = pick(other.size());
      const size_t n = 1 + pick(other.size() - from);
      const size_t at = pick(in.size() + 1);
      in.insert(in.begin() + static_cast<ptrdiff_t>(at),
                other.begin() + static_cast<ptrdiff_t>(from),
                other.begin() + static_cast<ptrdiff_t>(from + n));
      break;
    }
  }
  if (in.size() > max_len) in.resize(max_len);
}

bool Flag(const char* arg, const char* name, long long* value) {
  const size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  *value = std::atoll(arg + n + 1);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef BERTH_FUZZ_DEATH_CALLBACK
  __sanitizer_set_death_callback(DumpCurrentInput);
#endif
  ::signal(SIGABRT, OnAbort);
  long long iterations = 20000, seed = 1, max_seconds = 25, max_len = 64 * 1024;
  std::vector<Input> seeds;
  for (int i = 1; i < argc; ++i) {
    if (Flag(argv[i], "--iterations", &iterations) || Flag(argv[i], "--seed", &seed) ||
        Flag(argv[i], "--max-seconds", &max_seconds) || Flag(argv[i], "--max-len", &max_len)) {
      continue;
    }
    const std::filesystem::path p(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::directory_iterator(p)) {
        if (e.is_regular_file() && e.path().extension() != ".md") files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());  // same order every run
      for (const auto& f : files) seeds.push_back(ReadFile(f));
    } else if (std::filesystem::is_regular_file(p, ec)) {
      seeds.push_back(ReadFile(p));
    } else {
      std::fprintf(stderr, "fuzz driver: %s: no such file or directory\n", argv[i]);
      return 2;
    }
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "fuzz driver: no seed inputs given\n");
    return 2;
  }

  const auto start = std::chrono::steady_clock::now();
  for (const Input& s : seeds) RunOne(s);
  std::mt19937 rng(static_cast<uint32_t>(seed));
  long long done = 0;
  for (; done < iterations; ++done) {
    if (done % 256 == 0 &&
        std::chrono::steady_clock::now() - start > std::chrono::seconds(max_seconds)) {
      break;  // the budget keeps CTest fast on a slow machine; the order stays fixed
    }
    Input in = seeds[std::uniform_int_distribution<size_t>(0, seeds.size() - 1)(rng)];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) Mutate(in, seeds, rng, static_cast<size_t>(max_len));
    RunOne(in);
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("fuzz driver: %zu seeds and %lld mutated inputs in %.1f s, no failures\n",
              seeds.size(), done, secs);
  return 0;
}
