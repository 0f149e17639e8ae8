// Printing modules as libtorch does: a module's own line (pretty_print), then, when it has
// children, "(" and one "(name): child" line per child, indented two spaces per level.
#include <ostream>

#include "kiln/frontend/nn/module.h"

namespace kiln::nn {

void Module::pretty_print(std::ostream& stream) const { stream << name(); }

void Module::pretty_print_recursive(std::ostream& stream, const std::string& indentation) const {
  pretty_print(stream);
  if (children_.empty()) return;
  stream << "(\n";
  const std::string next = indentation + "  ";
  for (const auto& [name, child] : children_) {
    stream << next << "(" << name << "): ";
    child->pretty_print_recursive(stream, next);
    stream << '\n';
  }
  stream << indentation << ")";
}

std::ostream& operator<<(std::ostream& stream, const Module& module) {
  module.pretty_print_recursive(stream, "");
  return stream;
}

}  // namespace kiln::nn
