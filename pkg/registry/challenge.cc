#include "pkg/registry/challenge.h"

#include <cctype>

namespace berth::registry {
namespace {

// RFC 7230 token characters.
bool IsTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
    case '/':
      return true;
    default:
      return false;
  }
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  void SkipSpace() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  void SkipSpaceAndCommas() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == ',')) ++i_;
  }
  std::string_view Token() {
    size_t start = i_;
    while (!done() && IsTokenChar(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  // Also allows token68 ("abc==") as a value.
  std::string Value() {
    if (peek() != '"') {
      size_t start = i_;
      while (!done() && (IsTokenChar(s_[i_]) || s_[i_] == '=' || s_[i_] == ':')) ++i_;
      return std::string(s_.substr(start, i_ - start));
    }
    ++i_;
    std::string out;
    while (!done() && s_[i_] != '"') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
      out.push_back(s_[i_++]);
    }
    if (!done()) ++i_;  // closing quote
    return out;
  }
  // True when the next token is followed by '=' (a parameter, not a new scheme).
  bool NextIsParam() const {
    size_t j = i_;
    while (j < s_.size() && IsTokenChar(s_[j])) ++j;
    if (j == i_) return false;
    while (j < s_.size() && (s_[j] == ' ' || s_[j] == '\t')) ++j;
    return j < s_.size() && s_[j] == '=';
  }
  void Consume(char c) {
    if (peek() == c) ++i_;
  }
  void SkipToComma() {
    while (!done() && s_[i_] != ',') ++i_;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::vector<Challenge> ParseWwwAuthenticate(std::string_view header) {
  std::vector<Challenge> out;
  Cursor cur(header);
  while (true) {
    cur.SkipSpaceAndCommas();
    if (cur.done()) break;
    std::string_view scheme = cur.Token();
    if (scheme.empty()) {
      cur.SkipToComma();
      continue;
    }
    Challenge ch;
    ch.scheme = Lower(scheme);
    cur.SkipSpace();
    while (true) {
      cur.SkipSpaceAndCommas();
      if (!cur.NextIsParam()) break;  // end, a new challenge, or garbage
      std::string key = Lower(cur.Token());
      cur.SkipSpace();
      cur.Consume('=');
      cur.SkipSpace();
      ch.params[key] = cur.Value();
      cur.SkipSpace();
      if (!cur.done() && cur.peek() != ',') cur.SkipToComma();  // trailing junk
    }
    out.push_back(std::move(ch));
  }
  return out;
}

}  // namespace berth::registry
