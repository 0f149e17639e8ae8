// Built-in graphs for kiln-dump --example: small versions of the workloads users care about.
#pragma once

#include <string>
#include <vector>

#include "kiln/compiler/node.h"

namespace kiln::dump {

/// The names --example accepts.
std::vector<std::string> example_names();
/// The output nodes of the named example; throws kiln::Error for an unknown name.
std::vector<ir::NodeRef> example_graph(const std::string& name);

}  // namespace kiln::dump
