#include "kiln/compiler/cuda_program.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "kiln/compiler/debug.h"
#include "kiln/runtime/cuda/blas.h"
#include "kiln/runtime/error.h"
#include "kiln/runtime/stats.h"
#include "kiln/runtime/thread_pool.h"

namespace kiln::ir {

namespace {

/// Dynamic shared memory a kernel may use without opting in.
constexpr int kDefaultSharedLimit = 48 * 1024;

/// A GEMM Extern step (argument layout: kernels/cpu/gemm.h) through cuBLASLt.
void run_gemm(const codegen::cuda::Step& step, const kir::Kernel& k, void* const* ptrs,
              int device) {
  const std::vector<int64_t>& a = step.int_args;
  KILN_CHECK(step.params.size() == 3 && a.size() == 12, "GEMM extern with a wrong argument list");
  runtime::cuda::GemmArgs g;
  g.dtype = k.params[static_cast<size_t>(step.params[2])].dtype;
  size_t item = static_cast<size_t>(itemsize(g.dtype));
  g.batch = a[0];
  g.m = a[1];
  g.n = a[2];
  g.k = a[3];
  g.a = static_cast<const char*>(ptrs[step.params[0]]) + static_cast<size_t>(a[4]) * item;
  g.a_batch_stride = a[5];
  g.a_row_stride = a[6];
  g.a_col_stride = a[7];
  g.b = static_cast<const char*>(ptrs[step.params[1]]) + static_cast<size_t>(a[8]) * item;
  g.b_batch_stride = a[9];
  g.b_row_stride = a[10];
  g.b_col_stride = a[11];
  g.c = ptrs[step.params[2]];
  runtime::cuda::blas_gemm(g, device);  // lowering guarantees a layout cuBLASLt reads
}

bool graphs_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("KILN_CUDA_GRAPHS");
    return v == nullptr || std::string(v) != "0";
  }();
  return on;
}

/// Queues every launch of `p` on its device's stream, with slot i at data[i]. With `trace`,
/// each launch is timed and printed (KILN_DEBUG=2).
void enqueue(const Program& p, const std::vector<void*>& data, bool trace) {
  const CudaProgram& cp = *p.cuda;
  std::vector<void*> ptrs;
  std::vector<void*> args;
  for (const auto& l : p.launches) {
    const kir::Kernel& k = p.kernels[l.kernel];
    const codegen::cuda::CudaKernel& ck = cp.kernels[l.kernel];
    ptrs.clear();
    for (size_t slot : l.slots) ptrs.push_back(data[slot]);
    args.clear();
    for (void*& ptr : ptrs) args.push_back(&ptr);
    std::unique_ptr<runtime::cuda::Timer> timer;
    if (trace) {
      timer = std::make_unique<runtime::cuda::Timer>(cp.device);
      timer->start();
    }
    for (size_t s = 0; s < ck.steps.size(); ++s) {
      const codegen::cuda::Step& step = ck.steps[s];
      if (step.kind == codegen::cuda::Step::Kind::Kernel) {
        runtime::cuda::launch(cp.functions[l.kernel][s], step.grid, step.block, step.shared_bytes,
                              args.data(), cp.device);
      } else {
        run_gemm(step, k, ptrs.data(), cp.device);
      }
    }
    if (trace) {
      double ms = timer->stop();
      debug_line(fmt::format("launch {} on cuda:{} {:.3f} ms {:.2f} GB/s", k.name, cp.device, ms,
                             static_cast<double>(k.bytes_minimum) / ms / 1e6));
    }
  }
}

