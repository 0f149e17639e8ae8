// Workloads fed by kiln's DataLoader over Fashion-MNIST's training split (60000 images, the
// main job's Normalize, shuffled, drop_last):
//   mlp_train  a kiln::compile'd Adam step of MLP 784-256-256-10, batch 256; a rep is one step,
//              including taking the next batch from the loader (2 workers).
//   cnn_train  the same for conv(1->32,3x3)-relu-maxpool2-conv(32->64,3x3)-relu-maxpool2-
//              flatten-linear(1600->10), batch 128.
//   loader     the DataLoader alone (2 workers, batch 256); a rep is one whole epoch.
// --scale trains on the first scale * 60000 images (at least one batch); the models keep their
// sizes. When the dataset folder ($KILN_FASHION_MNIST or /usr/share/datasets/fashion-mnist) is
// missing, a TensorDataset of random images and labels of the same shapes stands in, and the
// result's note says so.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "workloads.h"

namespace kiln_bench {
namespace {

using kiln::Tensor;
namespace data = kiln::data;
namespace nn = kiln::nn;

constexpr size_t kWorkers = 2;
constexpr int64_t kTrainImages = 60000;

/// The training split (or its synthetic stand-in), cut to scale * 60000 images.
struct Source {
  std::shared_ptr<const data::Dataset> dataset;
  std::string note;  // "" for the real dataset
};

Source training_images(double scale, size_t batch, uint64_t seed) {
  auto count = static_cast<size_t>(
      std::max<int64_t>(static_cast<int64_t>(batch),
                        std::llround(static_cast<double>(kTrainImages) * std::min(scale, 1.0))));
  std::string root = data::FashionMNIST::default_root();
  Source s;
  if (std::filesystem::is_directory(root)) {
    s.dataset = std::make_shared<data::FashionMNIST>(root, data::Split::Train,
                                                     data::transforms::Normalize(0.2860, 0.3530));
  } else {
    kiln::manual_seed(seed);
    auto n = static_cast<int64_t>(count);
    Tensor images = kiln::randn({n, 1, 28, 28});
    Tensor labels = kiln::randint(0, 10, {n}, kiln::TensorOptions(kiln::kLong));
    s.dataset = std::make_shared<data::TensorDataset>(images, labels);
    s.note = "synthetic data: no Fashion-MNIST at " + root;
  }
  if (count < s.dataset->size()) s.dataset = std::make_shared<data::Subset>(s.dataset, count);
  return s;
}

kiln::Device device_of(const std::string& dev) {
  return dev == "cuda" ? kiln::Device(kiln::kCUDA, 0) : kiln::Device(kiln::kCPU);
}

std::unique_ptr<data::DataLoader> make_loader(const Source& src, size_t batch,
                                              const std::string& dev, uint64_t seed) {
  auto device = device_of(dev);
  return std::make_unique<data::DataLoader>(src.dataset, data::DataLoaderOptions()
                                                             .batch_size(batch)
                                                             .shuffle(true)
                                                             .drop_last(true)
                                                             .num_workers(kWorkers)
                                                             .pin_memory(device.is_cuda())
                                                             .device(device)
                                                             .seed(seed));
}

/// A model, its optimizer and an endless stream of batches.
struct TrainState {
  nn::Sequential model{nullptr};
  std::unique_ptr<kiln::optim::Adam> opt;
  std::unique_ptr<data::DataLoader> loader;
  std::optional<data::DataLoader::Iterator> it;

  /// The next batch, starting another epoch after the last one.
  data::Example next() {
    if (it) ++*it;
    if (!it || *it == std::default_sentinel) it = loader->begin();
    return **it;
  }
};

nn::Sequential make_mlp() {
  return nn::Sequential(nn::Flatten(), nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 256),
                        nn::ReLU(), nn::Linear(256, 10));
}

nn::Sequential make_cnn() {
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 32, 3)), nn::ReLU(), nn::MaxPool2d(2),
                        nn::Conv2d(nn::Conv2dOptions(32, 64, 3)), nn::ReLU(), nn::MaxPool2d(2),
                        nn::Flatten(), nn::Linear(1600, 10));
}

}  // namespace

