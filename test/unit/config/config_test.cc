#include "pkg/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace berth::config {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class TempConfigDir {
 public:
  TempConfigDir() {
    char tmpl[] = "/tmp/berth-config-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~TempConfigDir() { fs::remove_all(dir_); }
  std::string Write(const std::string& rel, const std::string& text) {
    fs::path p = dir_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string Path(const std::string& rel) const { return (dir_ / rel).string(); }

 private:
  fs::path dir_;
};

TEST(ConfigTest, DefaultsMatchTheDesign) {
  Result<Config> c = Parse("");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->root, "/var/lib/berth");
  EXPECT_EQ(c->runroot, "/run/berth");
  EXPECT_EQ(c->listen, "/run/berth/berth.sock");
  EXPECT_EQ(c->default_runtime, "runc");
  EXPECT_EQ(c->trusted_runtime, "runc");
  EXPECT_EQ(c->untrusted_runtime, "");
  EXPECT_EQ(c->default_workload_trust, "trusted");
  EXPECT_EQ(c->cni.conf_dir, "/etc/cni/net.d");
  EXPECT_EQ(c->image_pull_progress_timeout_seconds, 60);
  EXPECT_EQ(c->max_concurrent_downloads, 3);
  EXPECT_EQ(c->stats.disk_sample_interval_seconds, 10);
  ASSERT_TRUE(c->runtimes.count("runc"));
  EXPECT_EQ(c->runtimes.at("runc").root, "/run/berth/runc");
}

