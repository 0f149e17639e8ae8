// $KILN_NVRTC_CHECK: compile every kernel the CPU path compiles as CUDA too (no launch), so
// that a test suite run on a machine without a GPU still proves the CUDA renderer's output
// compiles for the listed architectures.
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "kiln/compiler/codegen/cuda/cuda_codegen.h"
#include "kiln/runtime/error.h"

namespace kiln::codegen::cuda {

namespace {

std::vector<int> archs_from_env() {
  std::vector<int> archs;
  const char* env = std::getenv("KILN_NVRTC_CHECK");
  std::string s = env ? env : "";
  size_t at = 0;
  while (at < s.size()) {
    size_t comma = s.find(',', at);
    std::string item = s.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (item.rfind("sm_", 0) == 0) item = item.substr(3);
    if (!item.empty()) {
      try {
        archs.push_back(std::stoi(item));
      } catch (const std::exception&) {
        throw Error("[KILN_NVRTC_CHECK] '" + s + "' is not a list of archs such as 80,90");
      }
    }
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return archs;
}

}  // namespace

const std::vector<int>& nvrtc_check_archs() {
  static const std::vector<int> archs = archs_from_env();
  return archs;
}

void nvrtc_check(const std::vector<kir::Kernel>& kernels) {
  const std::vector<int>& archs = nvrtc_check_archs();
  if (archs.empty() || kernels.empty()) return;
  std::vector<CudaKernel> rendered;
  for (const auto& k : kernels) rendered.push_back(render(k));
  size_t jobs = kernels.size() * archs.size();
  size_t workers = std::min<size_t>(jobs, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::exception_ptr> errors(workers);
  std::vector<std::thread> threads;
  for (size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      try {
        for (size_t j = w; j < jobs; j += workers) {
          size_t k = j / archs.size();
          compile_cubin(rendered[k], kernels[k].name, archs[j % archs.size()]);
        }
      } catch (...) {
        errors[w] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace kiln::codegen::cuda
