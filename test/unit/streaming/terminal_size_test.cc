// NextTerminalSize: JSON sizes out of a byte channel however they are cut.
#include <gtest/gtest.h>

#include <deque>
#include <string>

#include "pkg/streaming/channels.h"

namespace berth::streaming {
namespace {

// Hands out the given reads one by one, then end of stream (or an error).
class ScriptedReader final : public ByteReader {
 public:
  explicit ScriptedReader(std::deque<std::string> reads, bool fail_at_end = false)
      : reads_(std::move(reads)), fail_at_end_(fail_at_end) {}
  Result<size_t> Read(char* buf, size_t len) override {
    if (reads_.empty()) {
      if (fail_at_end_) return Unavailable("stream reset");
      return size_t{0};
    }
    std::string& front = reads_.front();
    size_t n = std::min(len, front.size());
    front.copy(buf, n);
    front.erase(0, n);
    if (front.empty()) reads_.pop_front();
    return n;
  }
  void Cancel() override {}

 private:
  std::deque<std::string> reads_;
  bool fail_at_end_;
};

std::vector<TerminalSize> All(ScriptedReader& r) {
  std::vector<TerminalSize> out;
  std::string carry;
  while (std::optional<TerminalSize> s = NextTerminalSize(r, carry)) out.push_back(*s);
  return out;
}

using Sizes = std::vector<TerminalSize>;

TEST(TerminalSizeTest, OneSizePerMessageInOrder) {
  ScriptedReader r({R"({"Width":80,"Height":24})", R"({"Width":132,"Height":43})"});
  EXPECT_EQ(All(r), (Sizes{{80, 24}, {132, 43}}));
}

TEST(TerminalSizeTest, MessagesCutAnywhereAndRunTogether) {
  ScriptedReader r({R"({"Wid)", R"(th":80,"Hei)", R"(ght":24}{"Width":1,"Height":2}{"He)",
                    R"(ight":65535,"Width":0})"});
  EXPECT_EQ(All(r), (Sizes{{80, 24}, {1, 2}, {0, 65535}}));
}

TEST(TerminalSizeTest, CarryKeepsAPartialMessageBetweenCalls) {
  ScriptedReader r({R"({"Width":10,"Height":20}{"Width":30,)", R"("Height":40})"});
  std::string carry;
  EXPECT_EQ(NextTerminalSize(r, carry), (TerminalSize{10, 20}));
  EXPECT_EQ(NextTerminalSize(r, carry), (TerminalSize{30, 40}));
  EXPECT_EQ(NextTerminalSize(r, carry), std::nullopt);
}

TEST(TerminalSizeTest, GarbageEndsResizing) {
  for (const char* bad : {R"({"Width":-1,"Height":24})", R"({"Width":65536,"Height":24})",
                          R"({"Width":"80","Height":24})", R"({"Width":80})", "not json}"}) {
    ScriptedReader r({bad, R"({"Width":80,"Height":24})"});
    EXPECT_EQ(All(r), Sizes{}) << bad;
  }
}

TEST(TerminalSizeTest, EndErrorOrEndlessMessageIsTheEnd) {
  ScriptedReader ended({R"({"Width":80,"Height":24})", R"({"Width":8)"});
  EXPECT_EQ(All(ended), (Sizes{{80, 24}}));
  ScriptedReader failed({R"({"Width":80,"Height":24})"}, /*fail_at_end=*/true);
  EXPECT_EQ(All(failed), (Sizes{{80, 24}}));
  // No closing brace within a few KiB: not a size message, stop reading.
  ScriptedReader endless({"{\"Width\":" + std::string(8192, ' '), "80,\"Height\":24}"});
  EXPECT_EQ(All(endless), Sizes{});
}

}  // namespace
}  // namespace berth::streaming
