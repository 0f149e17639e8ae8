// Data loader throughput alone (hidden; run `data_tests "[loader-throughput]"`): batches per
// second over Fashion-MNIST shapes, batch 256, for 0 and 2 workers, from the real dataset when
// the Debian package is installed (with and without a random crop and flip), else from a
// TensorDataset of the same shapes.
#include <chrono>
#include <filesystem>
#include <memory>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace data = kiln::data;

namespace {
double batches_per_second(std::shared_ptr<const data::Dataset> ds, size_t workers) {
  data::DataLoader loader(
      ds, data::DataLoaderOptions().batch_size(256).shuffle(true).num_workers(workers));
  for (auto& batch : loader) (void)batch;  // warm the allocator and page in the data
  auto start = std::chrono::steady_clock::now();
  size_t batches = 0;
  for (auto& batch : loader) batches += batch.data.defined();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(batches) / s;
}
}  // namespace

TEST_CASE("data loader throughput on Fashion-MNIST shapes", "[.][loader-throughput]") {
  std::string root = data::FashionMNIST::default_root();
  std::vector<std::pair<std::string, std::shared_ptr<const data::Dataset>>> sets;
  if (std::filesystem::exists(root)) {
    sets.emplace_back("FashionMNIST",
                      std::make_shared<data::FashionMNIST>(root, data::Split::Train));
    sets.emplace_back("FashionMNIST+crop+flip",
                      std::make_shared<data::FashionMNIST>(
                          root, data::Split::Train,
                          data::transforms::Compose({data::transforms::RandomCrop(28, 2),
                                                     data::transforms::RandomHorizontalFlip(),
                                                     data::transforms::Normalize(0.286, 0.353)})));
  }
  sets.emplace_back("TensorDataset",
                    std::make_shared<data::TensorDataset>(kiln::rand({60000, 1, 28, 28}),
                                                          kiln::randint(0, 10, {60000})));
  for (const auto& [name, ds] : sets) {
    for (size_t workers : {size_t{0}, size_t{2}}) {
      WARN(name << ", batch 256, num_workers " << workers << ": " << batches_per_second(ds, workers)
                << " batches/s");
    }
  }
}
