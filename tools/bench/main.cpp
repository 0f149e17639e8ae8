// kiln-bench: runs fixed workloads through kiln, warmed up then repeated, and prints a table or
// JSON lines; --compare runs tools/bench/peer_torch.py (PyTorch eager and torch.compile) on the
// very same workloads in the same session and prints the two side by side.
//
// Timing: inputs are created and realized first; the op graph is built and realized once as the
// warm-up (compile_ms = its wall time: fusion + LLVM compilation, or a disk-cache load); then each
// rep builds the same graph from the same realized inputs and calls eval() (a program-cache hit),
// timed with std::chrono::steady_clock, until at least --reps reps and --min-time seconds.
// median_ms / min_ms are over the reps. gbps = (bytes the math must read + write) / median.
// gflops = 2*M*N*K / median for matmul, 0 for the memory-bound workloads. kernels = kernel
// launches per rep (kiln::stats()). bw_ratio = gbps / copy's gbps from the same run.
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "workloads.h"

#ifndef KILN_BENCH_PEER_SCRIPT
#define KILN_BENCH_PEER_SCRIPT "tools/bench/peer_torch.py"
#endif

namespace {

using kiln_bench::Workload;
using Clock = std::chrono::steady_clock;

struct Options {
  std::vector<std::string> workloads;
  std::string device = "cpu";
  int reps = 10;
  double min_time = 0.5;
  double scale = 1.0;
  uint64_t seed = 0;
  bool json = false;
  bool compare = false;
};

struct Result {
  std::string name, device, shape, dtype;
  double median_ms = 0, min_ms = 0, gbps = 0, gflops = 0, compile_ms = 0;
  double kernels = 0;
  std::optional<double> bw_ratio;
  int64_t reps = 0;
  std::string note;
};

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double round_to(double v, int digits) {
  double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

Result run_workload(Workload w, const Options& opt) {
  Result r;
  r.name = w.name;
  r.device = opt.device;
  r.shape = w.shape;
  r.dtype = kiln::torch_name(w.dtype);

  std::vector<kiln::Tensor> inputs = w.make_inputs();

  // Warm-up: the first realization of this graph (fusion + compilation).
  auto warm = [&] {
    kiln::Stats s0 = kiln::stats();
    auto t0 = Clock::now();
    kiln::Tensor y = w.build(inputs);
    y.eval();
    r.compile_ms = ms_since(t0);
    return std::pair{y, kiln::stats().kernel_launches - s0.kernel_launches};
  };
  auto [out, launches] = warm();
  if (w.name == "copy" && launches == 0) {
    // A clone of a realized tensor may be served without a kernel; copy must move the bytes.
    kiln_bench::use_mul_one_copy(w);
    std::tie(out, launches) = warm();
    r.note = "x*1";
    if (launches == 0)
      throw std::runtime_error("copy: neither x.clone() nor x*1 launched a kernel");
  } else if (w.name == "copy") {
    r.note = "clone";
  }
  w.validate(inputs, out);
  out = kiln::Tensor();

  std::vector<double> times;
  kiln::Stats s0 = kiln::stats();
  auto start = Clock::now();
  while (static_cast<int64_t>(times.size()) < std::max(1, opt.reps) ||
         ms_since(start) < opt.min_time * 1000.0) {
    auto t0 = Clock::now();
    kiln::Tensor y = w.build(inputs);
    y.eval();
    times.push_back(ms_since(t0));
    if (times.size() >= 1000000) break;
  }
  kiln::Stats s1 = kiln::stats();

  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  size_t k = sorted.size();
  r.median_ms = k % 2 ? sorted[k / 2] : 0.5 * (sorted[k / 2 - 1] + sorted[k / 2]);
  r.min_ms = sorted.front();
  r.reps = static_cast<int64_t>(k);
  r.gbps = w.bytes / (r.median_ms * 1e-3) / 1e9;
  r.gflops = w.flops / (r.median_ms * 1e-3) / 1e9;
  r.kernels = static_cast<double>(s1.kernel_launches - s0.kernel_launches) / static_cast<double>(k);
  return r;
}

nlohmann::ordered_json to_json(const Result& r) {
  nlohmann::ordered_json j;
  j["name"] = r.name;
  j["device"] = r.device;
  j["shape"] = r.shape;
  j["dtype"] = r.dtype;
  j["median_ms"] = round_to(r.median_ms, 4);
  j["min_ms"] = round_to(r.min_ms, 4);
  j["gbps"] = round_to(r.gbps, 2);
  j["gflops"] = round_to(r.gflops, 2);
  j["compile_ms"] = round_to(r.compile_ms, 3);
  j["kernels"] = round_to(r.kernels, 2);
  if (r.bw_ratio) j["bw_ratio"] = round_to(*r.bw_ratio, 3);
  return j;
}

std::string ratio_str(const std::optional<double>& v, const char* fmt_suffix = "") {
  return v ? fmt::format("{:.2f}{}", *v, fmt_suffix) : std::string("-");
}

void print_table(const std::vector<Result>& results) {
  fmt::print("{:<18} {:<6} {:<24} {:<9} {:>10} {:>10} {:>8} {:>9} {:>11} {:>7} {:>7}  {}\n",
             "workload", "device", "shape", "dtype", "median_ms", "min_ms", "GB/s", "GFLOP/s",
             "compile_ms", "kernels", "bw/copy", "reps");
  for (const Result& r : results) {
    fmt::print(
        "{:<18} {:<6} {:<24} {:<9} {:>10.3f} {:>10.3f} {:>8.1f} {:>9.1f} {:>11.1f} {:>7.2f} "
        "{:>7}  {}{}\n",
        r.name, r.device, r.shape, r.dtype, r.median_ms, r.min_ms, r.gbps, r.gflops, r.compile_ms,
        r.kernels, ratio_str(r.bw_ratio), r.reps, r.note.empty() ? "" : " (" + r.note + ")");
  }
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct PeerResult {
  double median_ms = 0, gbps = 0, compile_ms = 0;
};

/// Runs peer_torch.py for the same workloads; returns (impl, name, dtype) -> result. The peer's
/// stderr (skips, torch.compile failures) passes through to ours.
/// Notes go to `notes` (stderr under --json, so that stdout stays JSON lines).
std::map<std::tuple<std::string, std::string, std::string>, PeerResult> run_peer(
    const Options& opt, const std::vector<Result>& results, std::vector<std::string>* raw,
    std::FILE* notes) {
  std::map<std::tuple<std::string, std::string, std::string>, PeerResult> out;
  const char* env_python = std::getenv("KILN_PYTHON");
  std::string python = env_python && *env_python ? env_python : "python3";
  std::string names;
  for (const Result& r : results) {
    if (names.find(r.name) == std::string::npos) names += (names.empty() ? "" : ",") + r.name;
  }
  std::string cmd = fmt::format(
      "{} {} --json --device {} --scale {} --reps {} --min-time {} --seed {} --workload {}",
      shell_quote(python), shell_quote(KILN_BENCH_PEER_SCRIPT), opt.device, opt.scale, opt.reps,
      opt.min_time, opt.seed, names);
  std::fflush(stdout);
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    fmt::print(notes, "peer skipped: could not start {}\n", python);
    return out;
  }
  std::string line;
  char buf[4096];
  std::vector<std::string> lines;
  while (std::fgets(buf, sizeof buf, p)) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      lines.push_back(line);
      line.clear();
    }
  }
  if (!line.empty()) lines.push_back(line);
  int status = pclose(p);
  for (const std::string& l : lines) {
    if (l.empty() || l[0] != '{') {
      fmt::print(notes, "{}{}", l.rfind("peer", 0) == 0 ? "" : "peer: ", l);
      continue;
    }
    try {
      auto j = nlohmann::json::parse(l);
      if (raw) raw->push_back(l);
      PeerResult pr{j.at("median_ms").get<double>(), j.at("gbps").get<double>(),
                    j.at("compile_ms").get<double>()};
      out[{j.at("impl").get<std::string>(), j.at("name").get<std::string>(),
           j.at("dtype").get<std::string>()}] = pr;
    } catch (const std::exception& e) {
      fmt::print(notes, "peer: unreadable line ({}): {}", e.what(), l);
    }
  }
  if (status != 0) {
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == 127) {
      fmt::print(notes, "peer skipped: could not run {} (set KILN_PYTHON to a python with torch)\n",
                 python);
    } else {
      fmt::print(notes, "peer: {} exited with status {}\n", KILN_BENCH_PEER_SCRIPT, code);
    }
  } else if (out.empty()) {
    fmt::print(notes, "peer: no PyTorch results (see the peer's message above)\n");
  }
  return out;
}

