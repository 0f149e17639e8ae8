// The on-disk kernel cache end to end: a program realized in a fresh process compiles and stores
// its kernels; the same program in a second fresh process loads every kernel from disk and gets
// the same result; corrupted entries are rebuilt. Each process is this test binary run again
// (the hidden [cache-child] case) with KILN_CACHE_DIR set in its environment before it starts,
// so the process-wide cache is configured from it.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "kiln/compiler/compile.h"
#include "kiln/runtime/cpu_jit.h"

namespace fs = std::filesystem;

namespace {

/// About ten kernels in one program: five matmuls of distinct shapes, each followed by a row
/// softmax, then a sum of squares.
kiln::Tensor ten_kernel_program(const std::vector<kiln::Tensor>& weights, const kiln::Tensor& x) {
  kiln::Tensor h = x;
  for (const auto& w : weights) h = kiln::softmax(h.matmul(w), 1);
  return (h * h).sum();
}

struct ChildResult {
  int64_t disk_cache_hits = -1;
  int64_t kernels_compiled = -1;
  int64_t objects_loaded = -1;
  double value = 0;
  double realize_ms = 0;
};

/// Runs this binary's [cache-child] case with `cache_dir` as KILN_CACHE_DIR.
ChildResult run_child(const fs::path& cache_dir, const fs::path& scratch) {
  fs::path out = scratch / "child.out";
  fs::path log = scratch / "child.log";
  fs::remove(out);
  std::string exe = fs::read_symlink("/proc/self/exe").string();
  std::string cmd = "env -u KILN_DISABLE_DISK_CACHE -u KILN_BACKEND KILN_CACHE_DIR='" +
                    cache_dir.string() + "' KILN_E2E_CHILD_OUT='" + out.string() + "' '" + exe +
                    "' '[cache-child]' > '" + log.string() + "' 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream logf(log);
  std::string log_text{std::istreambuf_iterator<char>(logf), std::istreambuf_iterator<char>()};
  INFO("child output:\n" << log_text);
  REQUIRE(rc == 0);
  std::ifstream in(out);
  ChildResult r;
  in >> r.disk_cache_hits >> r.kernels_compiled >> r.objects_loaded >> r.value >> r.realize_ms;
  REQUIRE(in);
  return r;
}

size_t entries_in(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().filename().string().size() == 32;
  return n;
}

}  // namespace

// Run by the test below in a fresh process; does nothing when run directly.
TEST_CASE("disk cache e2e child: realize the program and report", "[.][cache-child]") {
  const char* out = std::getenv("KILN_E2E_CHILD_OUT");
  if (out == nullptr) return;
  kiln::manual_seed(1234);
  kiln::Tensor x = kiln::randn({16, 24});
  std::vector<kiln::Tensor> weights;
  int64_t in = 24;
  for (int64_t n : {32, 40, 48, 56, 64}) {
    weights.push_back(kiln::randn({in, n}));
    in = n;
  }
  kiln::eval({x});
  kiln::eval(weights);
  kiln::reset_stats();
  int64_t loaded_before = kiln::runtime::CpuJit::instance().objects_loaded();
  auto start = std::chrono::steady_clock::now();
  kiln::Tensor y = ten_kernel_program(weights, x);
  y.eval();
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  kiln::Stats s = kiln::stats();
  std::ofstream f(out);
  f << s.disk_cache_hits << " " << s.kernels_compiled << " "
    << kiln::runtime::CpuJit::instance().objects_loaded() - loaded_before << " " << y.item<double>()
    << " " << ms << "\n";
}

TEST_CASE("disk cache e2e: a second process loads the kernels from disk", "[cache]") {
  if (!kiln::ir::can_compile_cpu()) {
    WARN("skipped: built without LLVM, nothing is compiled");
    return;
  }
  std::string templ = (fs::temp_directory_path() / "kiln-e2e-XXXXXX").string();
  REQUIRE(::mkdtemp(templ.data()) != nullptr);
  fs::path scratch = templ;
  fs::path cache_dir = scratch / "cache";

  ChildResult cold = run_child(cache_dir, scratch);
  CHECK(cold.disk_cache_hits == 0);
  CHECK(cold.kernels_compiled >= 5);
  REQUIRE(cold.objects_loaded > 0);
  REQUIRE(entries_in(cache_dir) >= static_cast<size_t>(cold.objects_loaded));
  struct stat st {};
  REQUIRE(::stat(cache_dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  ChildResult warm = run_child(cache_dir, scratch);
  CHECK(warm.disk_cache_hits > 0);
  // Every object the warm process linked came from the disk cache.
  CHECK(warm.disk_cache_hits == warm.objects_loaded);
  CHECK(warm.kernels_compiled == cold.kernels_compiled);
  CHECK(warm.value == Approx(cold.value).epsilon(1e-6));

  // Damaged entries are rebuilt: flip a byte near the end of every entry.
  for (const auto& e : fs::directory_iterator(cache_dir)) {
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-3, std::ios::end);
    char c = 0;
    f.get(c);
    f.seekp(-3, std::ios::end);
    f.put(static_cast<char>(c ^ 0x41));
  }
  ChildResult rebuilt = run_child(cache_dir, scratch);
  CHECK(rebuilt.disk_cache_hits == 0);
  CHECK(rebuilt.value == Approx(cold.value).epsilon(1e-6));
  ChildResult warm_again = run_child(cache_dir, scratch);
  CHECK(warm_again.disk_cache_hits == warm_again.objects_loaded);

  std::error_code ec;
  fs::remove_all(scratch, ec);
}
