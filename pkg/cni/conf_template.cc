#include "pkg/cni/conf_template.h"

#include <algorithm>
#include <optional>

#include "pkg/base/quote.h"

namespace berth::cni {
namespace {

// A template is a few dozen lines; deeper nesting than this is garbage.
constexpr int kMaxDepth = 16;

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

Status ErrorAt(int line, const std::string& what) {
  return InvalidArgument("line " + std::to_string(line) + ": " + what);
}

// --- lexing: the text split into literal text and {{actions}} ---

struct Item {
  bool action = false;
  std::string text;  // literal text, or the action's inside without markers and blanks
  int line = 1;      // where it starts
};

Result<std::vector<Item>> Lex(std::string_view in) {
  std::vector<Item> items;
  // Lines are counted forward only: positions asked for never go back.
  int line = 1;
  size_t counted_to = 0;
  const auto line_at = [&](size_t pos) {
    line += static_cast<int>(std::count(in.begin() + counted_to, in.begin() + pos, '\n'));
    counted_to = pos;
    return line;
  };
  bool trim_leading = false;  // the action before ended in " -}}"
  size_t pos = 0;
  while (true) {
    const size_t open = in.find("{{", pos);
    std::string_view text = in.substr(pos, open == std::string_view::npos ? open : open - pos);
    if (trim_leading) {
      while (!text.empty() && IsBlank(text.front())) text.remove_prefix(1);
    }
    const int text_line = line_at(pos);
    if (open == std::string_view::npos) {
      items.push_back({false, std::string(text), text_line});
      return items;
    }
    size_t inner = open + 2;
    if (in.size() > inner + 1 && in[inner] == '-' && IsBlank(in[inner + 1])) {  // "{{- "
      while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
      inner += 1;
    }
    items.push_back({false, std::string(text), text_line});
    const int action_line = line_at(open);

    // A comment may hold "}}": it ends at "*/" and the braces after it.
    size_t body_start = inner;
    while (body_start < in.size() && IsBlank(in[body_start])) ++body_start;
    size_t search_from = inner;
    const bool comment = in.substr(body_start, 2) == "/*";
    if (comment) {
      const size_t comment_end = in.find("*/", body_start + 2);
      if (comment_end == std::string_view::npos) return ErrorAt(action_line, "unclosed comment");
      search_from = comment_end + 2;
    }
    const size_t close = in.find("}}", search_from);
    if (close == std::string_view::npos) return ErrorAt(action_line, "unclosed action \"{{\"");
    std::string_view body = in.substr(inner, close - inner);
    trim_leading = body.size() >= 2 && body.back() == '-' && IsBlank(body[body.size() - 2]);
    if (trim_leading) body.remove_suffix(1);
    body = Trim(body);
    if (comment && !body.ends_with("*/")) {
      return ErrorAt(action_line, "text after a comment in the same action");
    }
    if (!comment) items.push_back({true, std::string(body), action_line});
    pos = close + 2;
  }
}

// --- parsing: actions into a tree ---

struct Operand {
  enum Kind { kField, kVariable, kDot } kind = kDot;
  std::string name;  // field or variable name, without "." or "$"
};

struct Node {
  enum Kind { kText, kPrint, kRange, kIf } kind = kText;
  int line = 0;
  std::string text;                   // kText
  Operand operand;                    // printed, tested, or ranged over
  std::string index_var, value_var;   // kRange: "" when not declared
  std::vector<Node> body, otherwise;  // otherwise: kIf's {{else}}
};

Result<Operand> ParseOperand(std::string_view s, int line) {
  const auto unsupported = [&] {
    return ErrorAt(line, "unsupported expression " + QuoteForMessage(s, 80) +
                             " (only .PodCIDR, .PodCIDRRanges, .Routes, . and $variables)");
  };
  if (s == ".") return Operand{Operand::kDot, ""};
  if (s.size() < 2 || (s[0] != '.' && s[0] != '$')) return unsupported();
  if (!std::all_of(s.begin() + 1, s.end(), IsNameChar)) return unsupported();
  return Operand{s[0] == '.' ? Operand::kField : Operand::kVariable, std::string(s.substr(1))};
}

Result<std::string> ParseVariableName(std::string_view s, int line) {
  s = Trim(s);
  if (s.size() < 2 || s[0] != '$' || !std::all_of(s.begin() + 1, s.end(), IsNameChar)) {
    return ErrorAt(line, "range declares " + QuoteForMessage(s, 40) + ", not a $variable");
  }
  return std::string(s.substr(1));
}

// "range $i, $v := .List", "range $v := .List" or "range .List".
Status ParseRange(std::string_view spec, Node* node) {
  const size_t assign = spec.find(":=");
  std::string_view list = spec;
  if (assign != std::string_view::npos) {
    std::string_view vars = spec.substr(0, assign);
    list = spec.substr(assign + 2);
    const size_t comma = vars.find(',');
    if (comma != std::string_view::npos) {
      BERTH_ASSIGN_OR_RETURN(node->index_var, ParseVariableName(vars.substr(0, comma), node->line));
      vars = vars.substr(comma + 1);
    }
    BERTH_ASSIGN_OR_RETURN(node->value_var, ParseVariableName(vars, node->line));
  }
  BERTH_ASSIGN_OR_RETURN(node->operand, ParseOperand(Trim(list), node->line));
  return OkStatus();
}

class Parser {
 public:
  explicit Parser(const std::vector<Item>& items) : items_(items) {}