void print_compare(
    const std::vector<Result>& results,
    const std::map<std::tuple<std::string, std::string, std::string>, PeerResult>& peer) {
  auto find = [&](const char* impl, const Result& r) -> std::optional<PeerResult> {
    auto it = peer.find({impl, r.name, r.dtype});
    if (it == peer.end()) return std::nullopt;
    return it->second;
  };
  std::optional<double> eager_copy, compile_copy;
  for (const Result& r : results) {
    if (r.name != "copy") continue;
    if (auto e = find("torch_eager", r)) eager_copy = e->gbps;
    if (auto c = find("torch_compile", r)) compile_copy = c->gbps;
  }
  fmt::print(
      "\nside by side (speedup = torch_ms / kiln_ms: > 1 means kiln is faster; "
      "bw/copy = GB/s over the same implementation's copy GB/s)\n");
  fmt::print("{:<18} {:<9} {:>10} {:>10} {:>10} {:>10} {:>12} {:>9} {:>9} {:>9}\n", "workload",
             "dtype", "kiln_ms", "eager_ms", "compile_ms", "vs_eager", "vs_compile", "kiln_bw",
             "eager_bw", "comp_bw");
  auto ms = [](const std::optional<PeerResult>& p) {
    return p ? fmt::format("{:.3f}", p->median_ms) : std::string("-");
  };
  for (const Result& r : results) {
    auto e = find("torch_eager", r);
    auto c = find("torch_compile", r);
    std::optional<double> se, sc, be, bc;
    if (e && r.median_ms > 0) se = e->median_ms / r.median_ms;
    if (c && r.median_ms > 0) sc = c->median_ms / r.median_ms;
    if (e && eager_copy && *eager_copy > 0) be = e->gbps / *eager_copy;
    if (c && compile_copy && *compile_copy > 0) bc = c->gbps / *compile_copy;
    fmt::print("{:<18} {:<9} {:>10.3f} {:>10} {:>10} {:>10} {:>12} {:>9} {:>9} {:>9}\n", r.name,
               r.dtype, r.median_ms, ms(e), ms(c), ratio_str(se, "x"), ratio_str(sc, "x"),
               ratio_str(r.bw_ratio), ratio_str(be), ratio_str(bc));
  }
}

