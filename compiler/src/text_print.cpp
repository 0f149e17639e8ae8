// The text form of graphs (text.h): the printer. One line per node in topological order,
// `%id = op(%inputs) {attrs} : dtype[shape] @device`, then `return %ids`; scalars print with 17
// significant digits (or inf, nan and a NaN's payload), so a parsed graph is the same graph.
#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "kiln/compiler/graph.h"
#include "kiln/compiler/shape.h"
#include "kiln/compiler/text.h"
#include "kiln/runtime/error.h"
#include "text_bits.h"

namespace kiln::ir {

namespace {

using text_detail::bits_of;
using text_detail::kNegativeQuietNan;
using text_detail::kQuietNan;

/// A double that reads back bit for bit: 17 significant digits, inf, nan with its payload.
std::string scalar_str(double v) {
  if (std::isnan(v)) {
    uint64_t b = bits_of(v);
    if (b == kQuietNan) return "nan";
    if (b == kNegativeQuietNan) return "-nan";
    return fmt::format("nan(0x{:016x})", b);
  }
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.17g}", v);
}

std::string attrs_str(const Attrs& a) {
  std::vector<std::string> parts;
  if (!a.ints.empty()) parts.push_back("ints=" + shape_str(a.ints));
  if (bits_of(a.scalar) != 0) parts.push_back("scalar=" + scalar_str(a.scalar));
  if (a.seed != 0) parts.push_back(fmt::format("seed={}", a.seed));
  if (a.offset != 0) parts.push_back(fmt::format("offset={}", a.offset));
  if (a.buffer_id != 0) parts.push_back(fmt::format("buffer={}", a.buffer_id));
  if (parts.empty()) return "";
  std::string s = " {";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) s += ", ";
    s += parts[i];
  }
  return s + "}";
}

}  // namespace

std::string print_graph(const std::vector<NodeRef>& outputs) {
  for (const auto& out : outputs) KILN_CHECK(out != nullptr, "print_graph: null output");
  std::vector<const Node*> order = topo_order(outputs);
  std::unordered_map<const Node*, size_t> ids;
  ids.reserve(order.size());
  std::string s;
  for (const Node* n : order) {
    size_t id = ids.size();
    ids.emplace(n, id);
    s += fmt::format("%{} = {}(", id, op_name(n->op()));
    for (size_t i = 0; i < n->inputs().size(); ++i) {
      if (i) s += ", ";
      s += fmt::format("%{}", ids.at(n->input(i).get()));
    }
    s += ')';
    s += attrs_str(n->attrs());
    s += fmt::format(" : {}{} @{}\n", short_name(n->dtype()), shape_str(n->shape()),
                     n->device().str());
  }
  s += "return";
  for (size_t i = 0; i < outputs.size(); ++i) {
    s += i ? ", %" : " %";
    s += std::to_string(ids.at(outputs[i].get()));
  }
  return s + "\n";
}

}  // namespace kiln::ir
