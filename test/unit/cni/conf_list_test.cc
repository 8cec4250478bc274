#include "pkg/cni/conf_list.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test/unit/cni/test_util.h"

namespace berth::cni {
namespace {

using ::testing::HasSubstr;
using testing::InstallFake;
using testing::TempDir;
using testing::WriteFile;

constexpr char kList[] = R"({"cniVersion":"1.0.0","name":"%s","plugins":[{"type":"fake"}]})";

std::string List(const std::string& name) {
  std::string s = kList;
  return s.replace(s.find("%s"), 2, name);
}

class ConfDirTest : public ::testing::Test {
 protected:
  void SetUp() override { InstallFake(plugins_.path(), "fake-ok", "fake"); }
  LoadedConfig Load() { return LoadConfDir(conf_.path(), {plugins_.path()}); }
  TempDir conf_;
  TempDir plugins_;
};

TEST_F(ConfDirTest, PicksLexicallyFirstValidFile) {
  WriteFile(conf_ / "20-b.conflist", List("second"));
  WriteFile(conf_ / "10-a.conflist", List("first"));
  WriteFile(conf_ / "30-c.conflist", List("third"));
  auto loaded = Load();
  ASSERT_TRUE(loaded.list);
  EXPECT_EQ(loaded.list->name, "first");
  EXPECT_EQ(loaded.list->source_file, conf_ / "10-a.conflist");
}

TEST_F(ConfDirTest, SkipsInvalidFilesWithReasons) {
  WriteFile(conf_ / "00-garbage.conflist", "{not json");
  WriteFile(conf_ / "01-badversion.conflist",
            R"({"cniVersion":"0.2.0","name":"x","plugins":[{"type":"fake"}]})");
  WriteFile(conf_ / "02-noplugins.conflist", R"({"cniVersion":"1.0.0","name":"x","plugins":[]})");
  WriteFile(conf_ / "03-missingbin.conflist",
            R"({"cniVersion":"1.0.0","name":"x","plugins":[{"type":"nosuch"}]})");
  WriteFile(conf_ / "04-badtype.conflist",
            R"({"cniVersion":"1.0.0","name":"x","plugins":[{"type":"../fake"}]})");
  WriteFile(conf_ / "05-badname.conflist",
            R"({"cniVersion":"1.0.0","name":"a/b","plugins":[{"type":"fake"}]})");
  WriteFile(conf_ / "06-ignored.txt", List("txt"));
  WriteFile(conf_ / "07-good.conflist", List("good"));
  auto loaded = Load();
  ASSERT_TRUE(loaded.list);
  EXPECT_EQ(loaded.list->name, "good");
  ASSERT_EQ(loaded.skipped.size(), 6u);
  EXPECT_THAT(loaded.skipped[0].reason, HasSubstr("not valid JSON"));
  EXPECT_THAT(loaded.skipped[1].reason, HasSubstr("unsupported cniVersion \"0.2.0\""));
  EXPECT_THAT(loaded.skipped[2].reason, HasSubstr("\"plugins\" is empty"));
  EXPECT_THAT(loaded.skipped[3].reason, HasSubstr("CNI plugin \"nosuch\" not found"));
  EXPECT_THAT(loaded.skipped[4].reason, HasSubstr("invalid type"));
  EXPECT_THAT(loaded.skipped[5].reason, HasSubstr("invalid network name"));
}

TEST_F(ConfDirTest, WrapsSingleConfIntoList) {
  WriteFile(conf_ / "10-single.conf",
            R"({"cniVersion":"0.4.0","name":"single","type":"fake","bridge":"x"})");
  auto loaded = Load();
  ASSERT_TRUE(loaded.list) << loaded.reason;
  EXPECT_EQ(loaded.list->name, "single");
  EXPECT_EQ(loaded.list->cni_version, "0.4.0");
  ASSERT_EQ(loaded.list->plugins.size(), 1u);
  EXPECT_EQ(loaded.list->plugins[0].type, "fake");
  EXPECT_EQ(loaded.list->plugins[0].conf["bridge"], "x");
}

TEST_F(ConfDirTest, JsonExtensionAcceptedAsSingleConf) {
  WriteFile(conf_ / "10-x.json", R"({"cniVersion":"0.3.1","name":"fromjson","type":"fake"})");
  auto loaded = Load();
  ASSERT_TRUE(loaded.list) << loaded.reason;
  EXPECT_EQ(loaded.list->name, "fromjson");
}

TEST_F(ConfDirTest, NoConfigGivesClearReason) {
  auto loaded = Load();
  EXPECT_FALSE(loaded.list);
  EXPECT_EQ(loaded.reason, "no CNI network config found in " + conf_.path());
}

TEST_F(ConfDirTest, OnlyInvalidConfigReasonListsSkippedFiles) {
  WriteFile(conf_ / "10-bad.conflist", "[]");
  auto loaded = Load();
  EXPECT_FALSE(loaded.list);
  EXPECT_THAT(loaded.reason, HasSubstr("no CNI network config found in " + conf_.path()));
  EXPECT_THAT(loaded.reason, HasSubstr("10-bad.conflist: not a JSON object"));
}

TEST_F(ConfDirTest, MissingDirectoryIsNotReady) {
  auto loaded = LoadConfDir(conf_ / "nope", {plugins_.path()});
  EXPECT_FALSE(loaded.list);
  EXPECT_THAT(loaded.reason, HasSubstr("no CNI network config found in"));
}

TEST(ConfListTest, SupportedVersions) {
  for (const char* v : {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}) {
    EXPECT_TRUE(ParseConfList(R"({"cniVersion":")" + std::string(v) +
                              R"(","name":"n","plugins":[{"type":"t"}]})")
                    .ok())
        << v;
  }
  EXPECT_FALSE(ParseConfList(R"({"cniVersion":"0.1.0","name":"n","plugins":[{"type":"t"}]})").ok());
  EXPECT_FALSE(ParseConfList(R"({"name":"n","plugins":[{"type":"t"}]})").ok());
}

