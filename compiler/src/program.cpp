#include "kiln/compiler/program.h"

#include <chrono>
#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

#include "kiln/compiler/cuda_program.h"
#include "kiln/compiler/debug.h"
#include "kiln/compiler/graph.h"
#include "kiln/compiler/kir/eval.h"
#include "kiln/compiler/memory_plan.h"
#include "kiln/compiler/schedule.h"
#include "kiln/compiler/simplify.h"
#include "kiln/compiler/split_reductions.h"
#include "kiln/compiler/text.h"
#include "kiln/runtime/error.h"
#include "passes/in_place.h"

namespace kiln::ir {

namespace {
uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 29);
}
}  // namespace

GraphSignature signature(const std::vector<NodeRef>& outputs) {
  GraphSignature sig;
  sig.order = topo_order(outputs);
  const std::vector<const Node*>& order = sig.order;
  std::unordered_map<const Node*, uint64_t> position;
  uint64_t h = 0x6b696c6e;
  for (size_t i = 0; i < order.size(); ++i) {
    const Node* n = order[i];
    position[n] = i;
    h = mix(h, static_cast<uint64_t>(n->op()));
    h = mix(h, static_cast<uint64_t>(n->dtype()));
    h = mix(h, static_cast<uint64_t>(n->device().type()) * 64 +
                   static_cast<uint64_t>(n->device().index()));
    for (int64_t d : n->shape()) h = mix(h, static_cast<uint64_t>(d));
    for (const auto& in : n->inputs()) h = mix(h, position.at(in.get()));
    const Attrs& a = n->attrs();
    for (int64_t v : a.ints) h = mix(h, static_cast<uint64_t>(v));
    uint64_t bits;
    std::memcpy(&bits, &a.scalar, sizeof bits);
    h = mix(mix(mix(h, bits), a.seed), a.offset);
    if (n->op() == Op::Load) {
      h = mix(h, sig.loads.size());
      sig.loads.push_back(n);
    }
  }
  for (const auto& out : outputs) h = mix(h, position.at(out.get()));
  sig.hash = h;
  return sig;
}

uint64_t program_key(uint64_t signature_hash, const std::vector<int64_t>& in_place) {
  uint64_t h = signature_hash;
  for (size_t i = 0; i < in_place.size(); ++i) {
    if (in_place[i] >= 0) h = mix(mix(h, i), static_cast<uint64_t>(in_place[i]));
  }
  return h;
}

std::vector<NodeRef> program_outputs(const std::vector<NodeRef>& graph) {
  std::vector<NodeRef> outputs = simplify(graph);
  // A GPU runs a row per thread block: a whole-tensor reduction needs more rows than one.
  if (!graph.empty() && graph[0]->device().is_cuda()) outputs = split_long_reductions(outputs);
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i]->op() == Op::Load) outputs[i] = graph[i];  // still needs its own buffer
    // A reshape's buffer is its input's (both row-major): the kernel computing the input
    // writes the output, instead of a copy kernel after it (a storage's flat node of a
    // parameter's gradient is a reshape of the product that computes it).
    while (outputs[i]->op() == Op::Reshape && outputs[i]->input(0)->op() != Op::Load)
      outputs[i] = outputs[i]->input(0);
  }
  return outputs;
}

