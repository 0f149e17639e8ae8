// The graph IR's text form: one SSA line per node in topological order, then the outputs.
//
//   %0 = load() {buffer=7} : f32[2, 3] @cpu
//   %1 = const() {scalar=2} : f32[2, 3] @cpu
//   %2 = mul(%0, %1) : f32[2, 3] @cpu
//   %3 = sum(%2) {ints=[1]} : f32[2, 1] @cpu
//   return %3, %2
//
// Attributes print only where they differ from their defaults (ints, scalar, seed, offset,
// buffer); scalars print with 17 significant digits, so every value reads back bit for bit.
// It is what dumps and bug reports show and what tests write by hand. Parsing rebuilds the nodes
// through make(), so a parsed graph is verified and interned like a built one: parsing a printed
// graph whose nodes are alive returns those very nodes.
#pragma once

#include <string>
#include <vector>

#include "kiln/compiler/node.h"

namespace kiln::ir {

/// The text form of the graph rooted at `outputs`. Deterministic: it depends only on the graph's
/// structure and the order of the outputs. Loads print their buffer's id, never its data.
std::string print_graph(const std::vector<NodeRef>& outputs);

/// Rebuilds the graph print_graph printed; returns the outputs of its `return` line. A load
/// becomes a placeholder load of the same buffer id with no data. Blank lines and lines starting
/// with '#' are skipped. Throws FormatError starting "[parse_graph] line N:" on any malformed
/// input, including a node that fails the verifier.
std::vector<NodeRef> parse_graph(const std::string& text);

}  // namespace kiln::ir