/// Runs `p` at `data` through its CUDA graph cache (CudaGraphCache says when it captures).
void run_with_graphs(const Program& p, const std::vector<void*>& data) {
  const CudaProgram& cp = *p.cuda;
  CudaGraphCache& g = cp.graphs;
  std::lock_guard<std::mutex> lock(g.mu);
  for (const auto& [addresses, graph] : g.graphs) {
    if (addresses == data) {
      graph->launch();
      ++runtime::counters().cuda_graph_replays;
      return;
    }
  }
  bool seen = std::find(g.recent.begin(), g.recent.end(), data) != g.recent.end();
  g.recent.push_back(data);
  if (g.recent.size() > CudaGraphCache::kRecent) g.recent.erase(g.recent.begin());
  if (!seen || g.capture_failed) {
    enqueue(p, data, false);
    return;
  }
  // A program that cannot be captured runs launch by launch from then on.
  try {
    runtime::cuda::begin_capture(cp.device);
    try {
      enqueue(p, data, false);
    } catch (...) {
      runtime::cuda::end_capture(cp.device);
      throw;
    }
    std::unique_ptr<runtime::cuda::Graph> graph = runtime::cuda::end_capture(cp.device);
    graph->launch();
    if (g.graphs.size() >= CudaGraphCache::kRecent) g.graphs.erase(g.graphs.begin());
    g.graphs.emplace_back(data, std::move(graph));
  } catch (const Error& e) {
    g.capture_failed = true;
    if (debug_level() >= 1) debug_line(std::string("CUDA graph capture failed: ") + e.what());
    enqueue(p, data, false);
  }
}

}  // namespace

void compile_program_cuda(Program& p) {
  auto cp = std::make_shared<CudaProgram>();
  cp->device = p.device.index();
  cp->arch = runtime::cuda::arch(cp->device);
  cp->kernels.resize(p.kernels.size());
  std::vector<std::string> cubins(p.kernels.size());
  // Rendering and NVRTC run on their own threads; loading needs the calling thread's context.
  runtime::run_tasks(p.kernels.size(), [&](size_t i) {
    cp->kernels[i] = codegen::cuda::render(p.kernels[i]);
    if (debug_level() >= 4) {
      debug_line("cuda source of " + p.kernels[i].name + ":\n" +
                 codegen::cuda::source_without_prelude(cp->kernels[i]));
    }
    cubins[i] = codegen::cuda::compile_cubin(cp->kernels[i], p.kernels[i].name, cp->arch);
  });
  for (size_t i = 0; i < p.kernels.size(); ++i) {
    bool any_kernel = false;
    for (const auto& s : cp->kernels[i].steps)
      any_kernel |= s.kind == codegen::cuda::Step::Kind::Kernel;
    std::unique_ptr<runtime::cuda::Module> m;
    if (any_kernel) m = std::make_unique<runtime::cuda::Module>(cubins[i], cp->device);
    std::vector<void*> fns;
    for (const auto& s : cp->kernels[i].steps) {
      if (s.kind != codegen::cuda::Step::Kind::Kernel) {
        fns.push_back(nullptr);
        continue;
      }
      void* f = m->function(s.entry);
      if (s.shared_bytes > kDefaultSharedLimit) m->set_max_shared(f, s.shared_bytes);
      fns.push_back(f);
    }
    cp->modules.push_back(std::move(m));
    cp->functions.push_back(std::move(fns));
  }
  p.cuda = std::move(cp);
}

std::vector<runtime::BufferPtr> run_program_cuda(const Program& p,
                                                 const std::vector<runtime::BufferPtr>& inputs) {
  KILN_CHECK(p.cuda != nullptr, "run_program_cuda: program not compiled for CUDA");
  Device dev = p.device;
  for (const auto& in : inputs) {
    if (in->device() != dev) {
      throw DeviceError("[eval] a graph on " + dev.str() + " reads a buffer on " +
                        in->device().str());
    }
    in->await_copy();  // a DataLoader batch may still be on the copy stream
  }
  RunBuffers run = allocate_run(p, inputs);
  const std::vector<void*>& data = run.data;
  bool trace = debug_level() >= 2;
  if (trace || !graphs_enabled()) {
    enqueue(p, data, trace);
  } else {
    run_with_graphs(p, data);
  }
  return finish_run(p, std::move(run));
}

}  // namespace kiln::ir
