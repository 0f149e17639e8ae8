// A Program is what realizing a graph runs: kernels, the buffer slots they read and write, the
// launch list and the memory plan. Programs are cached by the graph's signature (its structure
// with loads numbered, not their buffers), so realizing the same shape of graph again compiles
// nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kiln/compiler/kir/kir.h"
#include "kiln/compiler/node.h"
#include "kiln/runtime/buffer.h"

namespace kiln::ir {

struct CudaProgram;

struct Program {
  enum class SlotKind : uint8_t { Input, Output, Temp };
  struct Slot {
    SlotKind kind;
    int64_t index;  ///< Input / Output: position in the bind list; Temp: its allocation in the plan
    DType dtype;
    int64_t numel;
  };
  struct Launch {
    size_t kernel;
    std::vector<size_t> slots;  ///< one per kernel param
  };

  std::vector<kir::Kernel> kernels;
  std::vector<void*> entry_points;  ///< compiled kernels (void(void**)); null where evaluated
  std::vector<Slot> slots;
  std::vector<Launch> launches;
  size_t num_inputs = 0, num_outputs = 0;
  /// For an output whose node is also an earlier output (hash-consing makes equal
  /// expressions one node): that earlier output's index; -1 otherwise.
  std::vector<int64_t> output_copy_of;
  /// Per output: the input (signature order) whose buffer it is written into, or -1 for a new
  /// buffer per run (passes/in_place.h says when a requested in-place write is granted).
  std::vector<int64_t> in_place;
  std::vector<int64_t> temp_bytes;  ///< bytes of each shared temp allocation (the memory plan)
  std::vector<std::string> fusion_breaks;  ///< "node: reason" per materialized node
  int64_t peak_bytes = 0;                  ///< inputs + outputs + planned temps
  Device device;                           ///< where the kernels run (the graph's device)
  /// The kernels rendered, compiled and loaded for `device` when it is a GPU (cuda_program.h).
  std::shared_ptr<const CudaProgram> cuda;
};

/// The loads of a graph in the order a program binds them, and its signature.
struct GraphSignature {
  uint64_t hash = 0;
  std::vector<const Node*> loads;
  std::vector<const Node*> order;  ///< the graph in topological order (what the hash walked)
};
GraphSignature signature(const std::vector<NodeRef>& outputs);

/// The nodes a program for `graph` computes, one per output: simplified, and seen through
/// reshapes (an output that is a reshape of a computed node is that node's buffer).
std::vector<NodeRef> program_outputs(const std::vector<NodeRef>& graph);

/// Fuses, lowers and plans memory for the graph of `outputs` (no code generation yet).
/// `in_place` (empty, or one per output) asks for outputs to be written into an input's buffer:
/// per output, the input's index in signature order, or -1. The caller asks only for inputs
/// that nothing reads after the program (their old values die with it); the plan grants what
/// its launches allow (Program::in_place).
std::shared_ptr<Program> plan_program(const std::vector<NodeRef>& outputs,
                                      const std::vector<int64_t>& in_place = {});

/// A program cache key: the graph's signature hash with the in-place requests mixed in (a
/// program planned for other requests may write other buffers).
uint64_t program_key(uint64_t signature_hash, const std::vector<int64_t>& in_place);

/// Runs a program on its device: `inputs` bound in signature order; returns one buffer per
/// output: the input's for an in-place output (Program::in_place), else a new one. On a GPU the
/// work is queued on the device's stream (outputs are ready in stream order).
std::vector<runtime::BufferPtr> run_program(const Program& program,
                                            const std::vector<runtime::BufferPtr>& inputs);

/// The buffers of one run of a program: outputs (allocated on its device, or the inputs that
/// in-place outputs overwrite) and temporaries, and the address of every slot.
struct RunBuffers {
  std::vector<runtime::BufferPtr> outputs, temps;
  std::vector<void*> data;
};
RunBuffers allocate_run(const Program& program, const std::vector<runtime::BufferPtr>& inputs);
/// The run's outputs, with the copies output_copy_of asks for made.
std::vector<runtime::BufferPtr> finish_run(const Program& program, RunBuffers run);

}  // namespace kiln::ir
