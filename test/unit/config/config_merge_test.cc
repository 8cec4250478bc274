// Drop-in merging: any valid drop-in over any valid base merges (issue 12,
// item 6: adding an entry to a map that is empty in the base aborted berthd),
// and an invalid drop-in is an error naming its file and key, never an abort.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>

#include "pkg/config/config.h"

namespace berth::config {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kShipped = std::string(BERTH_SOURCE_DIR) + "/config/berth.yaml";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ConfigDir {
 public:
  ConfigDir() {
    char tmpl[] = "/tmp/berth-config-merge-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~ConfigDir() { fs::remove_all(dir_); }
  // Writes the main file (nullopt: none) and returns its path.
  std::string Main(const std::optional<std::string>& text) {
    std::string p = (dir_ / "berth.yaml").string();
    if (text) std::ofstream(p) << *text;
    return p;
  }
  void DropIn(const std::string& name, const std::string& text) {
    fs::create_directories(dir_ / "berth.yaml.d");
    std::ofstream(dir_ / "berth.yaml.d" / name) << text;
  }

 private:
  fs::path dir_;
};

// Bases a drop-in may land on: the shipped file (empty maps and lists), a
// file with every map and list non-empty, one with every key null that may be
// (maps, lists, optional strings; null is "" for a string), an empty
// file and no file at all.
struct Base {
  const char* name;
  std::optional<std::string> text;
};

std::vector<Base> Bases() {
  return {
      {"shipped", ReadFile(kShipped)},
      {"full", R"(
root: /srv/berth
runroot: /run/b
listen: /run/b/b.sock
log_level: warn
conmon: /usr/local/bin/conmon
cgroup_manager: systemd
runtimes:
  runc: {path: /usr/sbin/runc, root: /run/b/runc, type: oci, allowed_annotations: [io.berth.a]}
  gvisor: {path: /usr/bin/runsc, root: /run/b/runsc}
default_runtime: runc
trusted_runtime: runc
untrusted_runtime: gvisor
default_workload_trust: untrusted
untrusted_fallback_to_trusted: true
clamp_oom_score_adj: false
runtime_create_timeout: 30s
cni: {conf_dir: /etc/cni/b, plugin_dirs: [/usr/lib/cni, /opt/cni/bin], cache_dir: /var/cache/cni}
registries:
  "docker.io": {mirrors: ["https://mirror.example.internal"]}
  "127.0.0.1:5000": {mirrors: ["http://127.0.0.1:5001"]}
auth_file: /etc/berth/auth.json
credential_providers: {config: /etc/berth/providers.yaml, bin_dir: /usr/libexec/providers}
max_concurrent_downloads: 2
image_pull_progress_timeout: 2m
pinned_images: ["registry.k8s.io/pause*"]
stream: {address: 0.0.0.0, port: 10010}
stats: {disk_sample_interval: 30s}
pause_image: registry.k8s.io/pause:3.9
shutdown_file: /var/lib/b/shutdown
)"},
      {"null-values", R"(
runtimes:
untrusted_runtime:
runtime_create_timeout:
cni:
registries:
auth_file:
credential_providers:
image_pull_progress_timeout:
pinned_images:
stream:
stats:
pause_image:
)"},
      {"empty-file", std::string()},
      {"no-file", std::nullopt},
  };
}

// A drop-in and what it must do to the base's effective config.
struct MergeCase {
  const char* key;  // the top-level key of config/berth.yaml it exercises
  std::string dropin;
  std::function<void(Config&)> apply;
};

RuntimeEntry Kata() {
  return RuntimeEntry{"/usr/bin/kata-runtime", "/run/kata", "oci", {}};
}
const std::string kKataYaml = "runtimes: {kata: {path: /usr/bin/kata-runtime, root: /run/kata}}\n";

std::vector<MergeCase> Cases() {
  return {
      {"root", "root: /data/berth\n", [](Config& c) { c.root = "/data/berth"; }},
      {"runroot", "runroot: /run/x\n", [](Config& c) { c.runroot = "/run/x"; }},
      {"listen", "listen: /run/x.sock\n", [](Config& c) { c.listen = "/run/x.sock"; }},
      {"log_level", "log_level: debug\n", [](Config& c) { c.log_level = "debug"; }},
      {"conmon", "conmon: /opt/conmon\n", [](Config& c) { c.conmon = "/opt/conmon"; }},
      {"cgroup_manager", "cgroup_manager: systemd\n",
       [](Config& c) { c.cgroup_manager = "systemd"; }},
      // A new entry in a map (empty in some bases), and one key of an existing entry.
      {"runtimes", kKataYaml, [](Config& c) { c.runtimes["kata"] = Kata(); }},
      {"runtimes", "runtimes: {runc: {root: /run/other-runc}}\n",
       [](Config& c) { c.runtimes["runc"].root = "/run/other-runc"; }},
      {"runtimes", "runtimes: {runc: {allowed_annotations: [io.berth.b, io.berth.c]}}\n",
       [](Config& c) {
         c.runtimes["runc"].allowed_annotations = {"io.berth.b", "io.berth.c"};
       }},
      {"default_runtime", kKataYaml + "default_runtime: kata\n",
       [](Config& c) {
         c.runtimes["kata"] = Kata();
         c.default_runtime = "kata";
       }},
      {"trusted_runtime", kKataYaml + "trusted_runtime: kata\n",
       [](Config& c) {
         c.runtimes["kata"] = Kata();
         c.trusted_runtime = "kata";
       }},
      {"untrusted_runtime", kKataYaml + "untrusted_runtime: kata\n",
       [](Config& c) {
         c.runtimes["kata"] = Kata();
         c.untrusted_runtime = "kata";
       }},
      {"default_workload_trust", "default_workload_trust: untrusted\n",
       [](Config& c) { c.default_workload_trust = "untrusted"; }},
      {"untrusted_fallback_to_trusted", "untrusted_fallback_to_trusted: true\n",
       [](Config& c) { c.untrusted_fallback_to_trusted = true; }},
      {"forbid_trusted_opt_out", "forbid_trusted_opt_out: true\n",
       [](Config& c) { c.forbid_trusted_opt_out = true; }},
      {"clamp_oom_score_adj", "clamp_oom_score_adj: false\n",
       [](Config& c) { c.clamp_oom_score_adj = false; }},
      {"runtime_create_timeout", "runtime_create_timeout: 3m\n",
       [](Config& c) { c.runtime_create_timeout_seconds = 180; }},
      {"cni", "cni: {conf_dir: /etc/cni/other}\n",
       [](Config& c) { c.cni.conf_dir = "/etc/cni/other"; }},
      {"cni", "cni: {plugin_dirs: [/x/cni]}\n", [](Config& c) { c.cni.plugin_dirs = {"/x/cni"}; }},
      {"cni", "cni: {cache_dir: /var/cache/x}\n",
       [](Config& c) { c.cni.cache_dir = "/var/cache/x"; }},
      // The reported case: a new host in `registries: {}`; in the full base
      // the host exists and only gains `insecure`.
      {"registries", "registries: {\"127.0.0.1:5000\": {insecure: true}}\n",
       [](Config& c) { c.registries["127.0.0.1:5000"].insecure = true; }},
      {"registries", "registries:\n  \"gcr.io\": {mirrors: [\"http://127.0.0.1:5000\"]}\n",
       [](Config& c) { c.registries["gcr.io"].mirrors = {"http://127.0.0.1:5000"}; }},
      {"auth_file", "auth_file: /root/.docker/config.json\n",
       [](Config& c) { c.auth_file = "/root/.docker/config.json"; }},
      {"credential_providers", "credential_providers: {config: /etc/cp.yaml}\n",
       [](Config& c) { c.credential_providers.config = "/etc/cp.yaml"; }},
      {"max_concurrent_downloads", "max_concurrent_downloads: 7\n",
       [](Config& c) { c.max_concurrent_downloads = 7; }},
      {"image_pull_progress_timeout", "image_pull_progress_timeout: 90s\n",
       [](Config& c) { c.image_pull_progress_timeout_seconds = 90; }},
      {"image_layer_limits", "image_layer_limits: {max_expansion_ratio: 0}\n",
       [](Config& c) { c.image_layer_limits.max_expansion_ratio = 0; }},
      {"pinned_images", "pinned_images: [\"example.com/keep\"]\n",
       [](Config& c) { c.pinned_images = {"example.com/keep"}; }},
      {"stream", "stream: {port: 12345}\n", [](Config& c) { c.stream.port = 12345; }},
      {"stream", "stream: {address: 127.0.0.2}\n",
       [](Config& c) { c.stream.address = "127.0.0.2"; }},
      {"stats", "stats: {disk_sample_interval: 2m}\n",
       [](Config& c) { c.stats.disk_sample_interval_seconds = 120; }},
      {"metrics", "metrics: {address: \"127.0.0.1:9090\"}\n",
       [](Config& c) { c.metrics.address = "127.0.0.1:9090"; }},
      {"pause_image", "pause_image: example.com/pause:1\n",
       [](Config& c) { c.pause_image = "example.com/pause:1"; }},
      {"shutdown_file", "shutdown_file: /run/x.shutdown\n",
       [](Config& c) { c.shutdown_file = "/run/x.shutdown"; }},
  };
}

TEST(ConfigMergeTest, EveryShippedKeyHasAMergeCase) {
  YAML::Node shipped = YAML::LoadFile(kShipped);
  ASSERT_TRUE(shipped.IsMap());
  std::set<std::string> covered;
  for (const MergeCase& m : Cases()) covered.insert(m.key);
  for (const auto& kv : shipped) {
    EXPECT_TRUE(covered.count(kv.first.Scalar())) << "no merge case for " << kv.first.Scalar();
  }
}

// For every base and every case: the effective config equals the base's with
// exactly the drop-in's change applied (so nothing else is lost either).
TEST(ConfigMergeTest, AnyValidDropInOverAnyValidBaseMerges) {
  for (const Base& base : Bases()) {
    ConfigDir plain;
    Result<Config> expected_base = Load(plain.Main(base.text), false);
    ASSERT_TRUE(expected_base.ok()) << base.name << ": " << expected_base.status().ToString();
    for (const MergeCase& m : Cases()) {
      SCOPED_TRACE(std::string(base.name) + " + " + m.dropin);
      ConfigDir dir;
      std::string main = dir.Main(base.text);
      dir.DropIn("50-local.yaml", m.dropin);
      Result<Config> got = Load(main, false);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      Config expected = *expected_base;
      m.apply(expected);
      EXPECT_EQ(ToJson(*got), ToJson(expected));
    }
  }
}

// The tests above compare configs through ToJson, which is only as good as
// ToJson's coverage: a field it left out would compare equal everywhere.
// `yaml` is the text the config was loaded from; the first key path of it
// that `printed` lacks, or whose string the printed JSON does not hold.
std::string FirstKeyToJsonMisses(const YAML::Node& yaml, const nlohmann::json& printed,
                                 const std::string& at) {
  if (!yaml.IsMap()) {
    const std::string& text = yaml.IsScalar() ? yaml.Scalar() : "";
    // Durations ("3m") print in their canonical form ("180s"): key only.
    const bool duration = !text.empty() && std::isdigit(static_cast<unsigned char>(text.front())) &&
                          std::isalpha(static_cast<unsigned char>(text.back()));
    if (yaml.IsScalar() && !duration && printed.is_string() && printed != text) {
      return at + " is \"" + yaml.Scalar() + "\" but printed " + printed.dump();
    }
    return "";
  }
  for (const auto& kv : yaml) {
    const std::string key = kv.first.Scalar();
    const std::string path = at.empty() ? key : at + "." + key;
    if (!printed.is_object() || !printed.contains(key)) return path + " is not printed";
    std::string missing = FirstKeyToJsonMisses(kv.second, printed.at(key), path);
    if (!missing.empty()) return missing;
  }
  return "";
}

TEST(ConfigMergeTest, ToJsonPrintsEveryKeyOfTheShippedFileAndOfEachDropIn) {
  ConfigDir alone;  // the shipped file without the shipped drop-ins beside it
  Result<Config> shipped = Load(alone.Main(ReadFile(kShipped)), true);
  ASSERT_TRUE(shipped.ok()) << shipped.status().ToString();
  EXPECT_EQ(
      FirstKeyToJsonMisses(YAML::LoadFile(kShipped), nlohmann::json::parse(ToJson(*shipped)), ""),
      "");
  for (const MergeCase& m : Cases()) {
    ConfigDir dir;
    std::string main = dir.Main(ReadFile(kShipped));
    dir.DropIn("50-local.yaml", m.dropin);
    Result<Config> c = Load(main, true);
    ASSERT_TRUE(c.ok()) << m.dropin << c.status().ToString();
    EXPECT_EQ(FirstKeyToJsonMisses(YAML::Load(m.dropin), nlohmann::json::parse(ToJson(*c)), ""), "")
        << m.dropin;
  }
}

TEST(ConfigMergeTest, TheReportedDropInOverTheShippedConfig) {
  ConfigDir dir;
  std::string main = dir.Main(ReadFile(kShipped));
  dir.DropIn("50-local.yaml", "registries: {\"127.0.0.1:5000\": {insecure: true}}\n");
  Result<Config> c = Load(main, true);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->registries.size(), 1u);
  EXPECT_TRUE(c->registries.at("127.0.0.1:5000").insecure);
  EXPECT_THAT(ToYaml(*c), HasSubstr("127.0.0.1:5000"));
}

TEST(ConfigMergeTest, SeveralDropInsStackKeyByKey) {
  ConfigDir dir;
  std::string main = dir.Main(ReadFile(kShipped));
  dir.DropIn("10-a.yaml", "registries: {\"a.example:5000\": {insecure: true}}\n");
  dir.DropIn("20-b.yaml",
             "registries: {\"b.example\": {mirrors: [\"https://m.example\"]}}\n" + kKataYaml);
  dir.DropIn("30-c.yaml",
             "registries: {\"a.example:5000\": {mirrors: [\"http://m2\"]}}\n"
             "runtimes: {kata: {type: vm}}\n");
  Result<Config> c = Load(main, true);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->registries.size(), 2u);
  EXPECT_TRUE(c->registries.at("a.example:5000").insecure);
  EXPECT_EQ(c->registries.at("a.example:5000").mirrors, std::vector<std::string>{"http://m2"});
  EXPECT_EQ(c->registries.at("b.example").mirrors.at(0), "https://m.example");
  EXPECT_EQ(c->runtimes.at("kata").path, "/usr/bin/kata-runtime");
  EXPECT_EQ(c->runtimes.at("kata").type, "vm");
  EXPECT_EQ(c->runtimes.at("runc").path, "/usr/sbin/runc");
}

