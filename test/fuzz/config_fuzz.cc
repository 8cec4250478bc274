// Fuzz target: berthd's config (pkg/config): the main YAML file and its
// drop-ins in "<config>.d/", merged and validated as start-up and the SIGHUP
// reload load them.
//
// Input: the main file, then up to three drop-ins, separated by lines
// "#%drop-in". Properties:
//  - loading never throws or crashes, whatever the files hold;
//  - a loaded config passes Validate, and its printed form (berthd config)
//    parses back to the same config;
//  - without drop-ins, Load of the file and Parse of its text agree.
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <utility>

#include "pkg/base/status.h"
#include "pkg/config/config.h"
#include "pkg/fs/dir.h"
#include "pkg/fs/temp_dir.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using berth::fuzz::Check;
namespace config = berth::config;

constexpr size_t kMaxDropIns = 3;

// One directory for the whole run, removed at exit: the main file and its
// drop-in directory.
const std::string& ConfigDir() {
  static const berth::TempDir dir = [] {
    auto made = berth::TempDir::Create("/tmp", "berth-config-fuzz-");
    Check(made.ok(), "a temporary directory for the config files");
    Check(berth::MkdirAll(made->path() + "/berth.yaml.d").ok(), "the drop-in directory");
    return std::move(*made);
  }();
  return dir.path();
}

void WriteFile(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  Check(out.good(), "writing a config file");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts =
      berth::fuzz::SplitParts(berth::fuzz::AsText(data, size), "\n#%drop-in\n", kMaxDropIns + 1);
  const std::string main_file = ConfigDir() + "/berth.yaml";
  WriteFile(main_file, parts[0]);
  for (size_t i = 0; i < kMaxDropIns; ++i) {
    const std::string dropin = ConfigDir() + "/berth.yaml.d/" + std::to_string(i + 1) + "0.yaml";
    if (i + 1 < parts.size()) {
      WriteFile(dropin, parts[i + 1]);
    } else {
      ::unlink(dropin.c_str());
    }
  }

  auto loaded = config::Load(main_file, /*must_exist=*/true);
  if (parts.size() == 1) {
    auto parsed = config::Parse(std::string(parts[0]));
    Check(parsed.ok() == loaded.ok(), "Load and Parse agree on one file");
    if (parsed.ok())
      Check(config::ToJson(*parsed) == config::ToJson(*loaded), "Load and Parse agree");
  }
  if (!loaded.ok()) return 0;
  Check(config::Validate(*loaded).ok(), "a loaded config is valid");
  const std::string yaml = config::ToYaml(*loaded);
  auto printed = config::Parse(yaml);
  Check(printed.ok(), "the printed config parses", yaml + "\n" + printed.status().message());
  Check(config::ToJson(*printed) == config::ToJson(*loaded),
        "the printed config is the same config",
        yaml + "\nreads back as\n" + config::ToJson(*printed));
  return 0;
}
