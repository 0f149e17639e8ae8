// kiln-bench: runs fixed workloads through kiln, warmed up then repeated, and prints a table or
// JSON lines; --compare runs tools/bench/peer_torch.py (PyTorch eager and torch.compile) on the
// very same workloads in the same session and prints the two side by side; --summary prints the
// tables again from saved JSON lines. Timing method: measure.h. bw_ratio = gbps / copy's gbps
// from the same run; on the CPU, peak_ratio = a matmul's GFLOP/s / fma_peak's (peak.h), also
// measured in the same run.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kiln/runtime/cuda/driver.h"
#include "kiln/runtime/thread_pool.h"
#include "measure.h"
#include "peak.h"
#include "peer.h"
#include "report.h"
#include "warm_start.h"
#include "workloads.h"

namespace {

using kiln_bench::Result;

struct Options {
  kiln_bench::MeasureOptions measure;
  std::vector<std::string> workloads;
  double scale = 1.0;
  uint64_t seed = 0;
  bool json = false;
  bool compare = false;
  std::string summary;
};

/// A tiny realization on the CUDA device; the reason when it cannot run, nullopt when it can.
std::optional<std::string> cuda_unavailable_reason() {
  if (kiln::runtime::cuda::simulated()) {
    return "KILN_CUDA_SIM=1 selects kiln's CPU simulator of a CUDA device, whose timings say "
           "nothing about a GPU";
  }
  if (!kiln::cuda::is_available()) return "no CUDA driver or GPU was found";
  try {
    kiln::Tensor t = kiln::ones({4}, kiln::TensorOptions().device(kiln::Device(kiln::kCUDA, 0)));
    (t * 2).eval();
    kiln::synchronize();
  } catch (const std::exception& e) {
    return std::string("this build cannot run on CUDA: ") + e.what();
  }
  return std::nullopt;
}

/// --summary: the tables from saved JSON lines (kiln's, and the peer's with an "impl" key).
int print_summary(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    fmt::print(stderr, "kiln-bench: cannot read {}\n", path);
    return 1;
  }
  std::vector<Result> results;
  kiln_bench::PeerResults peer;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    try {
      auto j = nlohmann::json::parse(line);
      if (j.contains("impl")) {
        kiln_bench::add_peer_line(j, peer);
      } else {
        results.push_back(kiln_bench::result_from_json(j));
      }
    } catch (const std::exception& e) {
      fmt::print(stderr, "kiln-bench: skipping an unreadable line ({}): {}\n", e.what(), line);
    }
  }
  if (results.empty()) {
    fmt::print("kiln-bench: no kiln results in {}\n", path);
    return 1;
  }
  kiln_bench::print_table(results);
  kiln_bench::print_compare(results, peer);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{
      "kiln-bench: fixed workloads through kiln (warm-up, then the median of timed samples).\n"
      "Workloads: copy (y = x.clone(), or x*1 when clone launches no kernel: the machine's\n"
      "bandwidth), elementwise_chain (gelu(x*1.5+0.5)*sigmoid(x)), softmax (dim 1), layernorm\n"
      "((x-mean)/sqrt(var_biased+1e-5)*w+b over dim 1), sum (to a scalar), sort (the values\n"
      "along dim 1; CPU only), matmul, small_step\n"
      "(x + softmax(x@w, 1)*256 at [64,256]@[256,256]: the per-step launch and host overhead),\n"
      "mlp_step / mlp_step_eager (an Adam step of MLP 784-256-256-10, batch 256, with and\n"
      "without kiln::compile; kernels = launches per step, compile_ms = the first step),\n"
      "mlp_train / cnn_train (a compiled Adam step fed by the DataLoader, 2 workers, over\n"
      "Fashion-MNIST's training images: MLP 784-256-256-10 at batch 256; CNN conv(1->32,3x3)-\n"
      "relu-maxpool2-conv(32->64,3x3)-relu-maxpool2-linear(1600->10) at batch 128; a rep is one\n"
      "step with its batch), loader (the DataLoader alone, 2 workers, batch 256; a rep is one\n"
      "epoch). The data comes from $KILN_FASHION_MNIST or /usr/share/datasets/fashion-mnist\n"
      "(random stand-ins of the same shapes, noted, when the folder is missing); --scale keeps\n"
      "that fraction of the 60000 images. samples/s and batch/s: those per rep over the median),\n"
      "warm_start (cpu: a fresh process realizing ~10 kernels whose objects are in the disk\n"
      "cache; compile_ms = the same with an empty cache), fma_peak (cpu, before matmul: the\n"
      "FMA throughput a matmul's GFLOP/s is compared with).\n"
      "CPU sizes: 2^24 f32; [4096,1024] f32; 1024^3 f32. CUDA sizes: 2^26 f32; [8192,4096] f32\n"
      "and bf16; 4096^3 f32 and bf16. gbps counts the bytes the math must read and write;\n"
      "gflops is 2*M*N*K for matmul and 0 for the memory-bound workloads. A sample runs --batch\n"
      "reps back to back, then kiln::synchronize(); a rep's time is the sample's / batch."};
  app.add_option("-w,--workload", opt.workloads,
                 "run only these (repeatable or a comma list): copy, elementwise_chain, softmax, "
                 "layernorm, sum, matmul, small_step, mlp_step, mlp_step_eager, mlp_train, "
                 "cnn_train, loader, warm_start")
      ->delimiter(',')
      ->check(CLI::IsMember(kiln_bench::workload_names()));
  app.add_option("-d,--device", opt.measure.device, "cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  app.add_option("--reps", opt.measure.samples, "at least this many timed samples")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  int batch = 0;
  app.add_option("--batch", batch, "reps per timed sample (default: 1 on cpu, 10 on cuda)")
      ->check(CLI::PositiveNumber);
  app.add_option("--min-time", opt.measure.min_time, "and at least this many seconds of samples")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--max-time", opt.measure.max_time,
                 "but stop sampling a workload after this many seconds (at least one sample)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--scale", opt.scale,
                 "multiply sizes (1-D lengths and rows by SCALE, matmul dims by cbrt(SCALE)); "
                 "e.g. 0.01 for a smoke test")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", opt.seed, "seed for the inputs (kiln::manual_seed)")
      ->capture_default_str();
  app.add_flag("--json", opt.json,
               "one JSON object per line, each as soon as its workload is done: name device "
               "shape dtype median_ms min_ms gbps gflops compile_ms (+ kernels, bw_ratio, "
               "samples_per_s, batches_per_s, note)");
  app.add_flag("--compare", opt.compare,
               "also run tools/bench/peer_torch.py (python from $KILN_PYTHON or python3) on the "
               "same workloads and print kiln vs PyTorch eager / torch.compile");
  app.add_option("--summary", opt.summary,
                 "run nothing: print the tables from FILE, the JSON lines of an earlier "
                 "--json [--compare] run")
      ->check(CLI::ExistingFile);
  std::string warm_child;
  app.add_option("--warm-start-child", warm_child, "")->group("");  // warm_start's own children
  CLI11_PARSE(app, argc, argv);
  if (!warm_child.empty()) return kiln_bench::warm_start_child(warm_child);
  if (!opt.summary.empty()) return print_summary(opt.summary);
  opt.measure.batch = batch > 0 ? batch : opt.measure.device == "cuda" ? 10 : 1;

  if (opt.measure.device == "cuda") {
    if (auto why = cuda_unavailable_reason()) {
      fmt::print(stderr, "kiln-bench: --device cuda, but CUDA is not available ({})\n", *why);
      return 2;
    }
  }

  std::vector<Result> results;
  std::optional<double> copy_gbps, peak_gflops;
  int failed = 0;
  auto emit = [&](Result r) {
    if (opt.json) {
      fmt::print("{}\n", kiln_bench::to_json(r).dump());
      std::fflush(stdout);
    }
    results.push_back(std::move(r));
  };
  auto wants = [&](const char* name) {
    return opt.workloads.empty() ||
           std::find(opt.workloads.begin(), opt.workloads.end(), name) != opt.workloads.end();
  };
  if (opt.measure.device == "cpu" && wants("matmul")) {
    // The matmul's yardstick, measured in the same run as its bandwidth twin copy.
    if (auto peak =
            kiln_bench::measure_fma_peak(kiln::runtime::ThreadPool::instance().num_threads())) {
      peak_gflops = peak->gflops;
      emit(*peak);
    }
  }
  for (kiln_bench::Workload& w :
       kiln_bench::make_workloads(opt.measure.device, opt.scale, opt.seed, opt.workloads)) {
    try {
      Result r = kiln_bench::measure(w, opt.measure);
      if (r.name == "copy") copy_gbps = r.gbps;
      if (copy_gbps && *copy_gbps > 0) r.bw_ratio = r.gbps / *copy_gbps;
      if (peak_gflops && r.gflops > 0) {
        r.peak_ratio = r.gflops / *peak_gflops;
        r.note += fmt::format("{}{:.2f} of fma_peak", r.note.empty() ? "" : ", ", *r.peak_ratio);
      }
      emit(std::move(r));
    } catch (const std::exception& e) {
      ++failed;
      std::fflush(stdout);
      fmt::print(stderr, "kiln-bench: FAILED: {} ({}): {}\n", w.name, kiln::torch_name(w.dtype),
                 e.what());
    }
  }

  if (opt.measure.device == "cpu" && wants("warm_start")) {
    try {
      emit(kiln_bench::measure_warm_start(opt.measure.samples));
    } catch (const std::exception& e) {
      ++failed;
      fmt::print(stderr, "kiln-bench: FAILED: warm_start: {}\n", e.what());
    }
  }

  if (!opt.json) kiln_bench::print_table(results);
  if (opt.compare) {
    auto on_line = [&](const std::string& l) {
      if (!opt.json) return;
      fmt::print("{}{}", l, l.ends_with('\n') ? "" : "\n");
      std::fflush(stdout);
    };
    auto peer = kiln_bench::run_peer(opt.measure, opt.scale, opt.seed, results, on_line,
                                     opt.json ? stderr : stdout);
    if (!opt.json) kiln_bench::print_compare(results, peer);
  }
  return failed ? 1 : 0;
}