Workload data_train_wl(const std::string& dev, bool cnn, double scale, uint64_t seed) {
  const size_t batch = cnn ? 128 : 256;
  const auto b = static_cast<double>(batch);
  Workload w;
  w.name = cnn ? "cnn_train" : "mlp_train";
  w.shape = cnn ? "cnn,b128" : "784-256-256-10,b256";
  // Parameters, gradients and both Adam moments read and written once, plus the batch.
  const double params = cnn ? 32.0 * 9 + 32 + 64.0 * 288 + 64 + 1600.0 * 10 + 10
                            : 784.0 * 256 + 256 + 256.0 * 256 + 256 + 256.0 * 10 + 10;
  w.bytes = (params * 8.0 + b * 785.0) * 4.0;
  // Forward multiply-adds (convolutions as im2col matmuls), times 3 for the backward.
  const double macs = cnn ? 26.0 * 26 * 32 * 9 + 11.0 * 11 * 64 * 288 + 1600.0 * 10
                          : 784.0 * 256 + 256.0 * 256 + 256.0 * 10;
  w.flops = 3 * 2.0 * b * macs;
  w.samples_per_rep = b;
  w.batches_per_rep = 1;
  auto state = std::make_shared<TrainState>();
  auto note = std::make_shared<std::string>();
  w.make_inputs = [=] {
    Source src = training_images(scale, batch, seed);
    *note = src.note;
    kiln::manual_seed(seed);
    state->model = cnn ? make_cnn() : make_mlp();
    state->model->to(device_of(dev));
    state->opt = std::make_unique<kiln::optim::Adam>(state->model->parameters(),
                                                     kiln::optim::AdamOptions(1e-3));
    state->it.reset();
    state->loader = make_loader(src, batch, dev, seed);
    return std::vector<Tensor>{};
  };
  w.note = [note] { return *note; };
  auto step = std::make_shared<kiln::CompiledFunction<std::function<Tensor(Tensor, Tensor)>>>(
      [state](Tensor x, Tensor y) {
        Tensor loss = nn::functional::cross_entropy(state->model->forward(x), y);
        state->opt->zero_grad();
        loss.backward();
        state->opt->step();
        return loss;
      });
  w.build = [state, step](const std::vector<Tensor>&) {
    data::Example batch = state->next();
    return (*step)(batch.data, batch.target);
  };
  w.validate = [name = w.name](const std::vector<Tensor>&, const Tensor& out) {
    double loss = out.item<double>();
    if (!std::isfinite(loss) || loss <= 0 || loss > 10) {
      throw std::runtime_error(fmt::format("validation failed: {} loss {}", name, loss));
    }
  };
  return w;
}

/// One epoch of the loader; the result is the last batch's labels, validated with its shapes.
Workload data_loader_wl(const std::string& dev, double scale, uint64_t seed) {
  const size_t batch = 256;
  Workload w;
  w.name = "loader";
  auto source = std::make_shared<Source>();
  auto loader = std::make_shared<std::unique_ptr<data::DataLoader>>();
  auto last = std::make_shared<data::Example>();
  w.shape = "b256,2 workers";
  auto count = static_cast<double>(
      std::max<int64_t>(static_cast<int64_t>(batch),
                        std::llround(static_cast<double>(kTrainImages) * std::min(scale, 1.0))));
  const double batches = std::floor(count / static_cast<double>(batch));
  w.batches_per_rep = batches;
  w.samples_per_rep = batches * static_cast<double>(batch);
  w.bytes = w.samples_per_rep * (784.0 + 2.0) * 4.0;  // float images and int64 labels out
  w.make_inputs = [=] {
    *source = training_images(scale, batch, seed);
    *loader = make_loader(*source, batch, dev, seed);
    return std::vector<Tensor>{};
  };
  w.note = [source] { return source->note; };
  w.build = [loader, last](const std::vector<Tensor>&) {
    for (auto& b : **loader) *last = b;
    return last->target;
  };
  w.validate = [last, batch](const std::vector<Tensor>&, const Tensor& labels) {
    auto n = static_cast<int64_t>(batch);
    if (last->data.sizes() != std::vector<int64_t>{n, 1, 28, 28} ||
        labels.sizes() != std::vector<int64_t>{n}) {
      throw std::runtime_error("validation failed: a loader batch has the wrong shape");
    }
    for (int64_t label : labels.to_vector<int64_t>()) {
      if (label < 0 || label > 9) {
        throw std::runtime_error(fmt::format("validation failed: loader label {}", label));
      }
    }
  };
  return w;
}

}  // namespace kiln_bench