  // Nodes up to the end of the input (`depth` 0) or up to "end"/"else",
  // which is left in `*stop`.
  Result<std::vector<Node>> Parse(int depth, std::string* stop) {
    if (depth > kMaxDepth) return ErrorAt(Line(), "blocks nested too deep");
    std::vector<Node> nodes;
    while (pos_ < items_.size()) {
      const Item& item = items_[pos_++];
      Node node;
      node.line = item.line;
      if (!item.action) {
        node.text = item.text;
        nodes.push_back(std::move(node));
        continue;
      }
      const std::string_view a = item.text;
      if (a == "end" || a == "else") {
        if (depth == 0) return ErrorAt(item.line, "{{" + item.text + "}} without a block");
        *stop = item.text;
        return nodes;
      }
      if (a.starts_with("range ") || a.starts_with("if ")) {
        BERTH_RETURN_IF_ERROR(ParseBlock(item, depth, &node));
      } else {
        node.kind = Node::kPrint;
        BERTH_ASSIGN_OR_RETURN(node.operand, ParseOperand(a, item.line));
      }
      nodes.push_back(std::move(node));
    }
    if (depth > 0) return ErrorAt(Line(), "a block is not closed with {{end}}");
    return nodes;
  }

 private:
  Status ParseBlock(const Item& item, int depth, Node* node) {
    const std::string_view a = item.text;
    std::string stop;
    if (a.starts_with("range ")) {
      node->kind = Node::kRange;
      BERTH_RETURN_IF_ERROR(ParseRange(Trim(a.substr(6)), node));
      BERTH_ASSIGN_OR_RETURN(node->body, Parse(depth + 1, &stop));
      if (stop == "else") return ErrorAt(item.line, "{{else}} in a range is not supported");
      return OkStatus();
    }
    node->kind = Node::kIf;
    BERTH_ASSIGN_OR_RETURN(node->operand, ParseOperand(Trim(a.substr(3)), item.line));
    BERTH_ASSIGN_OR_RETURN(node->body, Parse(depth + 1, &stop));
    if (stop == "else") {
      BERTH_ASSIGN_OR_RETURN(node->otherwise, Parse(depth + 1, &stop));
      if (stop == "else") return ErrorAt(item.line, "an {{if}} with two {{else}}");
    }
    return OkStatus();
  }

  int Line() const { return items_.empty() ? 1 : items_[std::min(pos_, items_.size() - 1)].line; }

  const std::vector<Item>& items_;
  size_t pos_ = 0;
};

// --- rendering ---

struct Value {
  enum Kind { kString, kIndex, kList } kind = kString;
  std::string text;                                // kString
  size_t index = 0;                                // kIndex
  const std::vector<std::string>* list = nullptr;  // kList

  bool Truthy() const {
    switch (kind) {
      case kString:
        return !text.empty();
      case kIndex:
        return index != 0;
      case kList:
        return !list->empty();
    }
    return false;
  }
};

class Renderer {
 public:
  explicit Renderer(const ConfTemplateData& data) : data_(data) {}

