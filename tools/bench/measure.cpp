// Timing one kiln-bench workload (see measure.h for the method).
#include "measure.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

namespace kiln_bench {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double round_to(double v, int digits) {
  double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

}  // namespace

Result measure(Workload w, const MeasureOptions& opt) {
  Result r;
  r.name = w.name;
  r.device = opt.device;
  r.shape = w.shape;
  r.dtype = kiln::torch_name(w.dtype);

  std::vector<kiln::Tensor> inputs = w.make_inputs();
  kiln::synchronize();

  // Warm-up: the first realization of this graph (fusion + compilation).
  auto warm = [&] {
    kiln::Stats s0 = kiln::stats();
    auto t0 = Clock::now();
    kiln::Tensor y = w.build(inputs);
    y.eval();
    kiln::synchronize();
    r.compile_ms = ms_since(t0);
    return std::pair{y, kiln::stats().kernel_launches - s0.kernel_launches};
  };
  auto [out, launches] = warm();
  if (w.name == "copy" && launches == 0) {
    // A clone of a realized tensor may be served without a kernel; copy must move the bytes.
    use_mul_one_copy(w);
    std::tie(out, launches) = warm();
    r.note = "x*1";
    if (launches == 0)
      throw std::runtime_error("copy: neither x.clone() nor x*1 launched a kernel");
  } else if (w.name == "copy") {
    r.note = "clone";
  }
  w.validate(inputs, out);
  if (w.note) {
    std::string note = w.note();
    if (!note.empty()) r.note = r.note.empty() ? note : r.note + "; " + note;
  }
  out = kiln::Tensor();

  const int batch = std::max(1, opt.batch);
  std::vector<double> times;  // per rep, one entry per sample
  kiln::Stats s0 = kiln::stats();
  kiln::synchronize();
  auto start = Clock::now();
  while (static_cast<int>(times.size()) < std::max(1, opt.samples) ||
         ms_since(start) < opt.min_time * 1000.0) {
    auto t0 = Clock::now();
    for (int b = 0; b < batch; ++b) w.build(inputs).eval();
    kiln::synchronize();
    times.push_back(ms_since(t0) / batch);
    if (times.size() >= 1000000 || ms_since(start) >= opt.max_time * 1000.0) break;
  }
  kiln::Stats s1 = kiln::stats();

  std::sort(times.begin(), times.end());
  size_t k = times.size();
  r.median_ms = k % 2 ? times[k / 2] : 0.5 * (times[k / 2 - 1] + times[k / 2]);
  r.min_ms = times.front();
  r.reps = static_cast<int64_t>(k) * batch;
  r.gbps = w.bytes / (r.median_ms * 1e-3) / 1e9;
  r.gflops = w.flops / (r.median_ms * 1e-3) / 1e9;
  r.kernels =
      static_cast<double>(s1.kernel_launches - s0.kernel_launches) / static_cast<double>(r.reps);
  if (w.samples_per_rep > 0) r.samples_per_s = w.samples_per_rep / (r.median_ms * 1e-3);
  if (w.batches_per_rep > 0) r.batches_per_s = w.batches_per_rep / (r.median_ms * 1e-3);
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
  if (r.peak_ratio) j["peak_ratio"] = round_to(*r.peak_ratio, 3);
  if (r.samples_per_s) j["samples_per_s"] = round_to(*r.samples_per_s, 1);
  if (r.batches_per_s) j["batches_per_s"] = round_to(*r.batches_per_s, 2);
  if (!r.note.empty()) j["note"] = r.note;
  return j;
}

Result result_from_json(const nlohmann::json& j) {
  Result r;
  r.name = j.at("name").get<std::string>();
  r.device = j.at("device").get<std::string>();
  r.shape = j.at("shape").get<std::string>();
  r.dtype = j.at("dtype").get<std::string>();
  r.median_ms = j.at("median_ms").get<double>();
  r.min_ms = j.at("min_ms").get<double>();
  r.gbps = j.at("gbps").get<double>();
  r.gflops = j.at("gflops").get<double>();
  r.compile_ms = j.at("compile_ms").get<double>();
  r.kernels = j.value("kernels", 0.0);
  if (j.contains("bw_ratio")) r.bw_ratio = j.at("bw_ratio").get<double>();
  if (j.contains("peak_ratio")) r.peak_ratio = j.at("peak_ratio").get<double>();
  if (j.contains("samples_per_s")) r.samples_per_s = j.at("samples_per_s").get<double>();
  if (j.contains("batches_per_s")) r.batches_per_s = j.at("batches_per_s").get<double>();
  r.note = j.value("note", std::string());
  return r;
}

}  // namespace kiln_bench
