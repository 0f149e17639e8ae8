// DataLoader: order and values for num_workers 0/1/3, drop_last, a new permutation each epoch,
// exceptions from workers reaching the loop, clean destruction mid-epoch, TensorDataset rows.
#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace data = kiln::data;
using kiln::Tensor;

namespace {

/// Example i: data [2] = {i, a random draw of example i}, target i; throws at `bad`; sleeps
/// `delay` per example.
class Counting : public data::Dataset {
 public:
  explicit Counting(size_t n, size_t bad = SIZE_MAX, std::chrono::microseconds delay = {})
      : n_(n), bad_(bad), delay_(delay) {}
  size_t size() const override { return n_; }
  data::Example get(size_t i) const override {
    ++reads;
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    if (i == bad_) throw std::runtime_error("example " + std::to_string(i) + " is broken");
    float noise = static_cast<float>(data::SampleRng::for_index(i).uniform());
    return {kiln::from_vector(std::vector<float>{static_cast<float>(i), noise}, {2}),
            kiln::scalar_tensor(static_cast<int64_t>(i))};
  }
  mutable std::atomic<size_t> reads{0};

 private:
  size_t n_, bad_;
  std::chrono::microseconds delay_;
};

struct EpochData {
  std::vector<std::vector<float>> data;
  std::vector<std::vector<int64_t>> targets;
};

EpochData run_epoch(data::DataLoader& loader) {
  EpochData out;
  for (auto& batch : loader) {
    out.data.push_back(batch.data.to_vector<float>());
    out.targets.push_back(batch.target.to_vector<int64_t>());
  }
  return out;
}

data::DataLoaderOptions options(size_t workers) {
  return data::DataLoaderOptions().batch_size(4).shuffle(true).seed(7).num_workers(workers);
}

}  // namespace

TEST_CASE("batches are identical for num_workers 0, 1 and 3", "[dataloader]") {
  auto ds = std::make_shared<Counting>(23);
  data::DataLoader l0(ds, options(0)), l1(ds, options(1)), l3(ds, options(3).prefetch(1));
  for (int epoch = 0; epoch < 2; ++epoch) {
    EpochData a = run_epoch(l0), b = run_epoch(l1), c = run_epoch(l3);
    REQUIRE(a.data.size() == 6);
    CHECK(a.data == b.data);
    CHECK(a.data == c.data);
    CHECK(a.targets == c.targets);
  }
}

