// The public API as ../shared/API.md writes it: every snippet there, spelled exactly as a user
// (or a test outside the project) would, compiled and run here with the values PyTorch gives.
// A renamed or missing name fails this file's build; a changed behaviour fails its checks.
#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <kiln/kiln.h>

namespace {

std::vector<float> values(const kiln::Tensor& t) { return t.to_vector<float>(); }

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("kiln_api_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

}  // namespace

TEST_CASE("API.md: types, devices, options", "[api]") {
  CHECK(kiln::kFloat == kiln::kFloat32);
  CHECK(kiln::kDouble == kiln::kFloat64);
  CHECK(kiln::kHalf == kiln::kFloat16);
  CHECK(kiln::kInt == kiln::kInt32);
  CHECK(kiln::kLong == kiln::kInt64);
  CHECK(kiln::kByte == kiln::kUInt8);
  kiln::DType all[] = {kiln::kBFloat16, kiln::kBool};
  CHECK(all[0] != all[1]);
  CHECK(kiln::Device(kiln::kCPU).is_cpu());
  CHECK(kiln::Device("cuda:0") == kiln::Device(kiln::kCUDA, 0));
  kiln::Device dev = kiln::default_device();
  CHECK(dev.is_cpu() == !kiln::cuda::is_available());
  auto opts = kiln::TensorOptions().dtype(kiln::kLong).device(kiln::Device(kiln::kCPU));
  CHECK(kiln::zeros({2}, opts).dtype() == kiln::kLong);
  CHECK(kiln::zeros({2}, kiln::TensorOptions().requires_grad(true)).requires_grad());
  kiln::manual_seed(7);
  auto a = kiln::rand({4}).to_vector<float>();
  kiln::manual_seed(7);
  CHECK(kiln::rand({4}).to_vector<float>() == a);
  kiln::synchronize();
  // Promotion as in PyTorch.
  CHECK((kiln::ones({2}, kiln::kInt) + kiln::ones({2})).dtype() == kiln::kFloat32);
  CHECK((kiln::ones({2}, kiln::kHalf) + kiln::ones({2})).dtype() == kiln::kFloat32);
}

TEST_CASE("API.md: creating tensors", "[api]") {
  CHECK(values(kiln::tensor({1.f, 2.f, 3.f})) == std::vector<float>{1, 2, 3});
  auto nested = kiln::tensor({{0.4410, -1.0317}, {-0.2844, -0.1035}});
  CHECK(nested.dtype() == kiln::kFloat32);
  CHECK(nested.sizes() == std::vector<int64_t>{2, 2});
  auto fv = kiln::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(fv.shape() == std::vector<int64_t>{2, 3});
  CHECK(fv.index({1, 2}).item<float>() == 6);
  CHECK(kiln::zeros({2, 3}).sum().item<float>() == 0);
  CHECK(kiln::ones({2, 3}, kiln::kLong).dtype() == kiln::kLong);
  CHECK(kiln::full({2}, 7.0).to_vector<double>() == std::vector<double>{7, 7});
  CHECK(kiln::eye(3).sum().item<float>() == 3);
  CHECK(kiln::zeros_like(fv).sum().item<float>() == 0);
  CHECK(kiln::ones_like(fv).sum().item<float>() == 6);
  CHECK(kiln::full_like(fv, 2.5).sum().item<float>() == 15);
  CHECK(kiln::arange(6).numel() == 6);
  CHECK(kiln::arange(0, 10, 2).to_vector<int64_t>() == std::vector<int64_t>{0, 2, 4, 6, 8});
  auto ls = kiln::linspace(0, 5, 101);
  CHECK(ls.numel() == 101);
  CHECK(ls.index({100}).item<float>() == Approx(5));
  CHECK(kiln::rand({2, 5}).sizes() == std::vector<int64_t>{2, 5});
  CHECK(kiln::randn({2, 5}).numel() == 10);
  auto ri = kiln::randint(0, 10, {4}).to_vector<int64_t>();
  for (int64_t v : ri) CHECK((v >= 0 && v < 10));
  // A bare DType as the trailing option.
  CHECK(kiln::arange(6, kiln::kFloat64).dtype() == kiln::kFloat64);
}

TEST_CASE("API.md: tensor metadata, values, conversions", "[api]") {
  auto t = kiln::arange(6).reshape({2, 3}).float_();
  CHECK(t.sizes() == t.shape());
  CHECK(t.size(1) == 3);
  CHECK(t.dim() == 2);
  CHECK(t.numel() == 6);
  CHECK(t.dtype() == kiln::kFloat32);
  CHECK(t.device().is_cpu());
  CHECK(t.is_contiguous());
  CHECK(t.strides() == std::vector<int64_t>{3, 1});
  CHECK(t.sum().item<float>() == 15);
  CHECK(t.to_vector<int>() == std::vector<int>{0, 1, 2, 3, 4, 5});
  std::ostringstream os;
  os << t;
  CHECK(os.str().rfind("tensor([[", 0) == 0);
  CHECK(fmt::format("{}", t) == os.str());
  t.eval();
  auto a = t * 2, b = t + 1, c = t - 1;
  kiln::eval({a, b, c});
  CHECK(t.to(kiln::kFloat64).dtype() == kiln::kFloat64);
  CHECK(t.cpu().device().is_cpu());
  CHECK(t.long_().dtype() == kiln::kLong);
  CHECK(t.transpose(0, 1).contiguous().is_contiguous());
  auto cl = t.clone();
  cl.add_(1);
  CHECK(t.sum().item<float>() == 15);
  auto det = t.detach();
  det.mul_(2);  // detach shares storage
  CHECK(t.sum().item<float>() == 30);
  if (kiln::cuda::is_available()) {
    CHECK(t.cuda().device() == kiln::Device(kiln::kCUDA, 0));
    CHECK(t.to(kiln::kCUDA).cpu().sum().item<float>() == 30);
  }
}

TEST_CASE("API.md: arithmetic, reductions, shapes", "[api]") {
  auto x = kiln::tensor({{1.f, -2.f, 3.f}, {-4.f, 5.f, -6.f}});
  CHECK(values(-x + 1 - 2 * x / 2) == values(1 - 2 * x));
  CHECK(kiln::pow(x, 2).sum().item<float>() == 91);
  CHECK(x.pow(kiln::full({2, 3}, 2.0)).sum().item<float>() == 91);
  for (auto t : {kiln::exp(x),
                 kiln::log(x.abs()),
                 kiln::log1p(x.abs()),
                 kiln::expm1(x),
                 kiln::sqrt(x.abs()),
                 kiln::rsqrt(x.abs()),
                 kiln::abs(x),
                 kiln::sign(x),
                 kiln::sin(x),
                 kiln::cos(x),
                 kiln::tanh(x),
                 kiln::sigmoid(x),
                 kiln::relu(x),
                 kiln::gelu(x),
                 kiln::silu(x),
                 kiln::softplus(x),
                 kiln::erf(x),
                 kiln::floor(x),
                 kiln::ceil(x),
                 kiln::round(x),
                 kiln::reciprocal(x),
                 kiln::clamp(x, -1, 1),
                 kiln::minimum(x, -x),
                 kiln::maximum(x, -x),
                 kiln::where(x > 0, x, -x)}) {
    CHECK(t.sizes() == x.sizes());
  }
  CHECK(x.exp().sum().item<float>() == Approx(kiln::exp(x).sum().item<float>()));
  CHECK(values(kiln::relu(x)) == std::vector<float>{1, 0, 3, 0, 5, 0});
  auto cmp = {x<0, x <= 0, x> 0, x >= 0,  x == 1,  x != 1,  x.lt(0),
              x.le(0),           x.gt(0), x.ge(0), x.eq(1), x.ne(1)};
  for (const auto& c : cmp) CHECK(c.dtype() == kiln::kBool);
  CHECK(kiln::logical_and(x > 0, x < 4).sum().item<int64_t>() == 2);
  CHECK(kiln::logical_or(x > 4, x < -5).sum().item<int64_t>() == 2);
  CHECK(kiln::logical_not(x > 0).sum().item<int64_t>() == 3);
  // Broadcasting.
  CHECK((x + kiln::tensor({10.f, 20.f, 30.f})).sum().item<float>() == 117);

  CHECK(x.sum().item<float>() == -3);
  CHECK(values(x.sum(1)) == std::vector<float>{2, -5});
  CHECK(x.sum(0, /*keepdim=*/true).sizes() == std::vector<int64_t>{1, 3});
  CHECK(x.sum(std::vector<int64_t>{0, 1}).item<float>() == -3);
  CHECK(x.mean().item<float>() == Approx(-0.5));
  CHECK(x.prod().item<float>() == -720);
  CHECK(x.argmax().item<int64_t>() == 4);
  CHECK(x.argmin().item<int64_t>() == 5);
  CHECK(x.norm().item<float>() == Approx(std::sqrt(91.0)));
  CHECK(x.var().item<float>() == Approx(91.0 / 5 - 0.5 * 0.5 * 6 / 5));
  CHECK(x.std().item<float>() == Approx(std::sqrt(91.0 / 5 - 0.3)));
  CHECK(x.logsumexp(1).sizes() == std::vector<int64_t>{2});
  CHECK_FALSE((x > 0).all().item<bool>());
  CHECK((x > 0).any().item<bool>());
  auto [mx, imx] = x.max(1, false);
  CHECK(values(mx) == std::vector<float>{3, 5});
  CHECK(imx.dtype() == kiln::kLong);
  CHECK(imx.to_vector<int64_t>() == std::vector<int64_t>{2, 1});
  auto [mn, imn] = x.min(1, true);
  CHECK(mn.sizes() == std::vector<int64_t>{2, 1});
  auto [sorted, order] = x.sort(1, /*descending=*/true);
  CHECK(values(sorted) == std::vector<float>{3, 1, -2, 5, -4, -6});
  CHECK(order.to_vector<int64_t>() == std::vector<int64_t>{2, 0, 1, 1, 0, 2});
  CHECK(x.max().dim() == 0);
  CHECK(x.softmax(1).sum(1).to_vector<float>()[0] == Approx(1));
  CHECK(x.log_softmax(1).exp().sum().item<float>() == Approx(2));
  CHECK(values(x.cumsum(1)) == std::vector<float>{1, -1, 2, -4, 1, -5});

  auto v = kiln::arange(24).float_();
  auto r = v.reshape({2, 3, 4});
  CHECK(v.view({4, -1}).size(1) == 6);
  CHECK(r.permute({2, 0, 1}).sizes() == std::vector<int64_t>{4, 2, 3});
  CHECK(r.transpose(0, 2).size(0) == 4);
  CHECK(x.t().sizes() == std::vector<int64_t>{3, 2});
  CHECK(kiln::ones({3, 1}).expand({3, 4}).numel() == 12);
  CHECK(kiln::ones({3, 1}).expand_as(kiln::ones({3, 4})).numel() == 12);
  CHECK(kiln::ones({3, 1}).squeeze().dim() == 1);
  CHECK(kiln::ones({3}).unsqueeze(0).dim() == 2);
  CHECK(r.flatten().dim() == 1);
  CHECK(r.narrow(2, 1, 2).size(2) == 2);
  CHECK(v.slice(0, 2, 10, 3).to_vector<float>() == std::vector<float>{2, 5, 8});
  CHECK(v.chunk(3).size() == 3);
  CHECK(v.split(10).size() == 3);
  CHECK(kiln::tensor({1.f, 2.f}).flip({0}).to_vector<float>() == std::vector<float>{2, 1});
  CHECK(kiln::tensor({1.f, 2.f}).repeat({2}).numel() == 4);
  CHECK(kiln::cat({x, x}).size(0) == 4);
  CHECK(kiln::stack({x, x}).dim() == 3);
  CHECK(kiln::pad(x, {1, 1}).size(1) == 5);
  auto idx = kiln::tensor({{0, 0}, {1, 0}}).long_();
  CHECK(values(kiln::gather(x, 1, idx)) == std::vector<float>{1, 1, 5, -4});
  CHECK(x.index_select(1, kiln::tensor({2}).long_()).sizes() == std::vector<int64_t>{2, 1});
  CHECK(kiln::one_hot(kiln::tensor({0, 2}).long_(), 3).sum().item<int64_t>() == 2);
  // view throws where no strides express the layout.
  CHECK_THROWS(r.transpose(0, 2).view({-1}));
  CHECK(r.transpose(0, 2).reshape({-1}).numel() == 24);
}

TEST_CASE("API.md: indexing, linear algebra, in-place", "[api]") {
  using namespace kiln::indexing;
  auto x = kiln::arange(10).float_();
  auto m = kiln::arange(12).float_().reshape({3, 4});
  CHECK(x.index({Slice(None, 5)}).numel() == 5);
  CHECK(x.index({Slice(-5, None)}).to_vector<float>()[0] == 5);
  CHECK(m.index({1, 2}).item<float>() == 6);
  CHECK(m.index({Slice(), 0}).to_vector<float>() == std::vector<float>{0, 4, 8});
  CHECK(x.index({None, Slice()}).sizes() == std::vector<int64_t>{1, 10});
  CHECK(m.index({m > 9}).to_vector<float>() == std::vector<float>{10, 11});
  m.index_put_({Slice(), 0}, kiln::full({3}, -1.0));
  CHECK(m.index({Slice(), 0}).sum().item<float>() == -3);

  auto a = kiln::ones({2, 3}), b = kiln::ones({3, 4});
  CHECK(kiln::matmul(a, b).sum().item<float>() == 24);
  CHECK(kiln::matmul(kiln::ones({5, 2, 3}), b).sizes() == std::vector<int64_t>{5, 2, 4});
  CHECK(kiln::mm(a, b).size(1) == 4);
  CHECK(kiln::bmm(kiln::ones({2, 2, 3}), kiln::ones({2, 3, 4})).size(0) == 2);
  CHECK(kiln::t(a).size(0) == 3);
  CHECK(kiln::einsum("ij,jk->ik", {a, b}).sum().item<float>() == 24);

  auto base = kiln::arange(6).float_();
  auto view = base.view({2, 3});
  view.mul_(2);
  CHECK(base.sum().item<float>() == 30);
  base.add_(1).sub_(1).div_(2);
  CHECK(base.sum().item<float>() == 15);
  base.clamp_(0, 3);
  CHECK(base.max().item<float>() == 3);
  base.fill_(2);
  base.copy_(kiln::ones({6}));
  CHECK(base.sum().item<float>() == 6);
  base.zero_();
  CHECK(view.sum().item<float>() == 0);
}

TEST_CASE("API.md: autograd", "[api]") {
  auto x = kiln::linspace(0, 5, 100).requires_grad_();
  auto y = kiln::cos(x * x);
  std::vector<kiln::Tensor> g = kiln::autograd::grad({y.sum()}, {x});
  REQUIRE(g.size() == 1);
  y.sum().backward();
  auto want = (-kiln::sin(x.detach() * x.detach()) * 2 * x.detach()).to_vector<float>();
  auto got = x.grad().to_vector<float>();
  for (size_t i = 0; i < want.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-4));
  CHECK(g[0].to_vector<float>()[50] == Approx(want[50]).margin(1e-4));
  y.sum().backward();  // graphs are retained; each call accumulates
  CHECK(x.grad().to_vector<float>()[50] == Approx(2 * want[50]).margin(1e-4));
  x.grad().zero_();
  CHECK(x.grad().abs().sum().item<float>() == 0);
  CHECK(x.is_leaf());
  CHECK(x.requires_grad());
  auto h = x * 3;
  h.retain_grad();
  h.sum().backward();
  CHECK(h.grad().sum().item<float>() == Approx(100));
  auto p = kiln::ones({3}).requires_grad_();
  (p * p).sum().backward();
  CHECK_THROWS(p.sub_(1));  // in-place on a leaf that requires grad
  {
    kiln::NoGradGuard no_grad;
    p.sub_(0.1 * p.grad());
    CHECK_FALSE((p * 2).requires_grad());
  }
  CHECK(p.sum().item<float>() == Approx(2.4));
  // Higher order: d/dx of d/dx x^3 = 6x.
  auto z = kiln::tensor({2.f}).requires_grad_();
  auto dz = kiln::autograd::grad({(z * z * z).sum()}, {z}, {}, /*create_graph=*/true);
  auto d2 = kiln::autograd::grad({dz[0].sum()}, {z});
  CHECK(d2[0].item<float>() == Approx(12));
  auto w = kiln::tensor({3.f}).requires_grad_();
  (w * w).sum().backward(/*grad=*/{}, /*create_graph=*/true);
  CHECK(w.grad().item<float>() == Approx(6));
}

