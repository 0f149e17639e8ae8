// Saving and loading tensors in the safetensors format
// (https://github.com/huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header naming each tensor's dtype, shape and byte range, then the raw little-endian data. Files
// kiln writes are read by Python's `safetensors` and PyTorch, and kiln reads theirs (dtypes F64 F32
// F16 BF16 I64 I32 U8 BOOL).
#pragma once

#include <concepts>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "kiln/frontend/nn/ordered_dict.h"
#include "kiln/frontend/tensor.h"

namespace kiln {

/// Named tensors in order, as a plain list (a StateDict or any range of pairs saves as well).
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
/// The optional `__metadata__` of a safetensors file (string to string).
using TensorMetadata = std::map<std::string, std::string>;

/// Writes `tensors` to `path` as safetensors, in the given order. The file is written under a
/// temporary name in the same folder, flushed to disk and renamed, so `path` always holds
/// either the old file or the whole new one. CUDA tensors are copied to the host. Throws
/// Error for duplicate, empty or reserved names and when the file cannot be written.
void save(const NamedTensors& tensors, const std::string& path,
          const TensorMetadata& metadata = {});

/// Reads every tensor of a safetensors file, in the header's order, as CPU tensors. Every part of
/// the file is checked (header length against the file size, the JSON, dtypes, shapes against byte
/// counts, offsets in range, ordered, non-overlapping and covering the data); a violation throws
/// FormatError naming the file and the problem.
StateDict load(const std::string& path);
/// The `__metadata__` of a safetensors file (empty when it has none); checked as load() does.
TensorMetadata load_metadata(const std::string& path);

namespace detail {
/// Parses a whole safetensors file held in memory; `name` names it in error messages.
StateDict parse_safetensors(std::string_view bytes, const std::string& name,
                            TensorMetadata* metadata = nullptr);

template <typename R>
concept NamedTensorRange = requires(const R& r) {
  { std::begin(r)->first } -> std::convertible_to<std::string>;
  { std::begin(r)->second } -> std::convertible_to<Tensor>;
};
template <typename M>
concept HasStateDict = requires(const M& m) {
  { m.state_dict() } -> NamedTensorRange;
};
template <typename M>
concept LoadsStateDict = requires(M& m, const StateDict& d) {
  m.load_state_dict(d, true);
};
template <typename M>
concept PointsToLoadsStateDict = requires(M& m, const StateDict& d) {
  m->load_state_dict(d, true);
};
template <typename M>
concept PointsToStateDict = requires(const M& m) {
  { m->state_dict() } -> NamedTensorRange;
};
}  // namespace detail

/// Saves any ordered range of (name, Tensor) pairs, such as a module's StateDict.
template <detail::NamedTensorRange R>
requires(!std::same_as<R, NamedTensors>) void save(const R& named, const std::string& path,
                                                   const TensorMetadata& metadata = {}) {
  NamedTensors list;
  for (const auto& [name, tensor] : named) list.emplace_back(name, tensor);
  save(list, path, metadata);
}
/// Saves a module's state_dict() (a module, a module holder or a shared_ptr to a module).
template <typename M>
requires(!detail::NamedTensorRange<M> &&
         (detail::HasStateDict<M> ||
          detail::PointsToStateDict<M>)) void save(const M& module, const std::string& path,
                                                   const TensorMetadata& metadata = {}) {
  if constexpr (detail::HasStateDict<M>) {
    save(module.state_dict(), path, metadata);
  } else {
    save(module->state_dict(), path, metadata);
  }
}

/// Loads the tensors of a safetensors file into a module (a module, a module holder or a
/// shared_ptr to a module) through its load_state_dict(dict, strict), whose result it returns:
/// with strict, missing or unexpected keys and shape mismatches throw.
template <typename M>
requires(
    detail::LoadsStateDict<std::remove_reference_t<M>> ||
    detail::PointsToLoadsStateDict<std::remove_reference_t<M>>) auto load(M&& module,
                                                                          const std::string& path,
                                                                          bool strict = true) {
  if constexpr (detail::LoadsStateDict<std::remove_reference_t<M>>) {
    return module.load_state_dict(load(path), strict);
  } else {
    return module->load_state_dict(load(path), strict);
  }
}

}  // namespace kiln
