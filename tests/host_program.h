// Running a program planned for a GPU on the host, for tests without a GPU: every kernel through
// the kernel-IR evaluator, and cuBLASLt's 16-bit GEMM steps (no host function) through a
// stand-in. Used by tests/compiler/cuda_lowering_test.cpp and
// tests/frontend/gpu_lowering_property_test.cpp.
#pragma once

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kiln/compiler/kir/eval.h"
#include "kiln/compiler/program.h"
#include "kiln/runtime/buffer.h"

namespace kiln_test {

/// cuBLASLt's 16-bit GEMM as the GPU program calls it (argument layout: kernels/cpu/gemm.h),
/// on the host: 16-bit operands, f32 accumulation, the product rounded to the output's dtype.
inline void gemm_16_bit(const kiln::kir::Kernel& k, const kiln::kir::Stmt& call,
                        const std::vector<void*>& data) {
  const auto& a = call->int_args;
  int64_t batch = a[0], m = a[1], n = a[2], depth = a[3];
  const auto& p = call->params;
  kiln::DType at = k.params[p[0]].dtype, bt = k.params[p[1]].dtype, ct = k.params[p[2]].dtype;
  for (int64_t bi = 0; bi < batch; ++bi) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        float sum = 0;
        for (int64_t q = 0; q < depth; ++q) {
          double x =
              kiln::runtime::read_element(data[p[0]], at, a[4] + bi * a[5] + i * a[6] + q * a[7]);
          double y =
              kiln::runtime::read_element(data[p[1]], bt, a[8] + bi * a[9] + q * a[10] + j * a[11]);
          sum += static_cast<float>(x) * static_cast<float>(y);
        }
        kiln::runtime::write_element(data[p[2]], ct, (bi * m + i) * n + j, sum);
      }
    }
  }
}

/// Runs one kernel on the host: the kernel-IR evaluator, with cuBLASLt's 16-bit GEMM steps
/// (which have no host function) run by gemm_16_bit in their place.
inline void run_kernel(const kiln::kir::Kernel& k, const std::vector<void*>& data) {
  std::vector<kiln::kir::Stmt> rest;
  const auto& top = k.body->kind == kiln::kir::StmtKind::Block
                        ? k.body->body
                        : std::vector<kiln::kir::Stmt>{k.body};
  bool replaced = false;
  for (const auto& st : top) {
    bool half = st->kind == kiln::kir::StmtKind::Extern &&
                (st->symbol == "kiln_extern_gemm_f16" || st->symbol == "kiln_extern_gemm_bf16");
    if (!half) {
      rest.push_back(st);
      continue;
    }
    REQUIRE(rest.empty());  // the GEMM step comes first; its epilogue reads its product
    gemm_16_bit(k, st, data);
    replaced = true;
  }
  if (!replaced) return kiln::kir::evaluate(k, data);
  kiln::kir::Kernel without = k;
  without.body = kiln::kir::block(std::move(rest));
  kiln::kir::evaluate(without, data);
}

/// Runs `program` on the host, its inputs at `inputs` (signature order); returns each output's
/// values as doubles. Temporaries live in the plan's shared allocations (Program::temp_bytes),
/// so the memory plan's reuse is checked too.
inline std::vector<std::vector<double>> run_on_host(const kiln::ir::Program& program,
                                                    const std::vector<void*>& inputs) {
  using kiln::ir::Program;
  std::vector<std::vector<char>> temps;
  for (int64_t bytes : program.temp_bytes) temps.emplace_back(static_cast<size_t>(bytes));
  std::vector<std::vector<char>> memory(program.slots.size());
  std::vector<void*> address(program.slots.size());
  for (size_t i = 0; i < program.slots.size(); ++i) {
    const Program::Slot& s = program.slots[i];
    auto bytes = static_cast<size_t>(s.numel * kiln::itemsize(s.dtype));
    if (s.kind == Program::SlotKind::Input) {
      address[i] = inputs.at(static_cast<size_t>(s.index));
    } else if (s.kind == Program::SlotKind::Temp) {
      auto& block = temps.at(static_cast<size_t>(s.index));
      REQUIRE(block.size() >= bytes);
      address[i] = block.data();
    } else {
      memory[i].resize(bytes);
      address[i] = memory[i].data();
    }
  }
  for (const auto& launch : program.launches) {
    std::vector<void*> args;
    for (size_t slot : launch.slots) args.push_back(address[slot]);
    run_kernel(program.kernels[launch.kernel], args);
  }
  std::vector<std::vector<double>> out(program.num_outputs);
  for (size_t i = 0; i < program.slots.size(); ++i) {
    const Program::Slot& s = program.slots[i];
    if (s.kind != Program::SlotKind::Output) continue;
    auto& values = out[static_cast<size_t>(s.index)];
    for (int64_t j = 0; j < s.numel; ++j)
      values.push_back(kiln::runtime::read_element(address[i], s.dtype, j));
  }
  for (size_t o = 0; o < out.size(); ++o) {
    if (program.output_copy_of[o] >= 0)
      out[o] = out[static_cast<size_t>(program.output_copy_of[o])];
  }
  return out;
}

}  // namespace kiln_test
