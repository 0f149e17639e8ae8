// The graph IR's node: an immutable op with inputs, shape, dtype, device and small attributes.
// Nodes are hash-consed: building a node structurally equal to a live one returns that one, so
// common-subexpression elimination is free and every node carries a structural hash. Shapes and
// dtypes are inferred and checked when a node is made (check_node), which is also the verifier.
//
// Attribute layout per op (Attrs::ints unless said):
//   load: buffer   const: scalar (+ ints = {exact value} for an integer past 2^53)   iota: [axis]
//   random: [dist] + seed, offset
//   reduce: sorted axes (the result keeps them as size 1) + for max/min scalar 1 when the
//     gradient goes to the first extreme element alone (reduce_first), 0 when it is split evenly
//     among the tied ones (amax)
//   permute: perm   flip: axes   pad: [before0, after0, before1, after1, ...] + scalar fill
//   slice: [start, stop, step] per dim   as_strided: strides..., offset (sizes are the node's
//   shape) set_strided(base[N], src): strides..., offset (the view's sizes are src's shape)
//   argsort: [axis, descending]   gather / scatter / cumsum: [axis]
//   unfold: Window (8 ints), OH, OW + scalar fill   fold: Window (8 ints), H, W (see Window)
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kiln/compiler/op.h"
#include "kiln/compiler/shape.h"
#include "kiln/runtime/buffer.h"
#include "kiln/runtime/device.h"
#include "kiln/runtime/dtype.h"