  Status Render(const std::vector<Node>& nodes, std::string* out) {
    for (const Node& node : nodes) {
      switch (node.kind) {
        case Node::kText:
          *out += node.text;
          break;
        case Node::kPrint:
          BERTH_RETURN_IF_ERROR(Print(node, out));
          break;
        case Node::kIf: {
          BERTH_ASSIGN_OR_RETURN(Value v, Evaluate(node.operand, node.line));
          BERTH_RETURN_IF_ERROR(Render(v.Truthy() ? node.body : node.otherwise, out));
          break;
        }
        case Node::kRange:
          BERTH_RETURN_IF_ERROR(Range(node, out));
          break;
      }
    }
    return OkStatus();
  }

 private:
  Status Print(const Node& node, std::string* out) {
    BERTH_ASSIGN_OR_RETURN(Value v, Evaluate(node.operand, node.line));
    if (v.kind == Value::kList) {
      return ErrorAt(node.line, "cannot print a list; range over it");
    }
    *out += v.kind == Value::kIndex ? std::to_string(v.index) : v.text;
    return OkStatus();
  }

  Status Range(const Node& node, std::string* out) {
    BERTH_ASSIGN_OR_RETURN(Value v, Evaluate(node.operand, node.line));
    if (v.kind != Value::kList) return ErrorAt(node.line, "range over something not a list");
    const std::optional<Value> outer_dot = dot_;
    const size_t outer_vars = vars_.size();
    for (size_t i = 0; i < v.list->size(); ++i) {
      Value element{Value::kString, (*v.list)[i]};
      dot_ = element;
      vars_.resize(outer_vars);
      if (!node.index_var.empty()) vars_.emplace_back(node.index_var, Value{Value::kIndex, "", i});
      if (!node.value_var.empty()) vars_.emplace_back(node.value_var, element);
      BERTH_RETURN_IF_ERROR(Render(node.body, out));
    }
    vars_.resize(outer_vars);
    dot_ = outer_dot;
    return OkStatus();
  }

  Result<Value> Evaluate(const Operand& operand, int line) const {
    switch (operand.kind) {
      case Operand::kDot:
        if (!dot_) return ErrorAt(line, "{{.}} is only meaningful inside a range");
        return *dot_;
      case Operand::kVariable:
        // Innermost first, so an inner range's variable hides an outer one.
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
          if (it->first == operand.name) return it->second;
        }
        return ErrorAt(line, "undefined variable $" + operand.name);
      case Operand::kField:
        if (operand.name == "PodCIDR") return Value{Value::kString, data_.pod_cidr};
        if (operand.name == "PodCIDRRanges")
          return Value{Value::kList, "", 0, &data_.pod_cidr_ranges};
        if (operand.name == "Routes") return Value{Value::kList, "", 0, &data_.routes};
        return ErrorAt(line, "unknown field ." + operand.name +
                                 " (fields: .PodCIDR, .PodCIDRRanges, .Routes)");
    }
    return Internal("unreachable operand kind");
  }

  const ConfTemplateData& data_;
  std::optional<Value> dot_;                         // the element inside a range
  std::vector<std::pair<std::string, Value>> vars_;  // declared by enclosing ranges
};

}  // namespace

ConfTemplateData TemplateDataFor(const std::vector<PodCidr>& cidrs) {
  ConfTemplateData data;
  for (const PodCidr& c : cidrs) data.pod_cidr_ranges.push_back(c.text);
  if (!data.pod_cidr_ranges.empty()) data.pod_cidr = data.pod_cidr_ranges.front();
  data.routes = DefaultRoutesFor(cidrs);
  return data;
}

Result<std::string> RenderConfTemplate(std::string_view text, const ConfTemplateData& data) {
  BERTH_ASSIGN_OR_RETURN(std::vector<Item> items, Lex(text));
  Parser parser(items);
  std::string stop;
  BERTH_ASSIGN_OR_RETURN(std::vector<Node> nodes, parser.Parse(0, &stop));
  std::string out;
  BERTH_RETURN_IF_ERROR(Renderer(data).Render(nodes, &out));
  return out;
}

}  // namespace berth::cni