/// A tiny realization on the CUDA device; the reason when it cannot run, nullopt when it can.
std::optional<std::string> cuda_unavailable_reason() {
  if (!kiln::cuda::is_available()) return "no CUDA driver or GPU was found";
  try {
    kiln::Tensor t = kiln::ones({4}, kiln::TensorOptions().device(kiln::Device(kiln::kCUDA, 0)));
    (t * 2).eval();
  } catch (const std::exception& e) {
    return std::string("this build cannot run on CUDA: ") + e.what();
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{
      "kiln-bench: fixed workloads through kiln (warm-up, then the median of repeated runs).\n"
      "Workloads: copy (y = x.clone(), or x*1 when clone launches no kernel: the machine's\n"
      "bandwidth), elementwise_chain (gelu(x*1.5+0.5)*sigmoid(x)), softmax (dim 1), layernorm\n"
      "((x-mean)/sqrt(var_biased+1e-5)*w+b over dim 1), sum (to a scalar), matmul.\n"
      "CPU sizes: 2^24 f32; [4096,1024] f32; 1024^3 f32. CUDA sizes: 2^26 f32; [8192,4096] f32\n"
      "and bf16; 4096^3 f32 and bf16. gbps counts the bytes the math must read and write;\n"
      "gflops is 2*M*N*K for matmul and 0 for the memory-bound workloads."};
  app.add_option("-w,--workload", opt.workloads,
                 "run only these (repeatable or a comma list): copy, elementwise_chain, softmax, "
                 "layernorm, sum, matmul")
      ->delimiter(',')
      ->check(CLI::IsMember(kiln_bench::workload_names()));
  app.add_option("-d,--device", opt.device, "cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  app.add_option("--reps", opt.reps, "at least this many timed reps")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--min-time", opt.min_time, "and at least this many seconds of timed reps")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--scale", opt.scale,
                 "multiply sizes (1-D lengths and rows by SCALE, matmul dims by cbrt(SCALE)); "
                 "e.g. 0.01 for a smoke test")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", opt.seed, "seed for the inputs (kiln::manual_seed)")
      ->capture_default_str();
  app.add_flag("--json", opt.json,
               "one JSON object per line: name device shape dtype median_ms min_ms gbps gflops "
               "compile_ms (+ kernels, bw_ratio)");
  app.add_flag("--compare", opt.compare,
               "also run tools/bench/peer_torch.py (python from $KILN_PYTHON or python3) on the "
               "same workloads and print kiln vs PyTorch eager / torch.compile");
  CLI11_PARSE(app, argc, argv);

  if (opt.device == "cuda") {
    if (auto why = cuda_unavailable_reason()) {
      fmt::print("kiln-bench: CUDA is not available in this build/machine ({}); nothing to run\n",
                 *why);
      return 0;
    }
  }

  std::vector<Result> results;
  try {
    for (Workload& w : kiln_bench::make_workloads(opt.device, opt.scale, opt.seed, opt.workloads)) {
      results.push_back(run_workload(w, opt));
    }
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "kiln-bench: FAILED: {}\n", e.what());
    return 1;
  }
  std::optional<double> copy_gbps;
  for (const Result& r : results) {
    if (r.name == "copy") copy_gbps = r.gbps;
  }
  if (copy_gbps && *copy_gbps > 0) {
    for (Result& r : results) r.bw_ratio = r.gbps / *copy_gbps;
  }

  if (opt.json) {
    for (const Result& r : results) fmt::print("{}\n", to_json(r).dump());
  } else {
    print_table(results);
  }
  if (opt.compare) {
    std::vector<std::string> raw;
    auto peer = run_peer(opt, results, opt.json ? &raw : nullptr, opt.json ? stderr : stdout);
    if (opt.json) {
      for (const auto& l : raw) fmt::print("{}{}", l, l.ends_with('\n') ? "" : "\n");
    } else {
      print_compare(results, peer);
    }
  }
  return 0;
}
