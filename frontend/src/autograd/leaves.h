// Autograd identities in the frontend. A tensor made to require grad (a leaf) gets a fresh id
// and is read through ir::leaf_mark(storage node, id); these helpers find the leaves a graph
// depends on and map ids back to the tensors whose .grad() they fill.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "kiln/compiler/node.h"
#include "tensor_impl.h"

namespace kiln::detail {

/// A fresh leaf id for `leaf` (registered so that backward() can find it).
uint64_t register_leaf(const std::shared_ptr<TensorImpl>& leaf);
/// The leaf tensor of an id; null once it is gone or no longer requires grad.
std::shared_ptr<TensorImpl> find_leaf(uint64_t id);

/// Remembers a non-leaf tensor that called retain_grad().
void register_retained(const std::shared_ptr<TensorImpl>& t);
/// The live tensors that called retain_grad().
std::vector<std::shared_ptr<TensorImpl>> retained_tensors();

// Realizing a tensor replaces its storage's node by a load of the result. When that node
// depended on leaves, realize() remembers it for the load (while the load lives), so that a
// tensor read or printed before backward() still differentiates, as in PyTorch. The walks below
// see through remembered loads; they never cross a stop_gradient or a non-floating node. A graph
// that reads a buffer overwritten in place since (an optimizer's step updates the parameters a
// realized loss was computed from) is dropped: the load still requires grad, and
// differentiating through it throws, as PyTorch does for a value modified by an inplace
// operation.

/// Remembers `expr` as the graph that computed `load`, if it depends on a leaf.
void remember_graph(const ir::NodeRef& load, const ir::NodeRef& expr);
/// The graphs remembered for live loads (for counting who refers to a node: donate.h).
std::vector<ir::NodeRef> remembered_graphs();
/// Marks the remembered graphs that read one of `buffers` (just overwritten in place) as
/// overwritten: they are dropped, and differentiating through their loads throws.
void forget_graphs_reading(const std::unordered_set<const runtime::Buffer*>& buffers);

/// True when realize() remembers a graph for this load.
bool has_remembered_graph(const ir::Node& load);
/// Drops the graphs remembered for loads that are gone (so that they no longer hold the nodes
/// and buffers they read: an in-place write needs the old value's only holders to be known).
void forget_dead_graphs();

/// True when a leaf mark is reachable from `n`.
bool depends_on_leaf(const ir::NodeRef& n);

/// Every leaf mark reachable from `outputs`, by leaf id.
std::unordered_map<uint64_t, std::vector<ir::NodeRef>> leaf_marks(
    const std::vector<ir::NodeRef>& outputs);

using NodeMap = std::unordered_map<const ir::Node*, ir::NodeRef>;

/// The graph of `outputs` with every remembered load replaced by the graph that computed it;
/// `expanded_loads`, when given, maps each such graph (as rebuilt) back to its load.
std::vector<ir::NodeRef> expand_realized(const std::vector<ir::NodeRef>& outputs,
                                         NodeMap* expanded_loads = nullptr);

/// The graph of `outputs` with the nodes of `replace` swapped for their values there.
std::vector<ir::NodeRef> replace_nodes(const std::vector<ir::NodeRef>& outputs,
                                       const NodeMap& replace);

/// Throws Error "[op] a leaf Variable that requires grad is being used in an in-place
/// operation." when grad mode is on and t is such a leaf or a view of one.
void check_inplace(const char* op, const Tensor& t);

}  // namespace kiln::detail