TEST_CASE("API.md: optimizers and schedules", "[api]") {
  auto w = kiln::ones({2}).requires_grad_();
  std::vector<kiln::Tensor> params{w};
  kiln::optim::SGD sgd(params,
                       kiln::optim::SGDOptions(0.1).momentum(0.5).nesterov(false).weight_decay(0));
  kiln::optim::Adam adam(params, kiln::optim::AdamOptions(1e-3).betas({0.9, 0.999}).eps(1e-8));
  kiln::optim::AdamW adamw(params, kiln::optim::AdamWOptions(1e-3));
  kiln::optim::RMSprop rms(params, kiln::optim::RMSpropOptions(1e-2));
  sgd.zero_grad();
  (w * w).sum().backward();
  sgd.step();  // w = 1 - 0.1 * 2
  CHECK(w.to_vector<float>()[0] == Approx(0.8));
  sgd.set_lr(0.05);
  CHECK(sgd.lr() == Approx(0.05));
  kiln::optim::StepLR step_lr(sgd, /*step_size=*/1, /*gamma=*/0.5);
  step_lr.step();
  CHECK(sgd.lr() == Approx(0.025));
  kiln::optim::CosineAnnealingLR cosine(adam, /*t_max=*/10);
  cosine.step();
  CHECK(adam.lr() < 1e-3);
  adam.zero_grad();
  (w * w).sum().backward();
  adam.step();
  adamw.zero_grad();
  rms.zero_grad();
  CHECK(std::isfinite(w.sum().item<float>()));
}

