// The text form of graphs (text.h): the parser (the printer is text_print.cpp). It reads one line
// at a time with a small cursor and never recurses, so input depth cannot overflow the stack; every
// number is read with std::from_chars, which reports overflow instead of wrapping. Anything it
// cannot read throws FormatError naming the line; the nodes themselves are checked by make().
#include "kiln/compiler/text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <system_error>
#include <unordered_map>

#include <fmt/format.h>

#include "kiln/runtime/error.h"
#include "text_bits.h"

namespace kiln::ir {

namespace {

using text_detail::double_of;
using text_detail::kNegativeQuietNan;
using text_detail::kQuietNan;

// Which attributes an op may carry (the layout in node.h); the parser rejects the others.
enum AttrBit : unsigned { kInts = 1, kScalar = 2, kSeed = 4, kOffset = 8, kBuffer = 16 };

unsigned allowed_attrs(Op op) {
  switch (op) {
    case Op::Load: return kBuffer;
    case Op::Const: return kScalar | kInts;  // ints: the exact value of an integer constant
    case Op::Random: return kInts | kSeed | kOffset;
    case Op::Pad:
    case Op::Unfold: return kInts | kScalar;
    case Op::Max:
    case Op::Min: return kInts | kScalar;  // scalar 1: the gradient goes to the first extreme
    case Op::Iota:
    case Op::Sum:
    case Op::Prod:
    case Op::Permute:
    case Op::Slice:
    case Op::Flip:
    case Op::AsStrided:
    case Op::SetStrided:
    case Op::ArgSort:
    case Op::Gather:
    case Op::Scatter:
    case Op::Cumsum:
    case Op::Fold: return kInts;
    case Op::Neg:
    case Op::Exp:
    case Op::Log:
    case Op::Log1p:
    case Op::Expm1:
    case Op::Sqrt:
    case Op::Rsqrt:
    case Op::Abs:
    case Op::Sign:
    case Op::Sin:
    case Op::Cos:
    case Op::Tanh:
    case Op::Sigmoid:
    case Op::Erf:
    case Op::Floor:
    case Op::Ceil:
    case Op::Round:
    case Op::Reciprocal:
    case Op::Not:
    case Op::Cast:
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div:
    case Op::Pow:
    case Op::Maximum:
    case Op::Minimum:
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
    case Op::Eq:
    case Op::Ne:
    case Op::And:
    case Op::Or:
    case Op::Where:
    case Op::Reshape:
    case Op::Expand:
    case Op::MatMul: return 0;
  }
  return 0;
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/// Input text quoted for a message: printable ASCII only, at most 32 characters.
std::string quoted(std::string_view s) {
  constexpr size_t kMax = 32;
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    char c = s[i];
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (s.size() > kMax) out += "...";
  return out + "'";
}

/// A cursor over one line of text; every error it throws names the line.
class LineReader {
 public:
  LineReader(std::string_view line, size_t line_no) : s_(line), line_no_(line_no) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(fmt::format("[parse_graph] line {}: {}", line_no_, what));
  }

  bool at_end() {
    skip_spaces();
    return pos_ == s_.size();
  }
  bool peek(char c) {
    skip_spaces();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  bool accept(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  void expect(char c, const char* where) {
    if (!accept(c)) fail(fmt::format("expected '{}' {}, found {}", c, where, next_token()));
  }

  /// A run of letters, digits and underscores (possibly empty).
  std::string_view word() {
    skip_spaces();
    size_t start = pos_;
    while (pos_ < s_.size() && is_word_char(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  /// A device name: letters, digits and ':'.
  std::string_view device_word() {
    skip_spaces();
    size_t start = pos_;
    while (pos_ < s_.size() && (is_word_char(s_[pos_]) || s_[pos_] == ':')) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  /// "%N": a value name.
  uint64_t value_name(const char* where) {
    if (!accept('%'))
      fail(fmt::format("expected a value name like %0 {}, found {}", where, next_token()));
    if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') {
      fail(fmt::format("expected digits after '%', found {}", next_token()));
    }
    return integer<uint64_t>("value number");
  }

  /// A decimal integer of type T; rejects overflow and trailing letters or dots.
  template <typename T>
  T integer(const char* what) {
    skip_spaces();
    T v{};
    const char* begin = s_.data() + pos_;
    const char* end = s_.data() + s_.size();
    auto [ptr, ec] = std::from_chars(begin, end, v);
    size_t len = static_cast<size_t>(ptr - begin);
    if (ec == std::errc::invalid_argument) {
      fail(fmt::format("expected {}, found {}", what, next_token()));
    }
    if (ec == std::errc::result_out_of_range) {
      fail(fmt::format("{} {} is out of range", what, quoted(token_at(pos_))));
    }
    if (pos_ + len < s_.size() && (is_word_char(s_[pos_ + len]) || s_[pos_ + len] == '.')) {
      fail(fmt::format("bad {} {}", what, quoted(token_at(pos_))));
    }
    pos_ += len;
    return v;
  }

  /// A scalar as the printer writes it (scalar_str, text_print.cpp).
  double scalar() {
    skip_spaces();
    std::string_view tok = token_at(pos_);
    pos_ += tok.size();
    if (tok == "inf") return std::numeric_limits<double>::infinity();
    if (tok == "-inf") return -std::numeric_limits<double>::infinity();
    if (tok == "nan") return double_of(kQuietNan);
    if (tok == "-nan") return double_of(kNegativeQuietNan);
    constexpr std::string_view kNanPrefix = "nan(0x";
    if (tok.size() == kNanPrefix.size() + 17 && tok.substr(0, kNanPrefix.size()) == kNanPrefix &&
        tok.back() == ')') {
      uint64_t b = 0;
      const char* begin = tok.data() + kNanPrefix.size();
      const char* end = tok.data() + tok.size() - 1;
      auto [ptr, ec] = std::from_chars(begin, end, b, 16);
      if (ec == std::errc() && ptr == end && std::isnan(double_of(b))) return double_of(b);
      fail(fmt::format("bad nan payload {}", quoted(tok)));
    }
    bool plain = !tok.empty() && std::all_of(tok.begin(), tok.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
    });
    double v = 0.0;
    if (plain) {
      auto [ptr, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
      if (ec == std::errc::result_out_of_range)
        fail(fmt::format("scalar {} is out of range", quoted(tok)));
      if (ec == std::errc() && ptr == tok.data() + tok.size()) return v;
    }
    fail(fmt::format("bad scalar {}", tok.empty() ? next_token() : quoted(tok)));
  }

  /// What comes next, quoted, for messages.
  std::string next_token() {
    skip_spaces();
    if (pos_ == s_.size()) return "end of line";
    std::string_view tok = token_at(pos_);
    return quoted(tok.empty() ? s_.substr(pos_, 1) : tok);
  }

 private:
  void skip_spaces() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  /// The text from `at` to the next space, comma or bracket.
  std::string_view token_at(size_t at) const {
    size_t end = at;
    constexpr std::string_view kStops = " \t,()[]{}";
    while (end < s_.size() && kStops.find(s_[end]) == std::string_view::npos) ++end;
    // A nan payload keeps its parentheses.
    if (s_.substr(at, end - at) == "nan" && end < s_.size() && s_[end] == '(') {
      size_t close = s_.find(')', end);
      if (close != std::string_view::npos) end = close + 1;
    }
    return s_.substr(at, end - at);
  }

  std::string_view s_;
  size_t line_no_;
  size_t pos_ = 0;
};

void read_attrs(LineReader& r, Op op, Attrs* a) {
  unsigned seen = 0;
  if (r.accept('}')) return;
  do {
    std::string_view key = r.word();
    unsigned bit = 0;
    if (key == "ints") {
      bit = kInts;
    } else if (key == "scalar") {
      bit = kScalar;
    } else if (key == "seed") {
      bit = kSeed;
    } else if (key == "offset") {
      bit = kOffset;
    } else if (key == "buffer") {
      bit = kBuffer;
    } else {
      r.fail(key.empty() ? fmt::format("expected an attribute name, found {}", r.next_token())
                         : fmt::format("unknown attribute {}", quoted(key)));
    }
    if (seen & bit) r.fail(fmt::format("attribute '{}' given twice", key));
    if (!(allowed_attrs(op) & bit)) {
      r.fail(fmt::format("attribute '{}' does not apply to {}", key, op_name(op)));
    }
    seen |= bit;
    r.expect('=', "after the attribute name");
    switch (bit) {
      case kInts:
        r.expect('[', "to open the ints");
        if (!r.accept(']')) {
          do {
            a->ints.push_back(r.integer<int64_t>("integer"));
          } while (r.accept(','));
          r.expect(']', "to close the ints");
        }
        break;
      case kScalar: a->scalar = r.scalar(); break;
      case kSeed: a->seed = r.integer<uint64_t>("seed"); break;
      case kOffset: a->offset = r.integer<uint64_t>("offset"); break;
      case kBuffer: a->buffer_id = r.integer<uint64_t>("buffer id"); break;
    }
  } while (r.accept(','));
  r.expect('}', "to close the attributes");
}

Shape read_shape(LineReader& r) {
  Shape shape;
  r.expect('[', "to open the shape");
  if (!r.accept(']')) {
    do {
      shape.push_back(r.integer<int64_t>("dimension"));
    } while (r.accept(','));
    r.expect(']', "to close the shape");
  }
  // Bound the product of the sizes (taking 0 as 1, as contiguous strides do) so that neither the
  // element count nor any stride of the shape overflows.
  int64_t product = 1;
  for (int64_t d : shape) {
    if (d < 0) r.fail(fmt::format("negative dimension {} in shape {}", d, shape_str(shape)));
    if (__builtin_mul_overflow(product, std::max<int64_t>(d, 1), &product)) {
      r.fail(fmt::format("shape {} is too large (its size overflows int64)", shape_str(shape)));
    }
  }
  return shape;
}

using Values = std::unordered_map<uint64_t, NodeRef>;

const NodeRef& lookup(LineReader& r, const Values& values, uint64_t id) {
  auto it = values.find(id);
  if (it == values.end()) r.fail(fmt::format("%{} is not defined", id));
  return it->second;
}

void read_node(LineReader& r, Values* values) {
  uint64_t id = r.value_name("at the start of the line");
  if (values->count(id)) r.fail(fmt::format("%{} is defined twice", id));
  r.expect('=', "after the value name");
  std::string_view name = r.word();
  Op op = Op::Load;
  if (name.empty()) r.fail(fmt::format("expected an op name, found {}", r.next_token()));
  if (!op_from_name(std::string(name), &op)) r.fail(fmt::format("unknown op {}", quoted(name)));
  r.expect('(', "after the op name");
  std::vector<NodeRef> inputs;
  if (!r.accept(')')) {
    do {
      inputs.push_back(lookup(r, *values, r.value_name("as an input")));
    } while (r.accept(','));
    r.expect(')', "to close the inputs");
  }
  if (!takes_inputs(op, inputs.size())) {
    r.fail(fmt::format("{} takes {} input{}, got {}", op_name(op), op_arity(op),
                       op_arity(op) == 1 ? "" : "s", inputs.size()));
  }
  Attrs attrs;
  if (r.accept('{')) read_attrs(r, op, &attrs);
  r.expect(':', "before the type");
  std::string_view dtype_name = r.word();
  DType dtype = DType::Float32;
  try {
    dtype = dtype_from_short_name(std::string(dtype_name));
  } catch (const FormatError&) {
    r.fail(dtype_name.empty() ? fmt::format("expected a dtype, found {}", r.next_token())
                              : fmt::format("unknown dtype {}", quoted(dtype_name)));
  }
  Shape shape = read_shape(r);
  r.expect('@', "before the device");
  std::string_view device_name = r.device_word();
  Device device;
  try {
    device = Device(std::string(device_name));
  } catch (const DeviceError&) {
    r.fail(fmt::format("unknown device {}",
                       device_name.empty() ? r.next_token() : quoted(device_name)));
  }
  if (!r.at_end()) r.fail(fmt::format("unexpected {} after the device", r.next_token()));
  try {
    values->emplace(id,
                    make(op, std::move(inputs), dtype, std::move(shape), std::move(attrs), device));
  } catch (const InternalError& e) {
    r.fail(fmt::format("invalid node: {}", e.what()));
  } catch (const Error& e) {
    r.fail(fmt::format("invalid node: {}", e.what()));
  }
}

std::vector<NodeRef> read_return(LineReader& r, const Values& values) {
  std::vector<NodeRef> outputs;
  if (r.at_end()) return outputs;
  do {
    outputs.push_back(lookup(r, values, r.value_name("in the return list")));
  } while (r.accept(','));
  if (!r.at_end()) r.fail(fmt::format("unexpected {} in the return list", r.next_token()));
  return outputs;
}

}  // namespace

std::vector<NodeRef> parse_graph(const std::string& text) {
  Values values;
  std::optional<std::vector<NodeRef>> outputs;
  size_t line_no = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    LineReader r(line, line_no);
    if (r.at_end() || r.peek('#')) continue;
    if (outputs) r.fail("text after the return line");
    if (r.peek('%')) {
      read_node(r, &values);
      continue;
    }
    std::string_view keyword = r.word();
    if (keyword != "return") {
      r.fail(fmt::format("expected '%N = op(...)' or 'return', found {}",
                         keyword.empty() ? r.next_token() : quoted(keyword)));
    }
    outputs = read_return(r, values);
  }
  if (!outputs) {
    throw FormatError(
        fmt::format("[parse_graph] line {}: missing return line", std::max<size_t>(line_no, 1)));
  }
  return std::move(*outputs);
}

}  // namespace kiln::ir
