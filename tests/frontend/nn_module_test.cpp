// nn::Module: registration and naming, iteration order of the named collections, module
// holders, Sequential (unnamed and named) and ModuleList, state_dict round trips,
// load_state_dict (strict, non-strict, shape mismatch messages), train/eval, zero_grad, and
// printing as libtorch prints.
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

using kiln::Tensor;
namespace nn = kiln::nn;

namespace {

struct Net : nn::Module {
  Net() {
    fc1 = register_module("fc1", nn::Linear(2, 20));
    fc2 = register_module("fc2", nn::Linear(20, 2));
    register_buffer("steps", kiln::zeros({1}));
  }
  Tensor forward(Tensor x) { return fc2(kiln::relu(fc1(x))); }
  nn::Linear fc1{nullptr}, fc2{nullptr};
};

std::vector<std::string> keys_of(const kiln::OrderedDict<Tensor>& d) { return d.keys(); }

std::string printed(const nn::Module& m) {
  std::ostringstream os;
  os << m;
  return os.str();
}

}  // namespace

TEST_CASE("nn: holders construct, reach and call their module", "[nn]") {
  nn::Linear lin(3, 2);
  CHECK(lin->weight.sizes() == std::vector<int64_t>{2, 3});
  CHECK(lin->bias.sizes() == std::vector<int64_t>{2});
  CHECK(lin->weight.requires_grad());
  CHECK(lin->weight.is_leaf());
  Tensor x = kiln::ones({4, 3});
  Tensor a = lin(x), b = lin->forward(x);
  CHECK(a.sizes() == std::vector<int64_t>{4, 2});
  CHECK(a.to_vector<float>() == b.to_vector<float>());

  nn::Linear nobias(nn::LinearOptions(3, 2).bias(false));
  CHECK_FALSE(nobias->bias.defined());
  CHECK(nobias->named_parameters().keys() == std::vector<std::string>{"weight"});

  nn::Linear empty{nullptr};
  CHECK(empty.is_empty());
  CHECK_THROWS_WITH(empty->forward(x), Catch::Contains("[ModuleHolder] accessing an empty"));
  empty = nn::Linear(3, 1);
  CHECK(empty(x).sizes() == std::vector<int64_t>{4, 1});
}

