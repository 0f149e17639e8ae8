// Transforms applied to each example by a dataset, on the host, before batching. Random
// transforms draw from a SampleRng that depends only on the data loader's seed, the epoch and
// the example's index, so batches are the same for any number of worker threads.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <vector>

#include "kiln/frontend/tensor.h"

namespace kiln::data {

/// Random numbers for one example: a counter-based stream keyed by (seed, epoch, index).
class SampleRng {
 public:
  SampleRng(uint64_t seed, uint64_t epoch, uint64_t index);
  /// The stream for example `index` under the calling thread's SampleScope (seed 0, epoch 0
  /// outside any scope).
  static SampleRng for_index(uint64_t index);
  uint64_t next();
  /// Uniform in [0, 1).
  double uniform();
  /// Uniform integer in [low, high] (inclusive).
  int64_t integer(int64_t low, int64_t high);

 private:
  uint64_t state_;
};

/// Sets the seed and epoch that SampleRng::for_index uses on this thread while it lives (the
/// data loader opens one around each dataset read).
class SampleScope {
 public:
  SampleScope(uint64_t seed, uint64_t epoch);
  ~SampleScope();
  SampleScope(const SampleScope&) = delete;
  SampleScope& operator=(const SampleScope&) = delete;

 private:
  bool had_;
  uint64_t seed_, epoch_;
};

namespace transforms {

/// A float32 host array, row-major; images are [C, H, W].
struct Image {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// A transform changes an image in place, drawing any randomness from `rng`.
class Transform {
 public:
  virtual ~Transform() = default;
  virtual void apply(Image& image, SampleRng& rng) const = 0;
};

/// Holds any transform by value (copies share it); empty means the identity.
class AnyTransform {
 public:
  AnyTransform() = default;
  template <std::derived_from<Transform> T>
  AnyTransform(T transform)  // NOLINT: implicit, so Compose({Normalize(..), ...}) reads well
      : impl_(std::make_shared<T>(std::move(transform))) {}
  explicit operator bool() const { return impl_ != nullptr; }
  void apply(Image& image, SampleRng& rng) const {
    if (impl_) impl_->apply(image, rng);
  }
  /// Applies the transform to a float tensor [C, H, W] (or any shape the transform accepts),
  /// with the stream of example `index` (seed 0, epoch 0); returns a new CPU tensor.
  Tensor operator()(const Tensor& image, uint64_t index = 0) const;

 private:
  std::shared_ptr<const Transform> impl_;
};

/// Applies transforms in order.
class Compose : public Transform {
 public:
  explicit Compose(std::vector<AnyTransform> transforms);
  void apply(Image& image, SampleRng& rng) const override;

 private:
  std::vector<AnyTransform> transforms_;
};

/// (x - mean[c]) / std[c] per channel (dimension 0); one value applies to every channel.
class Normalize : public Transform {
 public:
  Normalize(double mean, double std);
  Normalize(std::vector<double> mean, std::vector<double> std);
  void apply(Image& image, SampleRng& rng) const override;

 private:
  std::vector<double> mean_, std_;
};

/// Pads [C, H, W] with `padding` zeros on every side, then crops a random size x size window.
class RandomCrop : public Transform {
 public:
  explicit RandomCrop(int64_t size, int64_t padding = 0);
  void apply(Image& image, SampleRng& rng) const override;

 private:
  int64_t size_, padding_;
};

/// Mirrors [..., W] along its last dimension with probability p.
class RandomHorizontalFlip : public Transform {
 public:
  explicit RandomHorizontalFlip(double p = 0.5);
  void apply(Image& image, SampleRng& rng) const override;

 private:
  double p_;
};

}  // namespace transforms
}  // namespace kiln::data