TEST_CASE("API.md: compiled functions and modules", "[api]") {
  struct Net : kiln::nn::Module {
    Net() {
      fc1 = register_module("fc1", kiln::nn::Linear(2, 20));
      fc2 = register_module("fc2", kiln::nn::Linear(20, 2));
    }
    kiln::Tensor forward(kiln::Tensor x) { return fc2(kiln::relu(fc1(x))); }
    kiln::nn::Linear fc1{nullptr}, fc2{nullptr};
  };
  auto net = std::make_shared<Net>();
  kiln::optim::SGD opt(net->parameters(), kiln::optim::SGDOptions(0.1));
  auto step = kiln::compile([&](kiln::Tensor x, kiln::Tensor y) {
    auto loss = kiln::nn::functional::cross_entropy(net->forward(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    return loss;
  });
  auto images = kiln::randn({8, 2});
  auto labels = (images.index({kiln::indexing::Slice(), 0}) > 0).long_();
  float first = step(images, labels).item<float>();
  float last = first;
  for (int i = 0; i < 30; ++i) last = step(images, labels).item<float>();
  CHECK(last < first);

  kiln::nn::Linear lin(3, 2);
  CHECK(lin->weight.sizes() == std::vector<int64_t>{2, 3});
  CHECK(lin->bias.numel() == 2);
  auto x = kiln::ones({4, 3});
  CHECK(lin(x).sizes() == lin->forward(x).sizes());
  kiln::nn::Linear nobias(kiln::nn::LinearOptions(3, 2).bias(false));
  CHECK(nobias->parameters().size() == 1);
  kiln::nn::Sequential seq(kiln::nn::Linear(2, 20), kiln::nn::ReLU(), kiln::nn::Linear(20, 2));
  kiln::nn::Sequential named(
      {{"layer1", kiln::nn::Sequential(kiln::nn::Linear(2, 20), kiln::nn::ReLU())},
       {"layer3", kiln::nn::Linear(20, 2)}});
  std::vector<std::string> names;
  for (auto& [name, m] : named->named_modules()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"", "layer1", "layer1.0", "layer1.1", "layer3"});
  std::vector<std::string> pnames;
  for (auto& [name, p] : seq->named_parameters()) pnames.push_back(name);
  CHECK(pnames == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  CHECK(seq->children().size() == 3);
  CHECK(seq->named_buffers().size() == 0);
  auto dict = net->state_dict();
  CHECK(dict.size() == 4);
  CHECK(dict.contains("fc1.weight"));
  CHECK(dict.at("fc2.bias").numel() == 2);
  for (auto& [name, t] : dict) CHECK(!name.empty());
  auto other = std::make_shared<Net>();
  kiln::nn::LoadResult res = other->load_state_dict(dict, /*strict=*/false);
  CHECK(res.missing_keys.empty());
  CHECK(res.unexpected_keys.empty());
  net->train(false);
  CHECK_FALSE(net->is_training());
  net->train(true);
  net->eval();
  CHECK_FALSE(net->is_training());
  net->to(kiln::Device(kiln::kCPU));
  net->zero_grad();
  std::ostringstream os;
  os << *seq;
  CHECK(os.str().find("Linear(in_features=2, out_features=20, bias=true)") != std::string::npos);

  // Layers and functional, positionally as in PyTorch.
  namespace F = kiln::nn::functional;
  auto img = kiln::randn({2, 1, 8, 8});
  kiln::nn::Conv2d conv(kiln::nn::Conv2dOptions(1, 4, 3));
  CHECK(conv(img).sizes() == std::vector<int64_t>{2, 4, 6, 6});
  CHECK(F::conv2d(img, conv->weight, {}, 1, 1).sizes() == std::vector<int64_t>{2, 4, 8, 8});
  CHECK(F::max_pool2d(img, 2).size(2) == 4);
  CHECK(F::avg_pool2d(img, 2).size(3) == 4);
  CHECK(F::layer_norm(img, {8}).sizes() == img.sizes());
  CHECK(F::dropout(img, 0.5, false).sum().item<float>() == Approx(img.sum().item<float>()));
  CHECK(F::linear(x, lin->weight, lin->bias).size(1) == 2);
  CHECK(F::softmax(x, 1).sum().item<float>() == Approx(4));
  CHECK(F::log_softmax(x, 1).size(0) == 4);
  CHECK(F::relu(x).numel() == 12);
  CHECK(F::gelu(x).numel() == 12);
  auto logits = kiln::randn({4, 3});
  auto target = kiln::tensor({0, 1, 2, 1}).long_();
  CHECK(F::nll_loss(F::log_softmax(logits, 1), target).item<float>() ==
        Approx(F::cross_entropy(logits, target).item<float>()));
  CHECK(F::mse_loss(x, x).item<float>() == 0);
  CHECK(std::isfinite(F::binary_cross_entropy_with_logits(x, x).item<float>()));
  CHECK(F::one_hot(target, 3).size(1) == 3);
  CHECK(F::batch_norm(img, kiln::zeros({1}), kiln::ones({1})).sizes() == img.sizes());
  kiln::nn::init::kaiming_uniform_(conv->weight);
  kiln::nn::init::kaiming_normal_(conv->weight);
  kiln::nn::init::xavier_uniform_(conv->weight);
  kiln::nn::init::normal_(conv->weight);
  kiln::nn::init::uniform_(conv->weight);
  kiln::nn::init::zeros_(conv->weight);
  kiln::nn::init::ones_(conv->weight);
  CHECK(conv->weight.sum().item<float>() == 36);
  kiln::nn::ModuleList list;
  list->push_back(kiln::nn::Identity());
  CHECK(list->size() == 1);

  // Saving: a module, a state dict, loading into a module.
  std::string path = temp_path("model.safetensors");
  kiln::save(net, path);
  kiln::StateDict loaded = kiln::load(path);
  CHECK(loaded.size() == 4);
  kiln::save(loaded, path);
  kiln::load(other, path);
  CHECK(other->fc1->weight.sum().item<float>() == Approx(net->fc1->weight.sum().item<float>()));
  std::filesystem::remove(path);
}

TEST_CASE("API.md: data", "[api]") {
  auto images = kiln::rand({10, 1, 4, 4});
  auto labels = kiln::arange(10);
  auto ds = std::make_shared<kiln::data::TensorDataset>(images, labels);
  CHECK(ds->size() == 10);
  kiln::data::Example e = ds->get(3);
  CHECK(e.target.item<int64_t>() == 3);
  using namespace kiln::data::transforms;
  auto t = Compose({Normalize(0.5, 0.5), RandomCrop(4, /*padding=*/1), RandomHorizontalFlip()});
  (void)t;
  kiln::data::DataLoader loader(ds, kiln::data::DataLoaderOptions()
                                        .batch_size(4)
                                        .shuffle(true)
                                        .drop_last(false)
                                        .num_workers(2)
                                        .pin_memory(false)
                                        .prefetch(2)
                                        .seed(0)
                                        .device(kiln::Device(kiln::kCPU)));
  CHECK(loader.size() == 3);
  int64_t seen = 0, sum = 0;
  for (auto& batch : loader) {
    seen += batch.data.size(0);
    sum += batch.target.sum().item<int64_t>();
  }
  CHECK(seen == 10);
  CHECK(sum == 45);
}

TEST_CASE("API.md: inspecting", "[api]") {
  auto x = kiln::rand({64, 32});
  x.eval();
  kiln::reset_stats();
  kiln::softmax(x, 1).eval();
  kiln::Stats s = kiln::stats();
  CHECK(s.kernel_launches == 1);
  CHECK(s.programs_compiled + s.program_cache_hits == 1);
  CHECK(s.kernels_compiled >= 0);
  CHECK(s.disk_cache_hits >= 0);
  CHECK(s.peak_device_bytes == 2 * 64 * 32 * 4);  // the program's input and output buffers
  std::string path = temp_path("graph.txt");
  kiln::save_graph({kiln::softmax(x, 1)}, path);
  CHECK(std::filesystem::file_size(path) > 0);
  std::filesystem::remove(path);
}

TEST_CASE("libtorch's spellings beyond API.md's snippets", "[api]") {
  // One integer where libtorch takes an IntArrayRef; a braced list stays a list ({} is none).
  kiln::Tensor x = kiln::arange(6, kiln::kFloat32);
  CHECK(x.view({2, 3}).view(-1).sizes() == std::vector<int64_t>{6});
  CHECK(x.reshape(-1).sizes() == std::vector<int64_t>{6});
  CHECK(kiln::reshape(x.view({3, 2}), -1).sizes() == std::vector<int64_t>{6});
  CHECK(values(kiln::flip(x, 0))[0] == 5.0f);
  CHECK(kiln::zeros(5).sizes() == std::vector<int64_t>{5});
  CHECK(kiln::zeros({}).dim() == 0);
  CHECK(kiln::ones(3, kiln::kFloat64).dtype() == kiln::kFloat64);
  CHECK(values(kiln::full(2, 1.5)) == std::vector<float>{1.5f, 1.5f});
  CHECK(kiln::rand(4).numel() == 4);
  CHECK(values(x.flip(0)) == std::vector<float>{5, 4, 3, 2, 1, 0});
  CHECK(values(kiln::ones({1}).expand(3)) == std::vector<float>{1, 1, 1});
  CHECK(kiln::ones({2}).repeat(2).numel() == 4);
  // Reductions with a braced list of dims ({} is all of them).
  kiln::Tensor m = x.view({2, 3}) + 1.0;
  CHECK(m.prod({}).item<double>() == 720.0);
  CHECK(values(m.prod({1})) == std::vector<float>{6, 120});
  CHECK(values(kiln::prod(m, {0})) == std::vector<float>{4, 10, 18});
  CHECK((m > 1.0).all({}).item<bool>() == false);
  CHECK((m > 1.0).any({}).item<bool>() == true);
  CHECK(kiln::all(m > 0.0, {0, 1}).item<bool>());
  CHECK(kiln::any(m > 5.0, {1}).to_vector<bool>() == std::vector<bool>{false, true});
  // named_modules on a const module; libtorch's option names.
  const kiln::nn::Sequential seq(kiln::nn::Linear(2, 2),
                                 kiln::nn::BatchNorm1d(kiln::nn::BatchNorm1dOptions(2)));
  CHECK(seq->named_modules().size() == 3);
  kiln::nn::BatchNorm2d bn(kiln::nn::BatchNorm2dOptions(4).eps(1e-3));
  CHECK(bn->options.eps() == 1e-3);
  // A loader's options from a batch size; a device printed as libtorch prints it.
  CHECK(kiln::data::DataLoaderOptions(64).batch_size() == 64);
  std::ostringstream os;
  os << kiln::Device(kiln::kCPU) << " " << kiln::Device(kiln::kCUDA, 1);
  CHECK(os.str() == "cpu cuda:1");
}
