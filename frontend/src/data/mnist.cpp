// MNIST and Fashion-MNIST datasets (see mnist.h).
#include "kiln/frontend/data/mnist.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "host_data.h"
#include "kiln/frontend/data/idx.h"
#include "kiln/runtime/error.h"

namespace kiln::data {

namespace {
namespace fs = std::filesystem;

/// MNIST's digits and Fashion-MNIST's garment classes alike.
constexpr int64_t kClasses = 10;

/// The file `stem` under root (or root/<name>/raw), raw or ".gz"; empty when absent.
std::string find_file(const std::string& root, const std::string& name, const std::string& stem) {
  for (const fs::path& dir : {fs::path(root), fs::path(root) / name / "raw"}) {
    for (const char* suffix : {"", ".gz"}) {
      fs::path p = dir / (stem + suffix);
      std::error_code ec;
      if (fs::is_regular_file(p, ec)) return p.string();
    }
  }
  return {};
}
}  // namespace

MNIST::MNIST(const std::string& root, Split split, transforms::AnyTransform transform)
    : MNIST(root, split, std::move(transform), "MNIST",
            "download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
            "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from "
            "http://yann.lecun.com/exdb/mnist/ into it") {}

MNIST::MNIST(const std::string& root, Split split, transforms::AnyTransform transform,
             const std::string& name, const std::string& how_to_get)
    : name_(name), transform_(std::move(transform)) {
  std::string prefix = split == Split::Train ? "train" : "t10k";
  std::string images_path = find_file(root, name, prefix + "-images-idx3-ubyte");
  std::string labels_path = find_file(root, name, prefix + "-labels-idx1-ubyte");
  if (images_path.empty() || labels_path.empty()) {
    throw Error("[" + name + "] no " + prefix + "-images-idx3-ubyte[.gz] and " + prefix +
                "-labels-idx1-ubyte[.gz] in '" + root + "'" +
                (fs::exists(root) ? "" : " (the folder does not exist)") + ": " + how_to_get);
  }
  IdxArray images = read_idx(images_path);
  IdxArray labels = read_idx(labels_path);
  if (images.dims.size() != 3) {
    throw FormatError("[" + name + "] '" + images_path + "' holds " +
                      std::to_string(images.dims.size()) + " dimensions, not 3 (N, rows, cols)");
  }
  if (labels.dims.size() != 1 || labels.dims[0] != images.dims[0]) {
    throw FormatError("[" + name + "] '" + labels_path + "' does not hold one label for each of " +
                      "the " + std::to_string(images.dims[0]) + " images");
  }
  check_labels(labels, kClasses, "'" + labels_path + "' (" + name + " labels)");
  rows_ = images.dims[1];
  cols_ = images.dims[2];
  images_ = std::move(images.data);
  labels_ = std::move(labels.data);
}

size_t MNIST::size() const { return labels_.size(); }

int64_t MNIST::label(size_t i) const {
  if (i >= size()) {
    throw IndexError("[" + name_ + "] index " + std::to_string(i) + " is out of range for " +
                     std::to_string(size()) + " examples");
  }
  return labels_[i];
}

Example MNIST::get(size_t i) const {
  int64_t target = label(i);
  auto pixels = static_cast<size_t>(rows_ * cols_);
  transforms::Image image{{1, rows_, cols_}, std::vector<float>(pixels)};
  const uint8_t* src = images_.data() + i * pixels;
  for (size_t k = 0; k < pixels; ++k) image.data[k] = static_cast<float>(src[k]) / 255.f;
  if (transform_) {
    SampleRng rng = SampleRng::for_index(i);
    transform_.apply(image, rng);
  }
  auto data = std::make_shared<runtime::Buffer>(kFloat32, static_cast<int64_t>(image.data.size()),
                                                Device(kCPU));
  if (!image.data.empty()) std::memcpy(data->data(), image.data.data(), image.data.size() * 4);
  auto label_buf = std::make_shared<runtime::Buffer>(kInt64, 1, Device(kCPU));
  label_buf->set_int(0, target);
  return {detail::tensor_from_buffer(std::move(data), image.shape),
          detail::tensor_from_buffer(std::move(label_buf), {})};
}

FashionMNIST::FashionMNIST(const std::string& root, Split split, transforms::AnyTransform transform)
    : MNIST(root, split, std::move(transform), "FashionMNIST",
            "on Debian, `sudo apt-get install dataset-fashion-mnist` puts the files in "
            "/usr/share/datasets/fashion-mnist; elsewhere download them from "
            "https://github.com/zalandoresearch/fashion-mnist (data/fashion) into the folder") {}

std::string FashionMNIST::default_root() {
  const char* env = std::getenv("KILN_FASHION_MNIST");
  return env && *env ? env : "/usr/share/datasets/fashion-mnist";
}

}  // namespace kiln::data
