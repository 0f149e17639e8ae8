// The records behind a Tensor handle: a shared Storage (the flat node that defines the whole
// base buffer now, and a version counter) and per-handle view metadata.
#pragma once

#include <memory>
#include <vector>

#include "kiln/compiler/node.h"
#include "kiln/frontend/tensor.h"

namespace kiln::detail {

struct Storage {
  ir::NodeRef node;  ///< flat [numel] node defining the whole base buffer
  uint64_t version = 0;
  /// While an in-place write is pending: the load the storage held before it (set by the first
  /// write after a realization), whose buffer may receive the new value (donate.h). Not kept
  /// alive: only a pending graph that reads it does.
  std::weak_ptr<const ir::Node> home;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape sizes;
  Shape strides;
  int64_t offset = 0;
  /// A leaf that requires grad: read through ir::leaf_mark(storage node, leaf_id).
  bool requires_grad = false;
  /// The leaf this handle reads through (its own id, or its base's for a view); 0 for none.
  uint64_t leaf_id = 0;
  /// Made by detach(): reads its storage through ir::stop_gradient.
  bool detached = false;
  /// A view made without grad mode of a leaf that requires grad: that leaf's id (an in-place
  /// write through it with grad mode on throws, as in PyTorch); 0 otherwise.
  uint64_t no_grad_view_of = 0;
  bool retains_grad = false;
  Tensor grad;
};

/// A new handle on `base`'s storage with the given view.
Tensor make_view(const Tensor& base, Shape sizes, Shape strides, int64_t offset);

/// Graphs past this depth are realized as soon as a tensor reads them, so that a loop that
/// never reads a value keeps memory and compile time bounded.
inline constexpr int64_t kMaxPendingDepth = 2048;

/// Realizes `t`, whose graph is past kMaxPendingDepth: now, or with the others at the end of
/// the innermost live RealizeDeepTogether.
void realize_deep(const Tensor& t);

/// While alive, tensors past kMaxPendingDepth wait and are realized together when it ends, in
/// one program per device: backward's gradients of a deep network, one per parameter, would
/// otherwise each run a program over the shared part of the gradient graph (quadratic in the
/// depth). Tensors dropped before the end (temporaries) are not realized.
class RealizeDeepTogether {
 public:
  RealizeDeepTogether();
  ~RealizeDeepTogether() noexcept(false);
  RealizeDeepTogether(const RealizeDeepTogether&) = delete;
  RealizeDeepTogether& operator=(const RealizeDeepTogether&) = delete;

 private:
  std::vector<std::weak_ptr<TensorImpl>> waiting_;
  RealizeDeepTogether* outer_;
  int exceptions_;  // std::uncaught_exceptions() when it began
  friend void realize_deep(const Tensor& t);
};

/// Realizes the storages of these tensors in one program (the interpreter for now).
void realize(const std::vector<Tensor>& tensors);

/// Writes a text file atomically (temporary name, then rename); throws Error.
void write_text_file(const std::string& path, const std::string& text);

/// Throws Error naming `op` if t is undefined.
void check_defined(const char* op, const Tensor& t);

}  // namespace kiln::detail
