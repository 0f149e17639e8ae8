// Devices: the CPU and CUDA GPUs, named as PyTorch names them ("cpu", "cuda:0").
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

namespace kiln {

enum class DeviceType : uint8_t { CPU, CUDA };

inline constexpr DeviceType kCPU = DeviceType::CPU;
inline constexpr DeviceType kCUDA = DeviceType::CUDA;

/// A device: a type and an index (the index is 0 for the CPU).
class Device {
 public:
  Device(DeviceType type = DeviceType::CPU, int index = 0);  // NOLINT: implicit like libtorch
  /// Parses "cpu", "cuda", "cuda:1"; throws DeviceError otherwise.
  explicit Device(const std::string& name);
  Device(const char* name) : Device(std::string(name)) {}  // NOLINT: implicit like libtorch

  DeviceType type() const { return type_; }
  int index() const { return index_; }
  bool is_cpu() const { return type_ == DeviceType::CPU; }
  bool is_cuda() const { return type_ == DeviceType::CUDA; }
  /// "cpu" or "cuda:N".
  std::string str() const;

  friend bool operator==(const Device& a, const Device& b) {
    return a.type_ == b.type_ && a.index_ == b.index_;
  }
  friend bool operator!=(const Device& a, const Device& b) { return !(a == b); }

 private:
  DeviceType type_;
  int index_;
};

/// Writes str(): "cpu" or "cuda:N", as libtorch prints a device.
std::ostream& operator<<(std::ostream& os, const Device& d);

}  // namespace kiln