TEST(ConfigTest, ReadsEveryKind) {
  Result<Config> c = Parse(R"(
root: /srv/berth
runtimes:
  kata: {path: /usr/bin/kata-runtime, root: /run/kata, type: oci, allowed_annotations: [io.berth.x]}
untrusted_runtime: kata
default_workload_trust: untrusted
untrusted_fallback_to_trusted: true
forbid_trusted_opt_out: true
cni: {plugin_dirs: [/a, /b]}
registries:
  "gcr.io": {mirrors: ["http://127.0.0.1:5000"]}
  "127.0.0.1:5000": {insecure: true}
image_pull_progress_timeout: 1m30s
runtime_create_timeout: 45s
pinned_images: ["registry.k8s.io/pause*"]
stream: {port: 10010, tls_cert_file: /etc/berth/tls.crt, tls_key_file: /etc/berth/tls.key,
         idle_timeout: 30m}
stats: {disk_sample_interval: 1m}
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->root, "/srv/berth");
  EXPECT_EQ(c->runtimes.size(), 2u);
  EXPECT_EQ(c->runtimes.at("kata").allowed_annotations, std::vector<std::string>{"io.berth.x"});
  EXPECT_EQ(c->untrusted_runtime, "kata");
  EXPECT_TRUE(c->untrusted_fallback_to_trusted);
  EXPECT_TRUE(c->forbid_trusted_opt_out);
  EXPECT_EQ(c->cni.plugin_dirs, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(c->registries.at("gcr.io").mirrors.at(0), "http://127.0.0.1:5000");
  EXPECT_TRUE(c->registries.at("127.0.0.1:5000").insecure);
  EXPECT_EQ(c->image_pull_progress_timeout_seconds, 90);
  EXPECT_EQ(c->runtime_create_timeout_seconds, 45);
  EXPECT_EQ(c->stream.port, 10010);
  EXPECT_EQ(c->stream.tls_cert_file, "/etc/berth/tls.crt");
  EXPECT_EQ(c->stream.tls_key_file, "/etc/berth/tls.key");
  EXPECT_EQ(c->stream.idle_timeout_seconds, 1800);
  EXPECT_EQ(c->stats.disk_sample_interval_seconds, 60);
}

struct BadCase {
  const char* yaml;
  const char* expected;  // a fragment the error must contain
};

class ConfigErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrorTest, ErrorNamesTheKeyAndTheProblem) {
  Result<Config> c = Parse(GetParam().yaml);
  ASSERT_FALSE(c.ok()) << GetParam().yaml;
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigErrorTest,
    ::testing::Values(
        BadCase{"rooot: /x", "unknown key \"rooot\""},
        BadCase{"cni: {conf_dirr: /x}", "unknown key \"cni.conf_dirr\""},
        BadCase{"runtimes: {runc: {pth: /x}}", "unknown key \"runtimes.runc.pth\""},
        BadCase{"root: [a, b]", "\"root\" must be a scalar"},
        BadCase{"cni: [a]", "\"cni\" must be a map"},
        BadCase{"cni: {plugin_dirs: /x}", "\"cni.plugin_dirs\" must be a list"},
        BadCase{"untrusted_fallback_to_trusted: maybe",
                "\"untrusted_fallback_to_trusted\" must be true or false"},
        BadCase{"forbid_trusted_opt_out: sometimes",
                "\"forbid_trusted_opt_out\" must be true or false"},
        BadCase{"stream: {port: http}", "\"stream.port\" must be an integer"},
        BadCase{"stream: {port: 70000}", "\"stream.port\" must be between 0 and 65535"},
        BadCase{"stream: {tls_cert_file: /c.pem}", "go together"},
        BadCase{"stream: {tls_cert_file: c.pem, tls_key_file: /k.pem}",
                "\"stream.tls_cert_file\" must be an absolute path"},
        BadCase{"stream: {idle_timeout: forever}", "\"stream.idle_timeout\""},
        BadCase{"stats: {disk_sample_interval: often}", "\"stats.disk_sample_interval\""},
        BadCase{"stats: {disk_sample_interval: 0s}",
                "\"stats.disk_sample_interval\": must be at least 1s"},
        BadCase{"stats: {disk_interval: 1s}", "unknown key \"stats.disk_interval\""},
        BadCase{"root: var/lib/berth", "\"root\" must be an absolute path"},
        BadCase{"cni: {plugin_dirs: [/ok, rel]}", "\"cni.plugin_dirs[1]\" must be an absolute"},
        BadCase{"runtimes: {kata: {path: kata-runtime, root: /run/k}}",
                "\"runtimes.kata.path\" must be an absolute path"},
        BadCase{"runtimes: {kata: {root: /run/k}}", "\"runtimes.kata.path\" must be set"},
        BadCase{"runtimes: {kata: {path: /k, root: /r, type: shim}}",
                "\"runtimes.kata.type\" must be one of oci, vm"},
        BadCase{"trusted_runtime: kata", "\"trusted_runtime\" names unknown runtime \"kata\""},
        BadCase{"untrusted_runtime: gvisor",
                "\"untrusted_runtime\" names unknown runtime \"gvisor\""},
        BadCase{"default_workload_trust: maybe",
                "\"default_workload_trust\" must be one of trusted, untrusted"},
        BadCase{"log_level: loud", "\"log_level\" must be one of"},
        BadCase{"cgroup_manager: cgroupv3", "\"cgroup_manager\" must be one of"},
        BadCase{"image_pull_progress_timeout: 5 minutes", "\"image_pull_progress_timeout\""},
        BadCase{"runtime_create_timeout: soon", "\"runtime_create_timeout\""},
        BadCase{"registries: {\"gcr.io\": {mirrors: [127.0.0.1:5000]}}",
                "\"registries.gcr.io.mirrors[0]\" must start with http://"},
        BadCase{"pinned_images: [\"a*b\"]", "\"pinned_images[0]\""},
        BadCase{"root: [unclosed", "invalid YAML"},
        // Issue 15 item 3: what a SIGHUP reload once died of.
        BadCase{"image_pull_progress_timeout: 99999999999999999999s",
                "\"image_pull_progress_timeout\""},
        BadCase{"log_level: {level: info}", "\"log_level\""}));

TEST(ConfigLoadTest, DropInsMergeInLexicalOrderKeyByKey) {
  TempConfigDir dir;
  std::string main = dir.Write("berth.yaml", R"(
log_level: info
cni: {conf_dir: /etc/cni/net.d, plugin_dirs: [/usr/lib/cni]}
runtimes:
  runc: {path: /usr/sbin/runc, root: /run/berth/runc}
)");
  dir.Write("berth.yaml.d/20-later.yaml", "log_level: debug\n");
  dir.Write("berth.yaml.d/10-first.yaml", "log_level: warn\ncni: {conf_dir: /etc/cni/other}\n");
  dir.Write("berth.yaml.d/30-runtime.yaml", "runtimes: {runc: {root: /run/other-runc}}\n");
  dir.Write("berth.yaml.d/ignored.txt", "not yaml at all: [");
  Result<Config> c = Load(main, true);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->log_level, "debug");                     // 20 wins over 10
  EXPECT_EQ(c->cni.conf_dir, "/etc/cni/other");         // merged key by key
  EXPECT_EQ(c->cni.plugin_dirs.at(0), "/usr/lib/cni");  // untouched sibling kept
  EXPECT_EQ(c->runtimes.at("runc").path, "/usr/sbin/runc");
  EXPECT_EQ(c->runtimes.at("runc").root, "/run/other-runc");
}

