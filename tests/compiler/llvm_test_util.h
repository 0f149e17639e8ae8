// Helpers of the LLVM backend tests: typed buffers read and written as doubles, compiling,
// loading and running a kernel, and a one-loop elementwise kernel builder.
#pragma once

#if KILN_WITH_LLVM

#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "kiln/compiler/codegen/llvm_codegen.h"
#include "kiln/compiler/kir/kir.h"
#include "kiln/runtime/cpu_jit.h"
#include "kiln/runtime/dtype.h"
#include "kiln/runtime/error.h"

namespace kiln::test {

/// A flat buffer of one dtype, read and written as doubles.
struct Buf {
  DType t;
  std::vector<unsigned char> bytes;
  Buf(DType dtype, size_t n) : t(dtype), bytes(n * itemsize(dtype)) {}
  double get(size_t i) const {
    const unsigned char* p = bytes.data() + i * itemsize(t);
    switch (t) {
      case DType::Bool:
      case DType::UInt8: return *p;
      case DType::Int32: {
        int32_t v;
        std::memcpy(&v, p, 4);
        return v;
      }
      case DType::Int64: {
        int64_t v;
        std::memcpy(&v, p, 8);
        return static_cast<double>(v);
      }
      case DType::Float16: {
        uint16_t v;
        std::memcpy(&v, p, 2);
        return half_bits_to_float(v);
      }
      case DType::BFloat16: {
        uint16_t v;
        std::memcpy(&v, p, 2);
        return bfloat16_bits_to_float(v);
      }
      case DType::Float32: {
        float v;
        std::memcpy(&v, p, 4);
        return v;
      }
      case DType::Float64: {
        double v;
        std::memcpy(&v, p, 8);
        return v;
      }
    }
    return 0;
  }
  void set(size_t i, double x) {
    unsigned char* p = bytes.data() + i * itemsize(t);
    switch (t) {
      case DType::Bool: *p = x != 0; break;
      case DType::UInt8: *p = static_cast<uint8_t>(static_cast<int64_t>(x)); break;
      case DType::Int32: {
        auto v = static_cast<int32_t>(x);
        std::memcpy(p, &v, 4);
        break;
      }
      case DType::Int64: {
        auto v = static_cast<int64_t>(x);
        std::memcpy(p, &v, 8);
        break;
      }
      case DType::Float16: {
        auto v = float_to_half_bits(static_cast<float>(x));
        std::memcpy(p, &v, 2);
        break;
      }
      case DType::BFloat16: {
        auto v = float_to_bfloat16_bits(static_cast<float>(x));
        std::memcpy(p, &v, 2);
        break;
      }
      case DType::Float32: {
        auto v = static_cast<float>(x);
        std::memcpy(p, &v, 4);
        break;
      }
      case DType::Float64: std::memcpy(p, &x, 8); break;
    }
  }
  size_t size() const { return bytes.size() / itemsize(t); }
};

inline void run(const kir::Kernel& k, std::vector<Buf*> bufs) {
  auto fn = reinterpret_cast<void (*)(void**)>(
      runtime::CpuJit::instance().load(codegen::compile_object(k), k.name));
  std::vector<void*> args;
  for (Buf* b : bufs) args.push_back(b->bytes.data());
  fn(args.data());
}

inline kir::Param param(DType t, int64_t n, bool out) { return kir::Param{t, n, out}; }

/// out[i] = f(in[i]) for i in [0, n), one vectorizable loop.
inline kir::Kernel map_kernel(const std::string& name, DType in, DType out, int64_t n,
                              const std::function<kir::Expr(kir::Expr)>& f) {
  kir::Expr i = kir::var(0, n);
  kir::Kernel k;
  k.name = name;
  k.params = {param(in, n, false), param(out, n, true)};
  k.body = kir::loop(0, n, kir::LoopKind::Vectorizable, {kir::store(1, i, f(kir::load(0, in, i)))});
  return k;
}

/// got == want within rel * |want| + abs; NaN matches NaN, infinities match exactly.
inline bool near(double got, double want, double rel, double abs) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::fabs(got - want) <= rel * std::fabs(want) + abs;
}

}  // namespace kiln::test

#endif  // KILN_WITH_LLVM
