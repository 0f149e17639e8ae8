// A small CNN (conv-bn-relu-pool-conv-relu-pool-linear) trained with Adam on a fixed synthetic
// batch, compiled on the CPU: the loss falls, every parameter gets a gradient, BatchNorm's
// running statistics move and are realized with the optimizer's step (deferred writes), and
// steps after the second reuse the compiled programs. (No
// Dropout here: a random op's seed and offset are constants of its kernel, so each step with
// dropout compiles anew.)
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

using kiln::Tensor;
namespace nn = kiln::nn;
namespace F = kiln::nn::functional;

namespace {

struct SmallCnn : nn::Module {
  SmallCnn() {
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(1, 4, 3)));
    bn1 = register_module("bn1", nn::BatchNorm2d(4));
    conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(4, 8, 3).padding(1)));
    head = register_module("head", nn::Sequential(nn::Flatten(), nn::Linear(8 * 3 * 3, 3)));
  }
  Tensor forward(const Tensor& x) {
    Tensor h = F::max_pool2d(F::relu(bn1(conv1(x))), 2);  // [N, 4, 6, 6]
    h = F::max_pool2d(F::relu(conv2(h)), 2);              // [N, 8, 3, 3]
    return head(h);
  }
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::BatchNorm2d bn1{nullptr};
  nn::Sequential head{nullptr};
};

}  // namespace

TEST_CASE("nn: a small CNN trains with Adam, compiled on the CPU", "[nn]") {
  kiln::manual_seed(7);
  auto model = std::make_shared<SmallCnn>();
  CHECK(model->named_parameters().keys() ==
        std::vector<std::string>{"conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias",
                                 "conv2.weight", "conv2.bias", "head.1.weight", "head.1.bias"});
  // Three classes told apart by where a bright blob sits in a 14x14 image.
  const int64_t n = 12;
  std::vector<float> images(static_cast<size_t>(n * 14 * 14), 0.0f);
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < n; ++i) {
    int64_t cls = i % 3;
    labels.push_back(cls);
    for (int64_t y = 0; y < 4; ++y)
      for (int64_t x = 0; x < 4; ++x)
        images[static_cast<size_t>(i * 196 + (2 + y + cls * 3) * 14 + 2 + x + cls * 3)] = 1.0f;
  }
  Tensor x = kiln::from_vector(images, {n, 1, 14, 14}) + kiln::randn({n, 1, 14, 14}) * 0.1;
  Tensor y = kiln::from_vector(labels, {n});
  kiln::optim::Adam opt(model->parameters(), kiln::optim::AdamOptions(0.02));

  std::vector<double> losses;
  int64_t compiled_after_two = 0;
  for (int step = 0; step < 15; ++step) {
    opt.zero_grad();
    Tensor loss = F::cross_entropy(model->forward(x), y);
    loss.backward();
    if (step == 0) {
      for (auto& [name, p] : model->named_parameters()) {
        INFO(name);
        CHECK(p.grad().defined());
      }
    }
    opt.step();
    // BatchNorm's running statistics were realized with the step's program: reading them runs
    // nothing.
    int64_t launches = kiln::stats().kernel_launches;
    CHECK(model->bn1->running_var.to_vector<double>().size() == 4);
    CHECK(kiln::stats().kernel_launches == launches);
    losses.push_back(loss.item<double>());
    if (step == 1) compiled_after_two = kiln::stats().programs_compiled;
  }
  INFO("first loss " << losses.front() << ", last " << losses.back());
  CHECK(losses.back() < 0.5 * losses.front());
  CHECK(kiln::stats().programs_compiled == compiled_after_two);
  CHECK(model->bn1->running_mean.abs().sum().item<double>() > 0.0);
  CHECK(model->bn1->num_batches_tracked.item<int64_t>() == 15);

  model->eval();
  Tensor pred = model->forward(x).argmax(1);
  CHECK(pred.to_vector<int64_t>() == labels);
}