TEST_CASE("nn: registration order names parameters, buffers and modules", "[nn]") {
  auto net = std::make_shared<Net>();
  CHECK(keys_of(net->named_parameters()) ==
        std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"});
  CHECK(keys_of(net->named_buffers()) == std::vector<std::string>{"steps"});
  CHECK(net->parameters().size() == 4);
  CHECK(net->parameters(false).empty());
  std::vector<std::string> names;
  for (auto& [name, p] : net->named_parameters()) {
    names.push_back(name);
    CHECK(p.requires_grad());
  }
  CHECK(names.size() == 4);
  // The same tensors as the members: a write through one is seen by the other.
  CHECK(net->named_parameters().at("fc1.weight").is_same_storage(net->fc1->weight));
  CHECK(net->named_modules().keys() == std::vector<std::string>{"", "fc1", "fc2"});
  CHECK(net->named_modules()[""].get() == net.get());
  CHECK(net->children().size() == 2);
  CHECK(net->named_children().keys() == std::vector<std::string>{"fc1", "fc2"});
  CHECK_THROWS_WITH(net->register_module("fc1", nn::Linear(1, 1)),
                    Catch::Contains("'fc1' already defined"));
  CHECK_THROWS_WITH(net->register_parameter("a.b", kiln::ones({1})),
                    Catch::Contains("must not contain a dot"));
}

TEST_CASE("nn: Sequential unnamed and named, nested names depth-first", "[nn]") {
  nn::Sequential seq(nn::Linear(2, 20), nn::ReLU(), nn::Linear(20, 2));
  CHECK(seq->size() == 3);
  CHECK(seq->named_modules().keys() == std::vector<std::string>{"", "0", "1", "2"});
  CHECK(seq->named_parameters().keys() ==
        std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  CHECK(seq(kiln::ones({5, 2})).sizes() == std::vector<int64_t>{5, 2});

  nn::Sequential named(
      {{"layer1", nn::Sequential(nn::Linear(2, 20), nn::ReLU())}, {"layer3", nn::Linear(20, 2)}});
  CHECK(named->named_modules().keys() ==
        std::vector<std::string>{"", "layer1", "layer1.0", "layer1.1", "layer3"});
  CHECK(named->state_dict().keys() == std::vector<std::string>{"layer1.0.weight", "layer1.0.bias",
                                                               "layer3.weight", "layer3.bias"});
  nn::Sequential grown;
  grown->push_back(nn::Linear(2, 3));
  grown->push_back("act", nn::Tanh());
  CHECK(grown->named_modules().keys() == std::vector<std::string>{"", "0", "act"});
  CHECK(grown(kiln::ones({1, 2})).sizes() == std::vector<int64_t>{1, 3});
  CHECK_THROWS_WITH(nn::Sequential()->forward(kiln::ones({1})),
                    Catch::StartsWith("[Sequential] cannot call forward() on an empty"));

  // forward chains in order: the same as calling each layer.
  Tensor x = kiln::randn({3, 2});
  auto* first = named[0]->as<nn::SequentialImpl>();
  REQUIRE(first != nullptr);
  auto* last = named[1]->as<nn::Linear>();
  REQUIRE(last != nullptr);
  auto want = last->forward(first->forward(x)).to_vector<float>();
  auto got = named(x).to_vector<float>();
  for (size_t i = 0; i < want.size(); ++i) CHECK(got[i] == Approx(want[i]));
}

TEST_CASE("nn: ModuleList holds modules by position", "[nn]") {
  nn::ModuleList list(nn::Linear(2, 3), nn::ReLU());
  list->push_back(nn::Linear(3, 1));
  CHECK(list->size() == 3);
  CHECK(list->named_modules().keys() == std::vector<std::string>{"", "0", "1", "2"});
  CHECK(list->at<nn::LinearImpl>(2).options.out_features() == 1);
  CHECK_THROWS_WITH(list->at<nn::LinearImpl>(1), Catch::Contains("not of the type"));
  int n = 0;
  for (const auto& m : *list) n += m != nullptr ? 1 : 0;
  CHECK(n == 3);
}

TEST_CASE("nn: state_dict orders parameters then buffers per module, and round-trips", "[nn]") {
  nn::Sequential model(nn::Linear(3, 4), nn::BatchNorm1d(4), nn::Linear(4, 2));
  kiln::StateDict sd = model->state_dict();
  CHECK(sd.keys() == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias",
                                              "1.running_mean", "1.running_var",
                                              "1.num_batches_tracked", "2.weight", "2.bias"});
  CHECK(sd.size() == 9);
  CHECK(sd.contains("1.running_var"));
  CHECK_FALSE(sd.contains("1.missing"));
  CHECK(sd.at("1.num_batches_tracked").dtype() == kiln::kInt64);
  CHECK_THROWS_WITH(sd.at("nope"), Catch::Contains("'nope' not found"));

  nn::Sequential other(nn::Linear(3, 4), nn::BatchNorm1d(4), nn::Linear(4, 2));
  Tensor held = other[0]->as<nn::LinearImpl>()->weight;  // a handle taken before loading
  auto result = other->load_state_dict(sd);
  CHECK(result.missing_keys.empty());
  CHECK(result.unexpected_keys.empty());
  CHECK(held.to_vector<float>() == sd.at("0.weight").to_vector<float>());
  CHECK(held.requires_grad());
  Tensor x = kiln::randn({5, 3});
  model->eval();
  other->eval();
  CHECK(model(x).to_vector<float>() == other(x).to_vector<float>());
}

TEST_CASE("nn: load_state_dict strict and non-strict", "[nn]") {
  auto net = std::make_shared<Net>();
  kiln::StateDict sd = net->state_dict();
  kiln::StateDict partial;
  partial.insert("fc1.weight", sd.at("fc1.weight"));
  partial.insert("extra", kiln::ones({1}));
  CHECK_THROWS_WITH(net->load_state_dict(partial),
                    Catch::Contains("Error(s) in loading state_dict for Net") &&
                        Catch::Contains("Missing key(s) in state_dict: \"steps\", \"fc1.bias\", "
                                        "\"fc2.weight\", \"fc2.bias\".") &&
                        Catch::Contains("Unexpected key(s) in state_dict: \"extra\"."));
  auto r = net->load_state_dict(partial, /*strict=*/false);
  // PyTorch's order: a module's own keys (the buffer "steps"), then its children's.
  CHECK(r.missing_keys == std::vector<std::string>{"steps", "fc1.bias", "fc2.weight", "fc2.bias"});
  CHECK(r.unexpected_keys == std::vector<std::string>{"extra"});

  kiln::StateDict wrong;
  wrong.insert("fc1.weight", kiln::zeros({20, 3}));
  CHECK_THROWS_AS(net->load_state_dict(wrong, false), kiln::ShapeError);
  CHECK_THROWS_WITH(net->load_state_dict(wrong, false),
                    Catch::Contains("size mismatch for fc1.weight: copying a param with shape "
                                    "[20, 3] from checkpoint, the shape in current model is "
                                    "[20, 2]"));
}

TEST_CASE("nn: train/eval propagate, zero_grad clears gradients", "[nn]") {
  nn::Sequential seq(nn::Linear(2, 3), nn::Dropout(0.5), nn::Linear(3, 1));
  CHECK(seq->is_training());
  seq->eval();
  for (const auto& m : seq->modules()) CHECK_FALSE(m->is_training());
  seq->train();
  for (const auto& m : seq->modules()) CHECK(m->is_training());

  seq(kiln::ones({4, 2})).sum().backward();
  for (const auto& p : seq->parameters()) CHECK(p.grad().defined());
  seq->zero_grad(/*set_to_none=*/false);
  for (const auto& p : seq->parameters()) CHECK(p.grad().abs().sum().item<double>() == 0.0);
  seq->zero_grad();
  for (const auto& p : seq->parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("nn: to(dtype) converts in place, keeping the handles", "[nn]") {
  nn::Linear lin(3, 2);
  Tensor w = lin->weight;
  auto before = w.to_vector<double>();
  lin->to(kiln::kFloat64);
  CHECK(w.dtype() == kiln::kFloat64);
  CHECK(lin->named_parameters().at("weight").dtype() == kiln::kFloat64);
  CHECK(w.requires_grad());
  auto after = w.to_vector<double>();
  for (size_t i = 0; i < before.size(); ++i) CHECK(after[i] == before[i]);
  lin->to(kiln::Device(kiln::kCPU));  // same device: nothing moves
  CHECK(lin(kiln::ones({1, 3}, kiln::kFloat64)).dtype() == kiln::kFloat64);
}

TEST_CASE("nn: modules print as libtorch prints them", "[nn]") {
  CHECK(printed(*nn::Linear(3, 2)) == "Linear(in_features=3, out_features=2, bias=true)");
  CHECK(printed(*nn::Linear(nn::LinearOptions(3, 2).bias(false))) ==
        "Linear(in_features=3, out_features=2, bias=false)");
  nn::Sequential seq(nn::Linear(2, 20), nn::ReLU(), nn::Linear(20, 2));
  CHECK(printed(*seq) ==
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=20, bias=true)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in_features=20, out_features=2, bias=true)\n"
        ")");
  nn::Sequential named(
      {{"layer1", nn::Sequential(nn::Linear(2, 20), nn::ReLU())}, {"layer3", nn::Linear(20, 2)}});
  std::ostringstream os;
  os << named;
  CHECK(os.str() ==
        "Sequential(\n"
        "  (layer1): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=20, bias=true)\n"
        "    (1): ReLU()\n"
        "  )\n"
        "  (layer3): Linear(in_features=20, out_features=2, bias=true)\n"
        ")");
  auto net = std::make_shared<Net>();
  std::ostringstream ns;
  ns << net;
  CHECK(ns.str() ==
        "Net(\n"
        "  (fc1): Linear(in_features=2, out_features=20, bias=true)\n"
        "  (fc2): Linear(in_features=20, out_features=2, bias=true)\n"
        ")");
  CHECK(printed(*nn::Conv2d(1, 32, 3)) == "Conv2d(1, 32, kernel_size=[3, 3], stride=[1, 1])");
  CHECK(printed(*nn::Conv2d(nn::Conv2dOptions(4, 8, {3, 5})
                                .stride(2)
                                .padding(1)
                                .dilation(2)
                                .groups(2)
                                .bias(false))) ==
        "Conv2d(4, 8, kernel_size=[3, 5], stride=[2, 2], padding=[1, 1], dilation=[2, 2], "
        "groups=2, bias=false)");
  CHECK(printed(*nn::MaxPool2d(2)) ==
        "MaxPool2d(kernel_size=[2, 2], stride=[2, 2], padding=[0, 0], dilation=[1, 1], "
        "ceil_mode=false)");
  CHECK(printed(*nn::AvgPool2d(nn::AvgPool2dOptions(3).stride(1))) ==
        "AvgPool2d(kernel_size=[3, 3], stride=[1, 1], padding=[0, 0])");
  CHECK(printed(*nn::AdaptiveAvgPool2d(1)) == "AdaptiveAvgPool2d(output_size=[1, 1])");
  CHECK(printed(*nn::BatchNorm2d(32)) ==
        "BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true)");
  CHECK(printed(*nn::LayerNorm(nn::LayerNormOptions({10}))) ==
        "LayerNorm([10], eps=1e-05, elementwise_affine=true)");
  CHECK(printed(*nn::Dropout(0.25)) == "Dropout(p=0.25, inplace=false)");
  CHECK(printed(*nn::Embedding(10, 3)) == "Embedding(num_embeddings=10, embedding_dim=3)");
  CHECK(printed(*nn::Flatten()) == "Flatten(start_dim=1, end_dim=-1)");
  CHECK(printed(*nn::Softmax(1)) == "Softmax(dim=1)");
  CHECK(printed(*nn::LogSoftmax(1)) == "LogSoftmax(dim=1)");
  CHECK(printed(*nn::GELU()) == "GELU()");
  CHECK(printed(*nn::Sigmoid()) == "Sigmoid()");
  CHECK(printed(*nn::Tanh()) == "Tanh()");
  CHECK(printed(*nn::Identity()) == "Identity()");
  CHECK(printed(*nn::ModuleList(nn::ReLU())) == "ModuleList(\n  (0): ReLU()\n)");
}