struct BadDropIn {
  const char* dropin;
  const char* expected;  // the key (or what is wrong) the error must name
};

class BadDropInTest : public ::testing::TestWithParam<BadDropIn> {};

// Over each base the error names the drop-in file and the key; nothing throws.
TEST_P(BadDropInTest, ErrorNamesFileAndKey) {
  for (const Base& base : Bases()) {
    SCOPED_TRACE(base.name);
    ConfigDir dir;
    std::string main = dir.Main(base.text);
    dir.DropIn("50-local.yaml", GetParam().dropin);
    Result<Config> c = Load(main, false);
    ASSERT_FALSE(c.ok()) << GetParam().dropin;
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
    EXPECT_THAT(c.status().message(), HasSubstr("50-local.yaml"));
    EXPECT_THAT(c.status().message(), HasSubstr(GetParam().expected));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadDropInTest,
    ::testing::Values(
        BadDropIn{"registries: {\"127.0.0.1:5000\": {insecure: maybe}}\n",
                  "\"registries.127.0.0.1:5000.insecure\" must be true or false"},
        BadDropIn{"registries: {\"127.0.0.1:5000\": {secure: true}}\n",
                  "unknown key \"registries.127.0.0.1:5000.secure\""},
        BadDropIn{"registries: {\"127.0.0.1:5000\": [insecure]}\n",
                  "\"registries.127.0.0.1:5000\" must be a map"},
        BadDropIn{"registries: [\"127.0.0.1:5000\"]\n", "\"registries\" must be a map"},
        BadDropIn{"registries: {[a, b]: {insecure: true}}\n",
                  "\"registries\" has a key that is a list"},
        BadDropIn{"? {a: 1}\n: x\n", "the config has a key that is a map"},
        BadDropIn{"cni: {conf_dir: /a, conf_dir: /b}\n", "duplicate key \"cni.conf_dir\""},
        BadDropIn{"runtimes:\n  kata: {path: /k, root: /r}\n  kata: {path: /k2, root: /r}\n",
                  "duplicate key \"runtimes.kata\""},
        BadDropIn{"image_pull_progress_timeout: 99999999999999999999999s\n",
                  "\"image_pull_progress_timeout\""},
        BadDropIn{"stream: 5\n", "\"stream\" must be a map"},
        BadDropIn{"runtimes: {kata: {root: /run/kata}}\n", "\"runtimes.kata.path\" must be set"},
        BadDropIn{"cni: {plugin_dirs: /x}\n", "\"cni.plugin_dirs\" must be a list"},
        BadDropIn{"[root]\n", "the config must be a map"},
        BadDropIn{"root: [unclosed\n", "invalid YAML"}));

TEST(ConfigMergeTest, AnEmptyOrNullDropInChangesNothing) {
  for (const char* text : {"", "~\n", "# only a comment\n", "registries:\n"}) {
    ConfigDir dir;
    std::string main = dir.Main(ReadFile(kShipped));
    Result<Config> before = Load(main, true);
    dir.DropIn("50-local.yaml", text);
    Result<Config> after = Load(main, true);
    ASSERT_TRUE(before.ok() && after.ok()) << text << after.status().ToString();
    EXPECT_EQ(ToJson(*after), ToJson(*before)) << text;
  }
}

TEST(ConfigMergeTest, BadMainFileIsNamedEvenWithDropIns) {
  ConfigDir dir;
  std::string main = dir.Main("registries: {[x]: {}}\n");
  dir.DropIn("50-local.yaml", "log_level: debug\n");
  Result<Config> c = Load(main, true);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr(main + ": \"registries\" has a key that is a list"));
}

TEST(ConfigMergeTest, ParseNeverThrowsEither) {
  for (const char* text : {"registries: {[a]: {}}", "? [x]\n: 1\n",
                           "runtime_create_timeout: 123456789012345678901s"}) {
    Result<Config> c = Parse(text);
    EXPECT_FALSE(c.ok()) << text;
  }
}

}  // namespace
}  // namespace berth::config
