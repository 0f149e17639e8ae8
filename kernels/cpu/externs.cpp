#include "cpu/externs.h"

#include "cpu/gemm.h"
#include "cpu/sort.h"

namespace kiln::kernels {

const std::vector<ExternSymbol>& extern_symbols() {
  static const std::vector<ExternSymbol> symbols = {
      {"kiln_extern_gemm_f32", &kiln_extern_gemm_f32},
      {"kiln_extern_gemm_f64", &kiln_extern_gemm_f64},
      {"kiln_extern_gemm_f32_epilogue", &kiln_extern_gemm_f32_epilogue},
      {"kiln_extern_gemm_f64_epilogue", &kiln_extern_gemm_f64_epilogue},
      {"kiln_extern_argsort", &kiln_extern_argsort},
  };
  return symbols;
}

ExternFn find_extern(std::string_view name) {
  for (const auto& s : extern_symbols()) {
    if (name == s.name) return s.fn;
  }
  return nullptr;
}

}  // namespace kiln::kernels
