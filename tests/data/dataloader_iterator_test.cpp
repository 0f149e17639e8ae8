// DataLoader::Iterator: a std::input_iterator; each begin() an independent pass (nested loops
// over one loader, iterators kept from earlier epochs, iterators outliving their loader); the
// end state throws instead of reading freed or absent batches.
#include <algorithm>
#include <iterator>
#include <optional>
#include <ranges>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace data = kiln::data;
using kiln::Tensor;
using Iterator = data::DataLoader::Iterator;

static_assert(std::input_iterator<Iterator>);
static_assert(std::sentinel_for<std::default_sentinel_t, Iterator>);
static_assert(std::sentinel_for<Iterator, Iterator>);
static_assert(std::ranges::input_range<data::DataLoader>);
static_assert(
    std::same_as<std::iterator_traits<Iterator>::iterator_category, std::input_iterator_tag>);

namespace {

/// Targets 0..n-1 as int64 scalars, data the same as float [1].
std::shared_ptr<data::TensorDataset> numbers(int64_t n) {
  return std::make_shared<data::TensorDataset>(kiln::arange(n, kiln::kFloat32).reshape({n, 1}),
                                               kiln::arange(n));
}

std::vector<int64_t> targets(const data::Example& batch) {
  return batch.target.to_vector<int64_t>();
}

data::DataLoaderOptions options(size_t workers) {
  return data::DataLoaderOptions().batch_size(3).num_workers(workers);
}

}  // namespace

TEST_CASE("a loop nested in another over the same loader leaves the outer one intact",
          "[dataloader]") {
  for (size_t workers : {size_t{0}, size_t{2}}) {
    INFO("num_workers " << workers);
    data::DataLoader loader(numbers(7), options(workers));
    std::vector<std::vector<int64_t>> outer;
    size_t inner_batches = 0;
    for (auto& batch : loader) {
      for (auto& inner : loader) {
        CHECK(inner.data.size(0) > 0);
        ++inner_batches;
      }
      outer.push_back(targets(batch));  // read after the inner loop ran its epochs
    }
    CHECK(outer == std::vector<std::vector<int64_t>>{{0, 1, 2}, {3, 4, 5}, {6}});
    CHECK(inner_batches == 9);
    CHECK(loader.epoch() == 4);
  }
}

TEST_CASE("an iterator from an earlier begin() keeps its epoch, and outlives its loader",
          "[dataloader]") {
  auto ds = numbers(9);
  auto shuffled = options(2).shuffle(true).seed(3);
  data::DataLoader reference(ds, shuffled);
  std::vector<std::vector<int64_t>> e0, e1;
  for (auto& b : reference) e0.push_back(targets(b));
  for (auto& b : reference) e1.push_back(targets(b));
  REQUIRE(e0 != e1);

  std::optional<Iterator> first, second;
  {
    data::DataLoader loader(ds, shuffled);
    first = loader.begin();
    second = loader.begin();
    CHECK(targets(**first) == e0[0]);
    CHECK(targets(**second) == e1[0]);
  }
  std::vector<std::vector<int64_t>> got0, got1;
  for (; *first != std::default_sentinel; ++*first) got0.push_back(targets(**first));
  for (; *second != std::default_sentinel; ++*second) got1.push_back(targets(**second));
  CHECK(got0 == e0);
  CHECK(got1 == e1);
}

TEST_CASE("the iterator works with std and std::ranges algorithms", "[dataloader]") {
  data::DataLoader loader(numbers(8), options(1));
  std::vector<int64_t> seen;
  std::ranges::for_each(loader, [&](data::Example& b) {
    for (int64_t t : targets(b)) seen.push_back(t);
  });
  CHECK(seen == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7});

  // A default-constructed iterator is the end, so classic algorithms get a same-typed pair.
  CHECK(std::distance(loader.begin(), Iterator()) == 3);
  CHECK(std::ranges::distance(loader) == 3);

  std::vector<int64_t> sizes;
  for (auto& b : loader | std::views::take(2)) sizes.push_back(b.data.size(0));
  CHECK(sizes == std::vector<int64_t>{3, 3});

  auto it = loader.begin();
  Iterator copy = it;
  CHECK(copy == it);
  CHECK(it != Iterator());
  CHECK(targets(*it++) == std::vector<int64_t>{0, 1, 2});  // postfix returns the batch it was at
  CHECK(targets(*it) == std::vector<int64_t>{3, 4, 5});
  CHECK(targets(*copy) == std::vector<int64_t>{3, 4, 5});  // copies share the epoch
  CHECK(it->target.size(0) == 3);
}

TEST_CASE("an iterator at the end throws instead of reading", "[dataloader]") {
  data::DataLoader loader(numbers(2), options(0));
  auto it = loader.begin();
  ++it;
  CHECK(it == std::default_sentinel);
  CHECK(it == Iterator());
  CHECK_THROWS_WITH(*it, "[DataLoader] read an iterator at the end of its epoch");
  CHECK_THROWS_WITH(++it, "[DataLoader] advanced an iterator at the end of its epoch");
  CHECK_THROWS_AS(*Iterator(), kiln::IndexError);
  CHECK_THROWS_AS(Iterator()++, kiln::IndexError);
}

TEST_CASE("a TensorDataset on CUDA gives the CPU batches", "[cuda][dataloader]") {
  if (!kiln::cuda::is_available()) {
    WARN("no CUDA device on this machine: [cuda] test skipped");
    return;
  }
  kiln::Device gpu(kiln::kCUDA, 0);
  Tensor images = kiln::arange(40 * 6, kiln::kFloat32).reshape({40, 2, 3});
  Tensor labels = kiln::arange(40);
  auto on_cpu = std::make_shared<data::TensorDataset>(images, labels);
  auto on_gpu = std::make_shared<data::TensorDataset>(images.to(gpu), labels.to(gpu));
  // Each example's row, not the whole dataset, is copied to the host (host_bytes).
  data::DataLoader want(on_cpu, options(2).batch_size(8).shuffle(true));
  data::DataLoader got(on_gpu, options(2).batch_size(8).shuffle(true));
  auto w = want.begin();
  for (auto& batch : got) {
    REQUIRE(w != std::default_sentinel);
    CHECK(batch.data.device().is_cpu());
    CHECK(batch.data.to_vector<float>() == w->data.to_vector<float>());
    CHECK(targets(batch) == targets(*w));
    ++w;
  }
  CHECK(w == std::default_sentinel);
}
