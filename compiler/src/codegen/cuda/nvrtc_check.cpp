// $KILN_NVRTC_CHECK: compile every kernel the CPU path compiles as CUDA too (no launch), so
// that a test suite run on a machine without a GPU still proves the CUDA renderer's output
// compiles for the listed architectures. NVRTC's fixed cost per program (about as much as a
// kernel's own) is paid once per batch: kernels queue up and compile together, one program per
// arch, when the queue is full or on nvrtc_check_flush(); a failed batch is retried kernel by
// kernel to name the culprit. A kernel that compiled is remembered in the disk cache.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "codegen/cuda/prelude.h"
#include "kiln/compiler/codegen/cuda/cuda_codegen.h"
#include "kiln/runtime/disk_cache.h"
#include "kiln/runtime/error.h"
#include "kiln/runtime/nvrtc.h"

#ifndef KILN_VERSION
#error "KILN_VERSION is defined by compiler/CMakeLists.txt"
#endif

namespace kiln::codegen::cuda {

namespace {

constexpr size_t kBatch = 64;

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

std::string checked_key(const std::string& source) {
  return "nvrtc-check\n" + source + "\n;nvrtc " + std::to_string(runtime::nvrtc::version()) +
         "\n;kiln " KILN_VERSION "\n";
}

struct Pending {
  std::string name, source;
};

class Checker {
 public:
  ~Checker() {
    try {
      flush();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "kiln: KILN_NVRTC_CHECK at exit: %s\n", e.what());
    }
  }

  void add(const std::vector<kir::Kernel>& kernels) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& cache = runtime::DiskCache::instance();
    for (const auto& k : kernels) {
      if (!names_.insert(k.name).second) continue;  // the name is a hash of the kernel
      std::string source = render(k).source;
      if (cache.get(checked_key(source))) continue;
      pending_.push_back({k.name, std::move(source)});
    }
    if (pending_.size() >= kBatch) flush_locked();
  }

  void flush() {
    std::lock_guard<std::mutex> lock(mu_);
    flush_locked();
  }

 private:
  void flush_locked() {
    std::vector<Pending> batch;
    batch.swap(pending_);
    if (batch.empty()) return;
    std::string source = prelude();
    for (const auto& p : batch) source += source_without_prelude(CudaKernel{p.source, {}});
    const std::vector<int>& archs = nvrtc_check_archs();
    std::vector<std::exception_ptr> errors(archs.size());
    std::vector<std::thread> threads;
    for (size_t a = 0; a < archs.size(); ++a) {
      threads.emplace_back([&, a] {
        try {
          runtime::nvrtc::compile(source, "kiln_nvrtc_check_batch", archs[a]);
        } catch (...) {
          errors[a] = std::current_exception();
        }
      });
    }
    for (auto& t : threads) t.join();
    for (size_t a = 0; a < archs.size(); ++a) {
      if (!errors[a]) continue;
      // Name the kernel that fails (its own source is saved by nvrtc::compile).
      for (const auto& p : batch) runtime::nvrtc::compile(p.source, p.name, archs[a]);
      std::rethrow_exception(errors[a]);
    }
    auto& cache = runtime::DiskCache::instance();
    for (const auto& p : batch) cache.put(checked_key(p.source), {'o', 'k'});
  }

  std::mutex mu_;
  std::set<std::string> names_;
  std::vector<Pending> pending_;
};

Checker& checker() {
  // What the checker's destructor uses is made first, so that it is destroyed after it.
  runtime::DiskCache::instance();
  runtime::nvrtc::available();
  static Checker c;
  return c;
}

}  // namespace

const std::vector<int>& nvrtc_check_archs() {
  static const std::vector<int> archs = archs_from_env();
  return archs;
}

void nvrtc_check(const std::vector<kir::Kernel>& kernels) {
  if (nvrtc_check_archs().empty() || kernels.empty()) return;
  checker().add(kernels);
}

void nvrtc_check_flush() {
  if (nvrtc_check_archs().empty()) return;
  checker().flush();
}

}  // namespace kiln::codegen::cuda
