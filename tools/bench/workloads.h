// kiln-bench workloads: fixed definitions, so that tools/bench/peer_torch.py runs the very same.
//
// Each workload makes realized inputs (rand with a fixed seed), builds its op graph from them
// (called once for the warm-up and once per timed rep: the same graph structure every time, so
// every rep after the warm-up is a program-cache hit) and validates the warm-up's result.
//
// bytes: the minimum the math needs, inputs read once plus outputs written once.
// flops: 2*M*N*K for matmul; 0 for the memory-bound workloads (their metric is GB/s).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <kiln/kiln.h>

namespace kiln_bench {

struct Workload {
  std::string name;   // "copy", "softmax", ... (the same name for every dtype)
  std::string shape;  // "[4096,1024]"; matmul: "[M,K]@[K,N]"
  kiln::DType dtype = kiln::kFloat32;
  double bytes = 0;
  double flops = 0;
  /// Training samples and batches one rep handles (0: not a data workload); they give the
  /// samples_per_s and batches_per_s of its result.
  double samples_per_rep = 0;
  double batches_per_rep = 0;
  /// Creates and realizes the inputs.
  std::function<std::vector<kiln::Tensor>()> make_inputs;
  /// Builds the (unrealized) result from the realized inputs.
  std::function<kiln::Tensor(const std::vector<kiln::Tensor>&)> build;
  /// Checks a realized result against a straightforward formula; throws std::runtime_error.
  std::function<void(const std::vector<kiln::Tensor>&, const kiln::Tensor&)> validate;
  /// A remark for the result, asked after make_inputs (e.g. that synthetic data stood in).
  std::function<std::string()> note;
};

/// The workload names, in run order.
const std::vector<std::string>& workload_names();

/// The workloads for `device` ("cpu" or "cuda"), every size multiplied by `scale` (1-D lengths and
/// row counts scale by `scale`, each matmul dimension by cbrt(scale); at least 1), in run order,
/// restricted to `only` when it is not empty. copy is written x.clone(); the driver switches it to
/// x * 1 (use_mul_one_copy) when clone launches no kernel (a clone of a realized tensor may share
/// its buffer lazily), since copy must read and write every element.
std::vector<Workload> make_workloads(const std::string& device, double scale, uint64_t seed,
                                     const std::vector<std::string>& only);

/// One Adam step of an MLP 784-256-256-10, batch 256 (train_workloads.cpp), through
/// kiln::compile or written out plainly.
Workload mlp_step_wl(const std::string& device, bool compiled, uint64_t seed);

/// mlp_train / cnn_train (cnn = true): a compiled Adam step fed by the DataLoader over
/// Fashion-MNIST (data_workloads.cpp), on the first `scale` * 60000 training images.
Workload data_train_wl(const std::string& device, bool cnn, double scale, uint64_t seed);

/// loader: one epoch of the DataLoader alone (2 workers, batch 256) per rep.
Workload data_loader_wl(const std::string& device, double scale, uint64_t seed);

/// Rewrites `w` (a copy workload) to use the form x * 1 instead of x.clone().
void use_mul_one_copy(Workload& w);

}  // namespace kiln_bench
