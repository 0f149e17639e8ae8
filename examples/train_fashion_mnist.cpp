// kiln's main job: trains a classifier on Fashion-MNIST on the best device present (CUDA when
// a GPU is there, else the CPU; KILN_DEVICE=cpu|cuda overrides), with the whole training step
// (forward, backward, Adam update) compiled once by kiln::compile and replayed every batch.
// Prints a progress bar per epoch (loss, samples/s, ETA), the test accuracy, then saves the
// model as safetensors and loads it back into a fresh model to check it predicts the same.
//
// Adam's learning rate follows a half cosine from --lr (1e-3 for the MLP, 4e-3 for the CNN) to 0
// over all steps; with it the CNN passes 90% test accuracy in 3 epochs (constant 1e-3: 88.9%).
//
//   train_fashion_mnist [--model mlp|cnn] [--epochs 3] [--batch-size 128] [--lr LR]
//                       [--schedule cosine|constant] [--data DIR] [--out model.safetensors]
//                       [--workers 2] [--limit N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <kiln/kiln.h>

namespace nn = kiln::nn;
namespace data = kiln::data;

namespace {

/// MLP 784-256-256-10.
nn::Sequential make_mlp() {
  return nn::Sequential(nn::Flatten(), nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 256),
                        nn::ReLU(), nn::Linear(256, 10));
}

/// conv(1->32, 3x3)-relu-pool-conv(32->64, 3x3)-relu-pool-linear(1600->10).
nn::Sequential make_cnn() {
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 32, 3)), nn::ReLU(), nn::MaxPool2d(2),
                        nn::Conv2d(nn::Conv2dOptions(32, 64, 3)), nn::ReLU(), nn::MaxPool2d(2),
                        nn::Flatten(), nn::Linear(1600, 10));
}

/// A one-line progress bar, redrawn in place.
void progress(int epoch, int epochs, size_t done, size_t total, double loss, double samples_per_s,
              double eta_s) {
  constexpr int kWidth = 30;
  int filled = total == 0 ? kWidth : static_cast<int>(kWidth * done / total);
  std::string bar = std::string(static_cast<size_t>(filled), '#') +
                    std::string(static_cast<size_t>(kWidth - filled), '.');
  std::fprintf(stderr, "\repoch %d/%d [%s] %zu/%zu loss %.4f  %.0f samples/s  ETA %.0fs   ", epoch,
               epochs, bar.c_str(), done, total, loss, samples_per_s, eta_s);
}

