// kiln::save: tensors to a safetensors file. The JSON header lists the tensors in the caller's
// order; the data section holds them sorted by element size, largest first (stable), so that
// every tensor starts at a multiple of its element size, as the reference writer arranges and
// as PyTorch's zero-copy loading needs. The header is padded with spaces to 8 bytes.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <numeric>
#include <set>

#include <nlohmann/json.hpp>

#include "host_data.h"
#include "kiln/frontend/serialize.h"
#include "kiln/runtime/error.h"
#include "serialize/file_io.h"
#include "serialize/safetensors_format.h"

namespace kiln {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {
void check_names(const NamedTensors& tensors) {
  std::set<std::string> seen;
  for (const auto& [name, t] : tensors) {
    if (name.empty()) throw Error("[save] a tensor has an empty name");
    if (name == detail::kSafetensorsMetadataKey) {
      throw Error(std::string("[save] the name '") + name + "' is reserved by the format");
    }
    if (!seen.insert(name).second) throw Error("[save] the name '" + name + "' appears twice");
    if (!t.defined()) throw Error("[save] tensor '" + name + "' is undefined");
  }
}
}  // namespace

void save(const NamedTensors& tensors, const std::string& path, const TensorMetadata& metadata) {
  check_names(tensors);
  std::vector<detail::HostBytes> bytes;
  bytes.reserve(tensors.size());
  for (const auto& [name, t] : tensors) bytes.push_back(detail::host_bytes(t));

  std::vector<size_t> data_order(tensors.size());
  std::iota(data_order.begin(), data_order.end(), size_t{0});
  std::stable_sort(data_order.begin(), data_order.end(), [&](size_t a, size_t b) {
    return itemsize(tensors[a].second.dtype()) > itemsize(tensors[b].second.dtype());
  });
  std::vector<std::pair<uint64_t, uint64_t>> offsets(tensors.size());
  uint64_t at = 0;
  for (size_t i : data_order) {
    offsets[i] = {at, at + bytes[i].nbytes};
    at += bytes[i].nbytes;
  }

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header[detail::kSafetensorsMetadataKey] = metadata;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i].second;
    header[tensors[i].first] = {{"dtype", detail::safetensors_dtype_name(t.dtype())},
                                {"shape", t.sizes()},
                                {"data_offsets", {offsets[i].first, offsets[i].second}}};
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  char length[8];
  uint64_t n = text.size();
  for (int b = 0; b < 8; ++b) length[b] = static_cast<char>((n >> (8 * b)) & 0xff);
  std::vector<std::string_view> chunks{std::string_view(length, 8), text};
  for (size_t i : data_order) {
    chunks.emplace_back(reinterpret_cast<const char*>(bytes[i].data), bytes[i].nbytes);
  }
  detail::write_file_atomically("save", path, chunks);
}

}  // namespace kiln
