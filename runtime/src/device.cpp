#include "kiln/runtime/device.h"

#include <charconv>
#include <ostream>

#include "kiln/runtime/error.h"

namespace kiln {

Device::Device(DeviceType type, int index)
    : type_(type), index_(type == DeviceType::CPU ? 0 : index) {
  if (index < 0)
    throw DeviceError("[Device] device index must be non-negative, got " + std::to_string(index));
}

Device::Device(const std::string& name) : type_(DeviceType::CPU), index_(0) {
  if (name == "cpu") return;
  if (name.rfind("cuda", 0) == 0) {
    type_ = DeviceType::CUDA;
    if (name.size() == 4) return;
    if (name[4] == ':' && name.size() > 5) {
      int idx = 0;
      auto [ptr, ec] = std::from_chars(name.data() + 5, name.data() + name.size(), idx);
      if (ec == std::errc() && ptr == name.data() + name.size() && idx >= 0) {
        index_ = idx;
        return;
      }
    }
  }
  throw DeviceError("[Device] invalid device string '" + name + "' (expected cpu, cuda or cuda:N)");
}

std::string Device::str() const {
  return type_ == DeviceType::CPU ? "cpu" : "cuda:" + std::to_string(index_);
}

std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

}  // namespace kiln