std::shared_ptr<Program> plan_program(const std::vector<NodeRef>& graph,
                                      const std::vector<int64_t>& in_place) {
  auto p = std::make_shared<Program>();
  if (!graph.empty()) p->device = graph[0]->device();
  // Inputs bind in the order of the graph as given (its signature), whatever simplify drops.
  GraphSignature sig = signature(graph);
  if (debug_level() >= 5) debug_line("graph:\n" + print_graph(graph));
  std::vector<NodeRef> outputs = program_outputs(graph);
  if (debug_level() >= 5) debug_line("simplified:\n" + print_graph(outputs));
  // The requests as nodes, so that fusion orders the readers of each input before its writer.
  InPlaceRequests requests;
  for (size_t i = 0; i < in_place.size() && i < outputs.size(); ++i) {
    if (in_place[i] >= 0)
      requests.emplace(outputs[i].get(), sig.loads.at(static_cast<size_t>(in_place[i])));
  }
  Schedule s = schedule(outputs, requests);
  for (const auto& b : s.breaks) {
    p->fusion_breaks.push_back(std::string(op_name(b.node->op())) + shape_str(b.node->shape()) +
                               ": " + b.reason);
  }
  if (debug_level() >= 3) {
    debug_line("fused into " + std::to_string(s.kernels.size()) + " kernels; materialized:");
    for (const auto& b : p->fusion_breaks) debug_line("  " + b);
    for (const auto& k : s.kernels) debug_line(describe_group(k));
  }
  if (debug_level() >= 5) {
    for (const auto& k : s.kernels) debug_line("kernel ir:\n" + kir::print(k.kernel));
  }
  std::unordered_map<const Node*, size_t> slot_of;
  auto add_slot = [&](const Node* n, Program::SlotKind kind, int64_t index) {
    slot_of[n] = p->slots.size();
    p->slots.push_back({kind, index, n->dtype(), n->numel()});
  };
  for (size_t i = 0; i < sig.loads.size(); ++i)
    add_slot(sig.loads[i], Program::SlotKind::Input, static_cast<int64_t>(i));
  p->num_inputs = sig.loads.size();
  p->output_copy_of.assign(outputs.size(), -1);
  for (size_t i = 0; i < outputs.size(); ++i) {
    KILN_CHECK(outputs[i]->op() != Op::Load, "plan_program: an output that is already a buffer");
    for (size_t j = 0; j < i && p->output_copy_of[i] < 0; ++j) {
      if (outputs[j] == outputs[i]) p->output_copy_of[i] = static_cast<int64_t>(j);
    }
    if (p->output_copy_of[i] < 0)
      add_slot(outputs[i].get(), Program::SlotKind::Output, static_cast<int64_t>(i));
  }
  p->num_outputs = outputs.size();
  for (const auto& k : s.kernels) {
    for (const Node* root : k.outputs) {
      if (!slot_of.count(root)) add_slot(root, Program::SlotKind::Temp, -1);
    }
  }
  // Launches, and each temp's lifetime: the launch that writes it to the last that reads it.
  std::vector<TempLifetime> lifetimes;
  std::vector<size_t> temp_of(p->slots.size(), 0), temp_slots;
  for (size_t k = 0; k < s.kernels.size(); ++k) {
    Program::Launch l{k, {}};
    for (const Node* in : s.kernels[k].inputs) {
      size_t slot = slot_of.at(in);
      l.slots.push_back(slot);
      if (p->slots[slot].kind == Program::SlotKind::Temp) lifetimes[temp_of[slot]].last = k;
    }
    for (const Node* root : s.kernels[k].outputs) {
      size_t slot = slot_of.at(root);
      l.slots.push_back(slot);
      const Program::Slot& sl = p->slots[slot];
      if (sl.kind != Program::SlotKind::Temp) continue;
      temp_of[slot] = lifetimes.size();
      temp_slots.push_back(slot);
      lifetimes.push_back({sl.numel * itemsize(sl.dtype), k, k});
    }
    p->launches.push_back(std::move(l));
    p->kernels.push_back(std::move(s.kernels[k].kernel));
  }
  MemoryPlan plan = plan_memory(lifetimes);
  for (size_t t = 0; t < temp_slots.size(); ++t) p->slots[temp_slots[t]].index = plan.alloc_of[t];
  p->temp_bytes = plan.alloc_bytes;
  for (const auto& sl : p->slots) {
    if (sl.kind != Program::SlotKind::Temp) p->peak_bytes += sl.numel * itemsize(sl.dtype);
  }
  p->peak_bytes += plan.total_bytes();
  if (debug_level() >= 5) {
    std::string text = fmt::format("memory plan: {} temps in {} allocations, {} bytes",
                                   lifetimes.size(), plan.alloc_bytes.size(), plan.total_bytes());
    for (size_t t = 0; t < lifetimes.size(); ++t) {
      text +=
          fmt::format("\n  temp {} ({} bytes, launches {}..{}) -> allocation {}", t,
                      lifetimes[t].bytes, lifetimes[t].first, lifetimes[t].last, plan.alloc_of[t]);
    }
    debug_line(text);
  }
  grant_in_place(*p, in_place);
  p->entry_points.assign(p->kernels.size(), nullptr);
  return p;
}

std::vector<runtime::BufferPtr> run_program(const Program& p,
                                            const std::vector<runtime::BufferPtr>& inputs) {
  KILN_CHECK(inputs.size() == p.num_inputs, "run_program: wrong number of inputs");
  if (p.device.is_cuda()) return run_program_cuda(p, inputs);
  RunBuffers run = allocate_run(p, inputs);
  const std::vector<void*>& data = run.data;
  bool trace = debug_level() >= 2;
  for (const auto& l : p.launches) {
    std::vector<void*> args;
    for (size_t slot : l.slots) args.push_back(data[slot]);
    auto start = std::chrono::steady_clock::now();
    if (void* fn = p.entry_points[l.kernel]) {
      reinterpret_cast<void (*)(void**)>(fn)(args.data());
    } else {
      kir::evaluate(p.kernels[l.kernel], args);
    }
    if (trace) {
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const kir::Kernel& k = p.kernels[l.kernel];
      debug_line(fmt::format("launch {} {:.3f} ms {:.2f} GB/s{}", k.name, s * 1e3,
                             static_cast<double>(k.bytes_minimum) / s / 1e9,
                             p.entry_points[l.kernel] ? "" : " (evaluated)"));
    }
  }
  return finish_run(p, std::move(run));
}

RunBuffers allocate_run(const Program& p, const std::vector<runtime::BufferPtr>& inputs) {
  RunBuffers r;
  r.outputs.resize(p.num_outputs);
  for (int64_t bytes : p.temp_bytes)
    r.temps.push_back(std::make_shared<runtime::Buffer>(DType::UInt8, bytes, p.device));
  r.data.assign(p.slots.size(), nullptr);
  for (size_t i = 0; i < p.slots.size(); ++i) {
    const Program::Slot& s = p.slots[i];
    switch (s.kind) {
      case Program::SlotKind::Input: r.data[i] = inputs[s.index]->data(); break;
      case Program::SlotKind::Output: {
        size_t out = static_cast<size_t>(s.index);
        int64_t in = out < p.in_place.size() ? p.in_place[out] : -1;
        r.outputs[out] = in >= 0 ? inputs[static_cast<size_t>(in)]
                                 : std::make_shared<runtime::Buffer>(s.dtype, s.numel, p.device);
        r.data[i] = r.outputs[out]->data();
        break;
      }
      case Program::SlotKind::Temp: r.data[i] = r.temps[s.index]->data(); break;
    }
  }
  return r;
}

std::vector<runtime::BufferPtr> finish_run(const Program& p, RunBuffers run) {
  for (size_t i = 0; i < run.outputs.size(); ++i) {
    if (p.output_copy_of[i] < 0) continue;
    const runtime::Buffer& src = *run.outputs[static_cast<size_t>(p.output_copy_of[i])];
    run.outputs[i] = runtime::copy_to(src, p.device);
  }
  return std::move(run.outputs);
}

}  // namespace kiln::ir