TEST_CASE("without shuffle batches come in order; shapes stack along dim 0", "[dataloader]") {
  auto ds = std::make_shared<Counting>(10);
  data::DataLoader loader(ds, data::DataLoaderOptions().batch_size(4).num_workers(2));
  CHECK(loader.size() == 3);
  std::vector<int64_t> seen;
  std::vector<size_t> sizes;
  for (auto& batch : loader) {
    CHECK(batch.data.dim() == 2);
    CHECK(batch.data.size(1) == 2);
    CHECK(batch.target.sizes() == std::vector<int64_t>{batch.data.size(0)});
    CHECK(batch.target.dtype() == kiln::kInt64);
    sizes.push_back(static_cast<size_t>(batch.data.size(0)));
    for (int64_t t : batch.target.to_vector<int64_t>()) seen.push_back(t);
  }
  CHECK(sizes == std::vector<size_t>{4, 4, 2});
  CHECK(seen == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("drop_last drops the short batch", "[dataloader]") {
  auto ds = std::make_shared<Counting>(10);
  data::DataLoader loader(ds, data::DataLoaderOptions().batch_size(4).drop_last(true));
  CHECK(loader.size() == 2);
  EpochData e = run_epoch(loader);
  CHECK(e.targets.size() == 2);
  CHECK(e.targets.back() == std::vector<int64_t>{4, 5, 6, 7});
}

TEST_CASE("each epoch is a new permutation drawn from the seed", "[dataloader]") {
  auto ds = std::make_shared<Counting>(50);
  data::DataLoader a(ds, options(2)), b(ds, options(0));
  auto flat = [](const EpochData& e) {
    std::vector<int64_t> v;
    for (const auto& t : e.targets) v.insert(v.end(), t.begin(), t.end());
    return v;
  };
  std::vector<int64_t> e0 = flat(run_epoch(a)), e1 = flat(run_epoch(a));
  CHECK(std::set<int64_t>(e0.begin(), e0.end()).size() == 50);
  CHECK(std::set<int64_t>(e1.begin(), e1.end()).size() == 50);
  CHECK(e0 != e1);
  CHECK(flat(run_epoch(b)) == e0);  // same seed, same sequence of epochs
  CHECK(flat(run_epoch(b)) == e1);
  data::DataLoader other(ds, options(2).seed(8));
  CHECK(flat(run_epoch(other)) != e0);
}

TEST_CASE("an exception in a worker reaches the loop that reads its batch", "[dataloader]") {
  for (size_t workers : {size_t{0}, size_t{2}}) {
    INFO("num_workers " << workers);
    auto ds = std::make_shared<Counting>(20, /*bad=*/9);
    data::DataLoader loader(ds, data::DataLoaderOptions().batch_size(4).num_workers(workers));
    std::vector<int64_t> before;
    auto read = [&] {
      for (auto& batch : loader) {
        for (int64_t t : batch.target.to_vector<int64_t>()) before.push_back(t);
      }
    };
    CHECK_THROWS_WITH(read(), "example 9 is broken");
    CHECK(before == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7});
    // The next epoch starts afresh (and fails at the same batch).
    before.clear();
    CHECK_THROWS_WITH(read(), "example 9 is broken");
  }
}

TEST_CASE("destroying a loader mid-epoch joins its workers promptly", "[dataloader]") {
  auto ds = std::make_shared<Counting>(100000, SIZE_MAX, std::chrono::microseconds(200));
  auto start = std::chrono::steady_clock::now();
  {
    data::DataLoader loader(ds,
                            data::DataLoaderOptions().batch_size(16).num_workers(3).prefetch(2));
    auto it = loader.begin();
    ++it;
    CHECK((*it).data.size(0) == 16);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(seconds < 5.0);
  // Bounded queue: at most prefetch * workers batches (plus those in hand) were prepared.
  CHECK(ds->reads.load() <= 16 * (2 + 6 + 3));
}

TEST_CASE("a loader over a TensorDataset stacks its rows", "[dataloader]") {
  Tensor images = kiln::arange(24, kiln::kFloat32).reshape({6, 2, 2});
  Tensor labels = kiln::arange(6);
  auto ds = std::make_shared<data::TensorDataset>(images, labels);
  CHECK(ds->size() == 6);
  data::DataLoader loader(ds, data::DataLoaderOptions().batch_size(4).num_workers(1));
  EpochData e = run_epoch(loader);
  REQUIRE(e.data.size() == 2);
  CHECK(e.data[1] == std::vector<float>{16, 17, 18, 19, 20, 21, 22, 23});
  CHECK(e.targets[0] == std::vector<int64_t>{0, 1, 2, 3});
  CHECK_THROWS_AS(data::TensorDataset(images, kiln::arange(5)), kiln::ShapeError);
  CHECK_THROWS_AS(ds->get(6), kiln::IndexError);
  CHECK_THROWS_AS(data::DataLoader(ds, data::DataLoaderOptions().batch_size(0)), kiln::ValueError);
}

TEST_CASE("batches on CUDA through pinned staging equal the CPU batches", "[cuda][dataloader]") {
  if (!kiln::cuda::is_available()) {
    WARN("no CUDA device on this machine: [cuda] test skipped");
    return;
  }
  auto ds = std::make_shared<Counting>(1000);
  kiln::Device gpu(kiln::kCUDA, 0);
  data::DataLoader cpu(ds, options(2).batch_size(64));
  data::DataLoader cuda(ds, options(2).batch_size(64).pin_memory(true).device(gpu));
  for (int epoch = 0; epoch < 2; ++epoch) {
    EpochData want = run_epoch(cpu);
    EpochData got;
    for (auto& batch : cuda) {
      CHECK(batch.data.device() == gpu);
      CHECK(batch.target.device() == gpu);
      // Compute on the device with the batch, as a training step would.
      got.data.push_back((batch.data * 1).to_vector<float>());
      got.targets.push_back(batch.target.to_vector<int64_t>());
    }
    CHECK(got.data == want.data);
    CHECK(got.targets == want.targets);
  }
}

TEST_CASE("CUDA batches from the copy stream feed queued compute correctly", "[cuda][dataloader]") {
  if (!kiln::cuda::is_available()) {
    WARN("no CUDA device on this machine: [cuda] test skipped");
    return;
  }
  // Sums are queued without reading them back, so batch buffers are freed and their blocks
  // reused by later copies while the compute stream still works through earlier batches.
  auto ds = std::make_shared<Counting>(1000);
  kiln::Device gpu(kiln::kCUDA, 0);
  data::DataLoader cpu(ds, options(2).batch_size(32));
  data::DataLoader cuda(ds, options(2).batch_size(32).pin_memory(true).device(gpu));
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<Tensor> want, got;
    for (auto& batch : cpu) want.push_back(batch.data.sum() + batch.target.sum());
    for (auto& batch : cuda) {
      Tensor s = batch.data.sum() + batch.target.sum();
      s.eval();
      got.push_back(s);
    }
    REQUIRE(got.size() == want.size());
    // The GPU sums in another order: equal up to float rounding (a batch read from the wrong
    // block differs by whole examples).
    for (size_t i = 0; i < got.size(); ++i)
      CHECK(got[i].item<double>() == Approx(want[i].item<double>()).epsilon(1e-6));
  }
}

TEST_CASE("Subset reads some examples of another dataset", "[dataloader]") {
  auto ds = std::make_shared<Counting>(10);
  data::Subset first(ds, size_t{3});
  CHECK(first.size() == 3);
  CHECK(first.get(2).target.item<int64_t>() == 2);
  data::Subset picked(ds, std::vector<size_t>{7, 1});
  CHECK(picked.get(0).target.item<int64_t>() == 7);
  CHECK(data::Subset(ds, size_t{99}).size() == 10);
  CHECK_THROWS_AS(data::Subset(ds, std::vector<size_t>{10}), kiln::IndexError);
  CHECK_THROWS_AS(picked.get(2), kiln::IndexError);
}