TEST(ConfigLoadTest, BadDropInErrorNamesItsFileAndKey) {
  TempConfigDir dir;
  std::string main = dir.Write("berth.yaml", "log_level: info\n");
  dir.Write("berth.yaml.d/50-bad.yaml", "cni: {confdir: /x}\n");
  Result<Config> c = Load(main, true);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("50-bad.yaml"));
  EXPECT_THAT(c.status().message(), HasSubstr("\"cni.confdir\""));
}

TEST(ConfigLoadTest, MissingFileUsesDefaultsUnlessRequired) {
  TempConfigDir dir;
  EXPECT_TRUE(Load(dir.Path("absent.yaml"), false).ok());
  Result<Config> c = Load(dir.Path("absent.yaml"), true);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kNotFound);
}

// A directory (or a device) opens as a stream and reads as nothing: taken
// for an empty file, it would silently mean "every default".
TEST(ConfigLoadTest, ConfigPathThatIsNotARegularFileIsAnError) {
  TempConfigDir dir;
  const std::string path = dir.Path("berth.yaml");
  std::filesystem::create_directories(path);
  for (bool must_exist : {true, false}) {
    Result<Config> c = Load(path, must_exist);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
    EXPECT_THAT(c.status().message(), HasSubstr(path + " is not a regular file"));
  }
}

TEST(ConfigLoadTest, OverridesWinOverFiles) {
  TempConfigDir dir;
  std::string main = dir.Write("berth.yaml", "root: /from/file\nlog_level: info\n");
  Overrides o;
  o.root = "/from/flag";
  o.log_level = "debug";
  Result<Config> c = Load(main, true, o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->root, "/from/flag");
  EXPECT_EQ(c->log_level, "debug");
  o.root = "relative";
  EXPECT_FALSE(Load(main, true, o).ok());
}

TEST(ConfigTest, PrintedYamlReadsBackToTheSameConfig) {
  Result<Config> c = Parse("runtimes: {kata: {path: /k, root: /r}}\nuntrusted_runtime: kata\n");
  ASSERT_TRUE(c.ok());
  std::string yaml = ToYaml(*c);
  Result<Config> again = Parse(yaml);
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << yaml;
  EXPECT_EQ(ToJson(*again), ToJson(*c));
  // The values themselves, not only ToJson's view of them (which a field it
  // skipped would pass unseen).
  EXPECT_EQ(again->untrusted_runtime, "kata");
  ASSERT_EQ(again->runtimes.count("kata"), 1u);
  EXPECT_EQ(again->runtimes.at("kata").path, "/k");
  EXPECT_EQ(again->runtimes.at("kata").root, "/r");
  EXPECT_EQ(again->root, "/var/lib/berth");  // the defaults survive the trip too
  EXPECT_EQ(again->cni.plugin_dirs, (std::vector<std::string>{"/usr/lib/cni", "/opt/cni/bin"}));
}

// Found by config_fuzz: a path holding bytes that are not UTF-8 loaded, and
// printed back as U+FFFD, so the printed config was another config.
TEST(ConfigLoadTest, TextThatIsNotUtf8IsAnErrorNamingTheFile) {
  TempConfigDir dir;
  const std::string main = dir.Write("berth.yaml", "log_level: info\n");
  dir.Write("berth.yaml.d/10-bad.yaml",
            "runtimes: {kata: {path: \"/usr/bin/k\xff\xfe\", root: /r}}\n");
  Result<Config> c = Load(main, true);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("10-bad.yaml: not valid UTF-8"));
  EXPECT_FALSE(Parse("root: /var/lib/b\xc3(\n").ok());
  EXPECT_TRUE(Parse("root: /var/lib/b\xc3\xa9\n").ok());  // é is fine
}

}  // namespace
}  // namespace berth::config
