// nn on the GPU: Module::to(kCUDA) moves parameters and buffers in place (handles stay valid),
// and a conv-bn-pool-linear model's forward, loss and gradients match the CPU's. Skips visibly
// without a GPU.
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

using kiln::Tensor;
namespace nn = kiln::nn;
namespace F = kiln::nn::functional;

TEST_CASE("nn [cuda]: a module moved to the GPU computes what it computes on the CPU",
          "[nn][cuda]") {
  if (!kiln::cuda::is_available()) {
    WARN("no CUDA device on this machine: [cuda] test skipped");
    return;
  }
  kiln::manual_seed(1);
  auto make = [] {
    return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(2, 4, 3).padding(1)), nn::BatchNorm2d(4),
                          nn::ReLU(), nn::MaxPool2d(2), nn::Flatten(), nn::Linear(4 * 4 * 4, 3));
  };
  nn::Sequential cpu = make(), gpu = make();
  gpu->load_state_dict(cpu->state_dict());
  Tensor held = gpu->named_parameters().at("0.weight");
  gpu->to(kiln::Device(kiln::kCUDA, 0));
  CHECK(held.device().is_cuda());
  for (const auto& t : gpu->state_dict().values()) CHECK(t.device().is_cuda());

  Tensor x = kiln::randn({5, 2, 8, 8});
  Tensor y = kiln::tensor({0L, 2L, 1L, 1L, 0L});
  Tensor lc = F::cross_entropy(cpu(x), y);
  Tensor lg = F::cross_entropy(gpu(x.cuda()), y.cuda());
  lc.backward();
  lg.backward();
  CHECK(lg.item<double>() == Approx(lc.item<double>()).epsilon(1e-4));
  auto pc = cpu->named_parameters(), pg = gpu->named_parameters();
  for (const auto& [name, p] : pc) {
    INFO(name);
    std::vector<double> a = p.grad().to_vector<double>(),
                        b = pg.at(name).grad().to_vector<double>();
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) CHECK(b[i] == Approx(a[i]).margin(1e-4));
  }
  std::vector<double> rc = cpu[1]->as<nn::BatchNorm2dImpl>()->running_var.to_vector<double>();
  std::vector<double> rg = gpu[1]->as<nn::BatchNorm2dImpl>()->running_var.to_vector<double>();
  for (size_t i = 0; i < rc.size(); ++i) CHECK(rg[i] == Approx(rc[i]).epsilon(1e-4));
}
