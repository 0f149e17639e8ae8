// Host transforms: Compose, Normalize, RandomCrop, RandomHorizontalFlip.
#include "kiln/frontend/data/transforms.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "host_data.h"
#include "kiln/compiler/shape.h"
#include "kiln/runtime/error.h"

namespace kiln::data::transforms {

namespace {
int64_t numel(const Image& image) { return numel_of(image.shape); }
}  // namespace

Tensor AnyTransform::operator()(const Tensor& image, uint64_t index) const {
  Tensor f = image.to(kFloat32);
  detail::HostBytes bytes = detail::host_bytes(f);
  Image img{f.sizes(), std::vector<float>(static_cast<size_t>(f.numel()))};
  if (bytes.nbytes > 0) std::memcpy(img.data.data(), bytes.data, bytes.nbytes);
  SampleRng rng(0, 0, index);
  apply(img, rng);
  auto buf = std::make_shared<runtime::Buffer>(kFloat32, numel(img), Device(kCPU));
  if (!img.data.empty()) std::memcpy(buf->data(), img.data.data(), img.data.size() * 4);
  return detail::tensor_from_buffer(std::move(buf), img.shape);
}

Compose::Compose(std::vector<AnyTransform> transforms) : transforms_(std::move(transforms)) {}

void Compose::apply(Image& image, SampleRng& rng) const {
  for (const AnyTransform& t : transforms_) t.apply(image, rng);
}

Normalize::Normalize(double mean, double std) : Normalize(std::vector{mean}, std::vector{std}) {}

Normalize::Normalize(std::vector<double> mean, std::vector<double> std)
    : mean_(std::move(mean)), std_(std::move(std)) {
  if (mean_.empty() || mean_.size() != std_.size()) {
    throw ShapeError("[Normalize] mean has " + std::to_string(mean_.size()) +
                     " values and std has " + std::to_string(std_.size()) +
                     " (need the same number, at least one)");
  }
  for (double s : std_) {
    if (!(s != 0.0))
      throw ValueError("[Normalize] std must be nonzero (got " + std::to_string(s) + ")");
  }
}

void Normalize::apply(Image& image, SampleRng& /*rng*/) const {
  size_t channels = image.shape.empty() ? 1 : static_cast<size_t>(image.shape[0]);
  if (mean_.size() != 1 && mean_.size() != channels) {
    throw ShapeError("[Normalize] " + std::to_string(mean_.size()) + " means for an image of " +
                     shape_str(image.shape) + " (" + std::to_string(channels) + " channels)");
  }
  size_t plane = channels == 0 ? 0 : image.data.size() / channels;
  for (size_t c = 0; c < channels; ++c) {
    size_t k = mean_.size() == 1 ? 0 : c;
    auto m = static_cast<float>(mean_[k]);
    auto inv = static_cast<float>(1.0 / std_[k]);
    float* p = image.data.data() + c * plane;
    for (size_t i = 0; i < plane; ++i) p[i] = (p[i] - m) * inv;
  }
}

RandomCrop::RandomCrop(int64_t size, int64_t padding) : size_(size), padding_(padding) {
  if (size <= 0 || padding < 0) {
    throw ValueError("[RandomCrop] size must be positive and padding non-negative (got size " +
                     std::to_string(size) + ", padding " + std::to_string(padding) + ")");
  }
}

void RandomCrop::apply(Image& image, SampleRng& rng) const {
  if (image.shape.size() != 3) {
    throw ShapeError("[RandomCrop] expects an image [C, H, W], got " + shape_str(image.shape));
  }
  int64_t c = image.shape[0], h = image.shape[1], w = image.shape[2];
  int64_t ph = h + 2 * padding_, pw = w + 2 * padding_;
  if (size_ > ph || size_ > pw) {
    throw ShapeError("[RandomCrop] crop " + std::to_string(size_) + " is larger than the padded " +
                     "image " + std::to_string(ph) + "x" + std::to_string(pw));
  }
  // Window origin in padded coordinates; a source row/column outside the image reads zero.
  int64_t top = rng.integer(0, ph - size_) - padding_;
  int64_t left = rng.integer(0, pw - size_) - padding_;
  std::vector<float> out(static_cast<size_t>(c * size_ * size_), 0.f);
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int64_t y = 0; y < size_; ++y) {
      int64_t sy = top + y;
      if (sy < 0 || sy >= h) continue;
      int64_t x0 = std::max<int64_t>(0, -left), x1 = std::min<int64_t>(size_, w - left);
      if (x1 <= x0) continue;
      const float* src = image.data.data() + (ch * h + sy) * w + left + x0;
      std::copy(src, src + (x1 - x0), out.data() + (ch * size_ + y) * size_ + x0);
    }
  }
  image.shape = {c, size_, size_};
  image.data = std::move(out);
}

RandomHorizontalFlip::RandomHorizontalFlip(double p) : p_(p) {
  if (!(p >= 0.0 && p <= 1.0)) {
    throw ValueError("[RandomHorizontalFlip] p must be in [0, 1] (got " + std::to_string(p) + ")");
  }
}

void RandomHorizontalFlip::apply(Image& image, SampleRng& rng) const {
  if (image.shape.empty()) throw ShapeError("[RandomHorizontalFlip] expects at least one dim");
  if (rng.uniform() >= p_) return;
  auto w = static_cast<size_t>(image.shape.back());
  if (w == 0) return;
  for (size_t row = 0; row + w <= image.data.size(); row += w) {
    std::reverse(image.data.begin() + static_cast<std::ptrdiff_t>(row),
                 image.data.begin() + static_cast<std::ptrdiff_t>(row + w));
  }
}

}  // namespace kiln::data::transforms