/// Fraction of `loader`'s samples that `model` classifies correctly.
double accuracy(nn::Sequential& model, data::DataLoader& loader) {
  kiln::NoGradGuard no_grad;
  model->eval();
  int64_t correct = 0, seen = 0;
  for (auto& batch : loader) {
    kiln::Tensor pred = model->forward(batch.data).argmax(1);
    correct += (pred == batch.target).sum().item<int64_t>();
    seen += batch.target.size(0);
  }
  model->train();
  return seen == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(seen);
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_name = "mlp", root = data::FashionMNIST::default_root();
  std::string out = "fashion_mnist.safetensors";
  int epochs = 3, batch_size = 128, workers = 2;
  double lr = 0;  // the model's own
  int64_t limit = 0;
  std::string schedule = "cosine";
  CLI::App app{"Trains an MLP or a small CNN on Fashion-MNIST with kiln."};
  app.add_option("--model", model_name, "mlp or cnn")->check(CLI::IsMember({"mlp", "cnn"}));
  app.add_option("--epochs", epochs, "training epochs")->check(CLI::PositiveNumber);
  app.add_option("--batch-size", batch_size, "samples per step")->check(CLI::PositiveNumber);
  app.add_option("--lr", lr, "Adam's (peak) learning rate; default 1e-3 for mlp, 4e-3 for cnn")
      ->check(CLI::PositiveNumber);
  app.add_option("--data", root, "folder of the Fashion-MNIST IDX files")->capture_default_str();
  app.add_option("--out", out, "where to save the trained model (safetensors)");
  app.add_option("--workers", workers, "data loader worker threads")->check(CLI::NonNegativeNumber);
  app.add_option("--limit", limit, "train on the first N samples only (0: all)");
  app.add_option("--schedule", schedule,
                 "cosine: the learning rate falls from --lr to 0 along a half cosine over all "
                 "steps (CosineAnnealingLR stepped per batch); constant: it stays at --lr")
      ->check(CLI::IsMember({"cosine", "constant"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    kiln::Device device = kiln::default_device();
    kiln::manual_seed(0);
    auto normalize = data::transforms::Normalize(0.2860, 0.3530);
    std::shared_ptr<data::Dataset> train =
        std::make_shared<data::FashionMNIST>(root, data::Split::Train, normalize);
    std::shared_ptr<data::Dataset> test =
        std::make_shared<data::FashionMNIST>(root, data::Split::Test, normalize);
    if (limit > 0 && static_cast<size_t>(limit) < train->size()) {
      train = std::make_shared<data::Subset>(train, static_cast<size_t>(limit));
    }
    auto options = data::DataLoaderOptions()
                       .batch_size(static_cast<size_t>(batch_size))
                       .num_workers(static_cast<size_t>(workers))
                       .pin_memory(device.is_cuda())
                       .device(device)
                       .seed(0);
    data::DataLoader train_loader(train, options.shuffle(true).drop_last(true));
    data::DataLoader test_loader(test, options.shuffle(false).drop_last(false));

    if (lr == 0) lr = model_name == "cnn" ? 4e-3 : 1e-3;
    nn::Sequential model = model_name == "cnn" ? make_cnn() : make_mlp();
    model->to(device);
    kiln::optim::Adam opt(model->parameters(), kiln::optim::AdamOptions(lr));
    std::cout << "kiln: training " << model_name << " on " << device.str() << " (" << train->size()
              << " samples, batch " << batch_size << ", " << epochs << " epochs, Adam lr " << lr
              << (schedule == "cosine" ? " with a cosine schedule" : "") << ")\n"
              << model << "\n";

    kiln::optim::CosineAnnealingLR cosine(
        opt, std::max<int64_t>(1, static_cast<int64_t>(train_loader.size()) * epochs));
    auto step = kiln::compile([&](kiln::Tensor x, kiln::Tensor y) {
      kiln::Tensor loss = nn::functional::cross_entropy(model->forward(x), y);
      opt.zero_grad();
      loss.backward();
      opt.step();
      return loss;
    });

    for (int epoch = 1; epoch <= epochs; ++epoch) {
      auto start = std::chrono::steady_clock::now();
      size_t done = 0, total = train_loader.size() * static_cast<size_t>(batch_size);
      double loss = 0;
      for (auto& batch : train_loader) {
        kiln::Tensor l = step(batch.data, batch.target);
        if (schedule == "cosine") cosine.step();  // a runtime scalar: nothing recompiles
        done += static_cast<size_t>(batch.target.size(0));
        // Reading the loss waits for the step; every 20 steps is enough for the bar.
        if ((done / static_cast<size_t>(batch_size)) % 20 == 1 || done == total) {
          loss = l.item<double>();
          double s =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          double rate = static_cast<double>(done) / s;
          progress(epoch, epochs, done, total, loss, rate,
                   static_cast<double>(total - done) / rate);
        }
      }
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "\n");
      std::cout << fmt::format("epoch {}: loss {:.4f}, {:.0f} samples/s, {:.1f} s\n", epoch, loss,
                               static_cast<double>(done) / s, s);
    }

    double acc = accuracy(model, test_loader);
    std::cout << fmt::format("test accuracy: {:.2f}%\n", acc * 100.0);

    kiln::save(model, out);
    nn::Sequential reloaded = model_name == "cnn" ? make_cnn() : make_mlp();
    kiln::load(reloaded, out);
    reloaded->to(device);
    double acc2 = accuracy(reloaded, test_loader);
    std::cout << fmt::format("saved {} and reloaded it: test accuracy {:.2f}% ({})\n", out,
                             acc2 * 100.0, acc2 == acc ? "identical" : "DIFFERENT");
    return acc2 == acc ? 0 : 1;
  } catch (const kiln::Error& e) {
    std::cerr << "train_fashion_mnist: " << e.what() << "\n";
    return 1;
  }
}
