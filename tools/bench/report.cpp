// kiln-bench's tables (see report.h).
#include "report.h"

#include <optional>
#include <string>

#include <fmt/format.h>

namespace kiln_bench {
namespace {

std::string ratio_str(const std::optional<double>& v, const char* suffix = "") {
  return v ? fmt::format("{:.2f}{}", *v, suffix) : std::string("-");
}

std::string rate_str(const std::optional<double>& v, int digits) {
  return v ? fmt::format("{:.{}f}", *v, digits) : std::string("-");
}

/// The GPU target of one row ("ok", "MISS: ...") or "" where none applies or data is missing.
std::string target(const Result& r, std::optional<double> vs_eager,
                   std::optional<double> vs_compile) {
  if (r.name == "matmul") {
    if (!vs_eager) return "";
    return *vs_eager >= 0.9 ? "ok" : "MISS: < 0.90x torch";
  }
  if (r.name != "elementwise_chain" && r.name != "softmax" && r.name != "layernorm") return "";
  std::string miss;
  if (r.bw_ratio && *r.bw_ratio < 0.85) miss = "bw < 0.85 copy";
  if (vs_compile && *vs_compile < 1.0) {
    if (!miss.empty()) miss += ", ";
    miss += "< torch.compile";
  }
  if (!miss.empty()) return "MISS: " + miss;
  return r.bw_ratio && vs_compile ? "ok" : "";
}

}  // namespace

void print_table(const std::vector<Result>& results) {
  fmt::print(
      "{:<18} {:<6} {:<24} {:<9} {:>10} {:>10} {:>8} {:>9} {:>11} {:>7} {:>7} {:>9} {:>8}  {}\n",
      "workload", "device", "shape", "dtype", "median_ms", "min_ms", "GB/s", "GFLOP/s",
      "compile_ms", "kernels", "bw/copy", "samples/s", "batch/s", "reps");
  for (const Result& r : results) {
    fmt::print(
        "{:<18} {:<6} {:<24} {:<9} {:>10.3f} {:>10.3f} {:>8.1f} {:>9.1f} {:>11.1f} {:>7.2f} "
        "{:>7} {:>9} {:>8}  {}{}\n",
        r.name, r.device, r.shape, r.dtype, r.median_ms, r.min_ms, r.gbps, r.gflops, r.compile_ms,
        r.kernels, ratio_str(r.bw_ratio), rate_str(r.samples_per_s, 0),
        rate_str(r.batches_per_s, 1), r.reps > 0 ? std::to_string(r.reps) : "-",
        r.note.empty() ? "" : " (" + r.note + ")");
  }
}

void print_compare(const std::vector<Result>& results, const PeerResults& peer) {
  auto find = [&](const char* impl, const Result& r) -> std::optional<PeerResult> {
    auto it = peer.find({impl, r.name, r.dtype});
    if (it == peer.end()) return std::nullopt;
    return it->second;
  };
  std::optional<double> eager_copy, compile_copy;
  bool cuda = false;
  for (const Result& r : results) {
    cuda = cuda || r.device == "cuda";
    if (r.name != "copy") continue;
    if (auto e = find("torch_eager", r)) eager_copy = e->gbps;
    if (auto c = find("torch_compile", r)) compile_copy = c->gbps;
  }
  fmt::print(
      "\nside by side (speedup = torch_ms / kiln_ms: > 1 means kiln is faster; "
      "bw/copy = GB/s over the same implementation's copy GB/s; TFLOP/s for matmul)\n");
  fmt::print("{:<18} {:<9} {:>10} {:>10} {:>10} {:>9} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}{}\n",
             "workload", "dtype", "kiln_ms", "eager_ms", "compile_ms", "vs_eager", "vs_compile",
             "kiln_bw", "eager_bw", "comp_bw", "kiln_TF", "eager_TF", cuda ? "  target" : "");
  auto ms = [](const std::optional<PeerResult>& p) {
    return p ? fmt::format("{:.3f}", p->median_ms) : std::string("-");
  };
  auto tflops = [](bool matmul, std::optional<double> gflops) {
    return matmul && gflops ? fmt::format("{:.1f}", *gflops / 1000) : std::string("-");
  };
  for (const Result& r : results) {
    auto e = find("torch_eager", r);
    auto c = find("torch_compile", r);
    std::optional<double> se, sc, be, bc;
    if (e && r.median_ms > 0) se = e->median_ms / r.median_ms;
    if (c && r.median_ms > 0) sc = c->median_ms / r.median_ms;
    if (e && eager_copy && *eager_copy > 0) be = e->gbps / *eager_copy;
    if (c && compile_copy && *compile_copy > 0) bc = c->gbps / *compile_copy;
    bool mm = r.name == "matmul";
    fmt::print(
        "{:<18} {:<9} {:>10.3f} {:>10} {:>10} {:>9} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}{}\n",
        r.name, r.dtype, r.median_ms, ms(e), ms(c), ratio_str(se, "x"), ratio_str(sc, "x"),
        ratio_str(r.bw_ratio), ratio_str(be), ratio_str(bc), tflops(mm, r.gflops),
        tflops(mm, e ? std::optional(e->gflops) : std::nullopt),
        cuda ? "  " + target(r, se, sc) : "");
  }
}

}  // namespace kiln_bench
