// Transforms: Normalize per channel, RandomCrop with padding, RandomHorizontalFlip, Compose, and
// randomness that depends only on (seed, epoch, index).
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace data = kiln::data;
namespace T = kiln::data::transforms;

namespace {
T::Image ramp(int64_t c, int64_t h, int64_t w) {
  T::Image img{{c, h, w}, {}};
  for (int64_t i = 0; i < c * h * w; ++i) img.data.push_back(static_cast<float>(i));
  return img;
}
}  // namespace

TEST_CASE("Normalize subtracts the mean and divides by the std per channel", "[transforms]") {
  T::Image img = ramp(2, 1, 2);
  data::SampleRng rng(0, 0, 0);
  T::Normalize({1.0, 2.0}, {2.0, 0.5}).apply(img, rng);
  CHECK(img.data == std::vector<float>{-0.5f, 0.f, 0.f, 2.f});
  T::Image one = ramp(1, 1, 2);
  T::Normalize(1.0, 2.0).apply(one, rng);
  CHECK(one.data == std::vector<float>{-0.5f, 0.f});
  CHECK_THROWS_AS(T::Normalize(std::vector<double>{1.0}, std::vector<double>{}), kiln::ShapeError);
  T::Image three = ramp(3, 1, 1);
  CHECK_THROWS_WITH(T::Normalize({1.0, 2.0}, {1.0, 1.0}).apply(three, rng),
                    Catch::StartsWith("[Normalize] 2 means for an image of [3, 1, 1]"));
}

TEST_CASE("RandomCrop takes a window of the zero-padded image", "[transforms]") {
  for (uint64_t index = 0; index < 20; ++index) {
    T::Image img = ramp(1, 4, 4);
    data::SampleRng rng(1, 0, index);
    T::RandomCrop(4, 1).apply(img, rng);
    REQUIRE(img.shape == std::vector<int64_t>{1, 4, 4});
    // The window is the 4x4 image shifted by (dy, dx) in [-1, 1]; find the shift from a pixel
    // that is always inside: the source pixel (1, 1) holds 5.
    int dy = -2, dx = -2;
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 4; ++x) {
        if (img.data[static_cast<size_t>(y * 4 + x)] == 5.f) dy = 1 - y, dx = 1 - x;
      }
    }
    REQUIRE(dy >= -1);
    REQUIRE(dy <= 1);
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 4; ++x) {
        int sy = y + dy, sx = x + dx;
        float expect =
            sy < 0 || sy >= 4 || sx < 0 || sx >= 4 ? 0.f : static_cast<float>(sy * 4 + sx);
        CHECK(img.data[static_cast<size_t>(y * 4 + x)] == expect);
      }
    }
  }
  T::Image small = ramp(1, 2, 2);
  data::SampleRng rng(0, 0, 0);
  CHECK_THROWS_AS(T::RandomCrop(5).apply(small, rng), kiln::ShapeError);
}

TEST_CASE("RandomHorizontalFlip mirrors the last dimension with probability p", "[transforms]") {
  T::Image img = ramp(1, 2, 3);
  data::SampleRng rng(0, 0, 0);
  T::RandomHorizontalFlip(1.0).apply(img, rng);
  CHECK(img.data == std::vector<float>{2, 1, 0, 5, 4, 3});
  T::RandomHorizontalFlip(0.0).apply(img, rng);
  CHECK(img.data == std::vector<float>{2, 1, 0, 5, 4, 3});
  int flips = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    T::Image x = ramp(1, 1, 2);
    data::SampleRng r(3, 0, i);
    T::RandomHorizontalFlip().apply(x, r);
    flips += x.data[0] == 1.f;
  }
  CHECK(flips > 420);
  CHECK(flips < 580);
}

TEST_CASE("Compose applies in order; randomness depends on seed, epoch and index only",
          "[transforms]") {
  T::AnyTransform t =
      T::Compose({T::RandomCrop(3, 1), T::RandomHorizontalFlip(), T::Normalize(0.5, 2.0)});
  kiln::Tensor x = kiln::arange(9, kiln::kFloat32).reshape({1, 3, 3});
  CHECK(t(x, 4).to_vector<float>() == t(x, 4).to_vector<float>());
  bool differs = false;
  for (uint64_t i = 0; i < 10; ++i)
    differs |= t(x, i).to_vector<float>() != t(x, 0).to_vector<float>();
  CHECK(differs);
  {
    data::SampleScope scope(5, 1);
    CHECK(data::SampleRng::for_index(3).next() == data::SampleRng(5, 1, 3).next());
  }
  CHECK(data::SampleRng::for_index(3).next() == data::SampleRng(0, 0, 3).next());
  CHECK(data::SampleRng(5, 2, 3).next() != data::SampleRng(5, 1, 3).next());
}
