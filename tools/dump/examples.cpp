#include "examples.h"

#include <kiln/kiln.h>

namespace kiln::dump {

namespace {
Tensor input(std::vector<int64_t> shape) {
  Tensor t = randn(shape);
  t.eval();
  return t;
}
}  // namespace

std::vector<std::string> example_names() {
  return {"elementwise", "softmax", "layernorm", "mlp", "sum"};
}

std::vector<ir::NodeRef> example_graph(const std::string& name) {
  if (name == "elementwise") {
    Tensor x = input({1024, 256});
    return {(gelu(x * 1.5 + 0.5) * sigmoid(x)).node()};
  }
  if (name == "softmax") return {softmax(input({64, 1024}), 1).node()};
  if (name == "layernorm") {
    Tensor x = input({64, 1024}), w = input({1024}), b = input({1024});
    Tensor mean = x.mean(1, true);
    Tensor centered = x - mean;
    Tensor var = (centered * centered).mean(1, true);
    return {(centered / sqrt(var + 1e-5) * w + b).node()};
  }
  if (name == "mlp") {
    Tensor x = input({64, 784}), w1 = input({784, 256}), b1 = input({256});
    Tensor w2 = input({256, 10}), b2 = input({10});
    return {(relu(x.matmul(w1) + b1).matmul(w2) + b2).node()};
  }
  if (name == "sum") {
    Tensor x = input({1 << 16}), y = input({1 << 16});
    return {(x * y).sum().node()};
  }
  std::string names;
  for (const auto& n : example_names()) names += (names.empty() ? "" : ", ") + n;
  throw Error("[kiln-dump] unknown example '" + name + "' (known: " + names + ")");
}

}  // namespace kiln::dump