namespace kiln::ir {

/// The sliding windows of unfold and fold over the last two dims, in attrs order: kernel,
/// stride, padding, dilation, each (H, W). Window (i, j) at output position (p, q) reads input
/// row p * stride_h + i * dilation_h - padding_h (and likewise the column).
struct Window {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  std::vector<int64_t> ints() const { return {kh, kw, sh, sw, ph, pw, dh, dw}; }
  /// The first 8 attrs ints of an unfold or fold.
  static Window of(const std::vector<int64_t>& ints);
};

class Node;
using NodeRef = std::shared_ptr<const Node>;

/// Distributions of the random op.
enum class RandomDist : int64_t { Uniform = 0, Normal = 1 };

/// Small op-specific attributes (see the layout in the header comment).
struct Attrs {
  std::vector<int64_t> ints;
  double scalar = 0.0;
  uint64_t seed = 0;
  uint64_t offset = 0;
  uint64_t buffer_id = 0;  ///< load: the buffer read
  friend bool operator==(const Attrs& a, const Attrs& b);
};

class Node {
 public:
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  Op op() const { return op_; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t numel() const { return numel_of(shape_); }
  Device device() const { return device_; }
  const std::vector<NodeRef>& inputs() const { return inputs_; }
  const NodeRef& input(size_t i) const { return inputs_[i]; }
  const Attrs& attrs() const { return attrs_; }
  /// The buffer a load reads; null for a load parsed from text without data.
  const runtime::BufferPtr& buffer() const { return buffer_; }
  /// Structural hash over op, dtype, shape, device, attributes and the inputs' hashes.
  uint64_t hash() const { return hash_; }
  /// Longest path to a leaf (leaves are 0).
  int64_t depth() const { return depth_; }

 private:
  friend NodeRef make(Op, std::vector<NodeRef>, DType, Shape, Attrs, Device, runtime::BufferPtr);
  Node() = default;

  Op op_ = Op::Const;
  DType dtype_ = DType::Float32;
  Shape shape_;
  Device device_;
  std::vector<NodeRef> inputs_;
  Attrs attrs_;
  runtime::BufferPtr buffer_;
  uint64_t hash_ = 0;
  int64_t depth_ = 0;
};

/// Checks that (op, inputs, dtype, shape, attrs) is a valid node; throws InternalError naming the
/// broken invariant. make() calls it, so every live node satisfies it.
void check_node(Op op, const std::vector<NodeRef>& inputs, DType dtype, const Shape& shape,
                const Attrs& attrs, Device device);

/// The generic constructor: checks, hashes and interns. The typed helpers below call it.
NodeRef make(Op op, std::vector<NodeRef> inputs, DType dtype, Shape shape, Attrs attrs,
             Device device, runtime::BufferPtr buffer = nullptr);

// Leaves.
NodeRef load(runtime::BufferPtr buffer, Shape shape);
NodeRef constant(double value, DType dtype, Shape shape, Device device);
/// An integer constant, exact for every int64 (a double holds integers only up to 2^53).
NodeRef constant_int(int64_t value, DType dtype, Shape shape, Device device);
NodeRef iota(int64_t axis, DType dtype, Shape shape, Device device);
/// Whose class indices an int64 iota of classes is compared with (nll_loss's and one_hot's
/// compare-select): check_indices.h then checks that those indices lie in [0, classes), or
/// equal nll_loss's ignore_index. The iota's values are the same; its attrs are
/// {axis, kind, ignore_index}.
enum class ClassCheck : int64_t { NllLoss = 1, OneHot = 2 };
NodeRef class_iota(int64_t axis, Shape shape, Device device, ClassCheck check,
                   int64_t ignore_index = 0);
/// Element i is philox(seed, offset + stream, i), `stream` an optional int64 scalar read at run
/// time (a program replayed with another stream draws other numbers without recompiling).
NodeRef random(RandomDist dist, uint64_t seed, uint64_t offset, DType dtype, Shape shape,
               Device device, NodeRef stream = nullptr);

// Elementwise. Binary and ternary inputs must already share shape and dtype (the frontend
// broadcasts and promotes); comparisons and and/or give kBool.
NodeRef unary(Op op, NodeRef x);
NodeRef cast(NodeRef x, DType dtype);
NodeRef binary(Op op, NodeRef a, NodeRef b);
NodeRef where(NodeRef cond, NodeRef a, NodeRef b);

// Reductions keep reduced axes as size 1.
NodeRef reduce(Op op, NodeRef x, std::vector<int64_t> axes);
/// max or min, the same values as reduce(), whose gradient goes whole to one element of each
/// row, as PyTorch's max_pool2d routes its: the first extreme in row-major order over `axes`, or
/// where the result is NaN the last NaN; where x is an unfold, never a position it fills
/// (outside its input). reduce()'s gradient is split evenly among ties (amax).
NodeRef reduce_first(Op op, NodeRef x, std::vector<int64_t> axes);
/// True for a max or min made by reduce_first.
bool is_reduce_first(const Node& n);

// Movement.
NodeRef reshape(NodeRef x, Shape shape);
NodeRef permute(NodeRef x, std::vector<int64_t> perm);
NodeRef expand(NodeRef x, Shape shape);
NodeRef pad(NodeRef x, std::vector<int64_t> pads, double value);
NodeRef slice(NodeRef x, std::vector<int64_t> start_stop_step);
NodeRef flip(NodeRef x, std::vector<int64_t> axes);
NodeRef as_strided(NodeRef flat, Shape sizes, Shape strides, int64_t offset);
/// The windows of x [..., H, W] as [..., KH, KW, OH, OW]: element [.., i, j, p, q] is
/// x[.., p * sh + i * dh - ph, q * sw + j * dw - pw], or `fill` where that lies outside x
/// (im2col; max pooling fills with -inf).
NodeRef unfold(NodeRef x, const Window& w, int64_t oh, int64_t ow, double fill);

// Opaque.
NodeRef set_strided(NodeRef flat_base, NodeRef src, Shape strides, int64_t offset);
NodeRef matmul(NodeRef a, NodeRef b);
NodeRef argsort(NodeRef x, int64_t axis, bool descending);
/// How a gather's index values are checked (check_indices.h, the interpreter): Wrap accepts
/// [-size, size) and counts a negative index from the end (tensor indexing, internal gathers);
/// Gather and IndexSelect accept [0, size), as torch.gather and torch.index_select do, and name
/// themselves in the error. Wrap keeps the attrs {axis}; the others add the kind: {axis, kind}.
enum class GatherCheck : int64_t { Wrap = 0, Gather = 1, IndexSelect = 2 };
NodeRef gather(NodeRef x, NodeRef index, int64_t axis, GatherCheck check = GatherCheck::Wrap);
/// The op name a gather or scatter node reports its index errors under (gather, index_select,
/// index, scatter), and the least index it accepts (0, or -size of the indexed dim).
const char* index_op_name(const Node& n);
int64_t least_index(const Node& n);
NodeRef scatter(NodeRef x, NodeRef index, NodeRef src, int64_t axis);
NodeRef cumsum(NodeRef x, int64_t axis);
/// The adjoint of unfold (col2im): g [..., KH, KW, OH, OW] summed into [..., H, W], each
/// element where unfold would have read it (positions outside [H, W] are dropped).
NodeRef fold(NodeRef g, const Window& w, int64_t h, int64_t w_size);

/// Number of live interned nodes (for tests of hash-consing and leaks).
size_t interned_node_count();

}  // namespace kiln::ir
