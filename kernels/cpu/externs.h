// The registry of hand-written C functions that kernel IR may call through an Extern statement
// (kir::extern_call): the JIT defines these symbols (compiler/src/compile.cpp) and the
// kernel-IR evaluator calls them by name. Each function's argument layout is described in its
// own header: the packed GEMM in cpu/gemm.h, the row sort in cpu/sort.h.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace kiln::kernels {

/// A C function that kernel IR may call through an Extern statement:
/// params are the kernel's data pointers (element 0 of each buffer), args int64 constants.
using ExternFn = void (*)(void* const* params, const int64_t* args);

struct ExternSymbol {
  const char* name;
  ExternFn fn;
};

/// Every function Extern statements may name.
const std::vector<ExternSymbol>& extern_symbols();
/// The function called `name`, or nullptr.
ExternFn find_extern(std::string_view name);

}  // namespace kiln::kernels