TEST(ConfListTest, ReadsCapabilitiesAndDisableCheck) {
  auto list = ParseConfList(
      R"({"cniVersion":"1.0.0","name":"n","disableCheck":true,"plugins":[{"type":"a"},)"
      R"({"type":"portmap","capabilities":{"portMappings":true}}]})");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->disable_check);
  EXPECT_FALSE(list->plugins[0].port_mappings);
  EXPECT_TRUE(list->plugins[1].port_mappings);
  auto round = ConfListFromJson(list->ToJson());
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->plugins.size(), 2u);
  EXPECT_TRUE(round->plugins[1].port_mappings);
}

TEST(ConfListTest, ShippedBridgeConflistIsValid) {
  std::string text = testing::ReadFileOrEmpty(BERTH_SOURCE_DIR "/config/10-berth-bridge.conflist");
  auto list = ParseConfList(text);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->name, "berth");
  EXPECT_EQ(list->cni_version, "1.0.0");
  ASSERT_EQ(list->plugins.size(), 2u);
  EXPECT_EQ(list->plugins[0].type, "bridge");
  EXPECT_EQ(list->plugins[0].conf["bridge"], "berth0");
  EXPECT_EQ(list->plugins[1].type, "portmap");
  EXPECT_TRUE(list->plugins[1].port_mappings);
}

TEST(FindPluginBinaryTest, SearchesDirsInOrder) {
  TempDir a, b;
  InstallFake(b.path(), "fake-ok", "p");
  auto found = FindPluginBinary({a.path(), b.path()}, "p");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, b / "p");
  InstallFake(a.path(), "fake-ok", "p");
  EXPECT_EQ(*FindPluginBinary({a.path(), b.path()}, "p"), a / "p");
  auto missing = FindPluginBinary({a.path()}, "q");
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(a.path()));
}

}  // namespace
}  // namespace berth::cni
