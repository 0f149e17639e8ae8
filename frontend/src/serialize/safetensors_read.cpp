// kiln::load: a safetensors file to tensors, trusting nothing in it. Every check failure throws
// FormatError "[load] <file>: <problem>".
#include <algorithm>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "host_data.h"
#include "kiln/compiler/shape.h"
#include "kiln/frontend/serialize.h"
#include "kiln/runtime/error.h"
#include "serialize/file_io.h"
#include "serialize/safetensors_format.h"

namespace kiln {

namespace {
using Json = nlohmann::ordered_json;

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

class Reader {
 public:
  explicit Reader(const std::string& name) : name_(name) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw FormatError("[load] " + name_ + ": " + problem);
  }

  uint64_t unsigned_value(const Json& v, const std::string& what) const {
    if (!v.is_number_unsigned()) fail(what + " is not a non-negative integer: " + v.dump());
    return v.get<uint64_t>();
  }

  Entry entry(const std::string& key, const Json& v) const {
    std::string where = "tensor '" + key + "'";
    if (!v.is_object()) fail(where + " is not a JSON object");
    for (const char* field : {"dtype", "shape", "data_offsets"}) {
      if (!v.contains(field)) fail(where + " has no \"" + field + "\"");
    }
    const Json& dtype = v["dtype"];
    if (!dtype.is_string()) fail(where + " has a dtype that is not a string");
    auto t = detail::dtype_from_safetensors(dtype.get<std::string>());
    if (!t) {
      fail(where + " has dtype " + dtype.dump() +
           ", which kiln does not know (F64 F32 F16 BF16 I64 I32 U8 BOOL)");
    }
    Entry e{key, *t, {}, 0, 0};
    const Json& shape = v["shape"];
    if (!shape.is_array()) fail(where + " has a shape that is not an array");
    uint64_t numel = 1;
    bool overflow = false;
    for (const Json& d : shape) {
      uint64_t n = unsigned_value(d, where + " shape entry");
      overflow = overflow || n > uint64_t(std::numeric_limits<int64_t>::max()) ||
                 __builtin_mul_overflow(numel, n, &numel);
      e.shape.push_back(static_cast<int64_t>(std::min<uint64_t>(n, INT64_MAX)));
    }
    uint64_t nbytes = 0;
    overflow = overflow || __builtin_mul_overflow(numel, uint64_t(itemsize(e.dtype)), &nbytes) ||
               nbytes > uint64_t(std::numeric_limits<int64_t>::max());
    if (overflow) fail(where + " has a shape whose size overflows: " + shape.dump());
    const Json& offsets = v["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2) {
      fail(where + " data_offsets is not an array of two integers");
    }
    e.begin = unsigned_value(offsets[0], where + " data_offsets[0]");
    e.end = unsigned_value(offsets[1], where + " data_offsets[1]");
    if (e.end < e.begin) fail(where + " data_offsets " + offsets.dump() + " end before begin");
    if (e.end - e.begin != nbytes) {
      fail(where + " shape " + shape_str(e.shape) + " of " + dtype.get<std::string>() + " needs " +
           std::to_string(nbytes) + " bytes but data_offsets " + offsets.dump() + " hold " +
           std::to_string(e.end - e.begin));
    }
    return e;
  }

  TensorMetadata metadata(const Json& v) const {
    if (!v.is_object()) fail("__metadata__ is not a JSON object");
    TensorMetadata out;
    for (const auto& [key, value] : v.items()) {
      if (!value.is_string()) fail("__metadata__ value of '" + key + "' is not a string");
      out[key] = value.get<std::string>();
    }
    return out;
  }

  /// Offsets must tile the data section exactly: in range, no overlap, no gap.
  void check_layout(std::vector<Entry> entries, uint64_t data_size) const {
    for (const Entry& e : entries) {
      if (e.end > data_size) {
        fail("tensor '" + e.name + "' data_offsets [" + std::to_string(e.begin) + ", " +
             std::to_string(e.end) + "] go past the data section (" + std::to_string(data_size) +
             " bytes)");
      }
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t covered = 0;
    const Entry* last = nullptr;
    for (const Entry& e : entries) {
      if (e.begin < covered) {
        fail("tensors '" + last->name + "' and '" + e.name + "' overlap (bytes " +
             std::to_string(e.begin) + " to " + std::to_string(covered) + ")");
      }
      if (e.begin > covered) {
        fail("bytes " + std::to_string(covered) + " to " + std::to_string(e.begin) +
             " of the data section belong to no tensor");
      }
      covered = e.end;
      if (e.end > e.begin || last == nullptr) last = &e;
    }
    if (covered != data_size) {
      fail("the tensors cover " + std::to_string(covered) + " bytes but the data section has " +
           std::to_string(data_size));
    }
  }

 private:
  const std::string& name_;
};

Tensor make_tensor(const Entry& e, const std::byte* data) {
  auto buf = std::make_shared<runtime::Buffer>(e.dtype, numel_of(e.shape), Device(kCPU));
  size_t n = e.end - e.begin;
  if (n > 0) std::memcpy(buf->data(), data + e.begin, n);
  if (e.dtype == kBool) {
    auto* b = static_cast<uint8_t*>(buf->data());
    for (size_t i = 0; i < n; ++i) b[i] = b[i] != 0;
  }
  return detail::tensor_from_buffer(std::move(buf), e.shape);
}

}  // namespace

namespace detail {

StateDict parse_safetensors(std::string_view bytes, const std::string& name,
                            TensorMetadata* metadata) {
  Reader r(name);
  if (bytes.size() < 8) {
    r.fail("the file has " + std::to_string(bytes.size()) +
           " bytes, fewer than the 8-byte header length");
  }
  uint64_t n = 0;
  for (int b = 7; b >= 0; --b) n = (n << 8) | static_cast<uint8_t>(bytes[static_cast<size_t>(b)]);
  if (n > bytes.size() - 8) {
    r.fail("the header length " + std::to_string(n) + " exceeds the " +
           std::to_string(bytes.size() - 8) + " bytes after it");
  }
  if (n > kMaxSafetensorsHeader) {
    r.fail("the header length " + std::to_string(n) + " exceeds the format's limit of " +
           std::to_string(kMaxSafetensorsHeader));
  }
  std::string_view text = bytes.substr(8, n);
  if (text.empty() || text.front() != '{') r.fail("the header does not start with '{'");
  Json header = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) r.fail("the header is not valid JSON");
  if (!header.is_object()) r.fail("the header is not a JSON object");

  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == kSafetensorsMetadataKey) {
      TensorMetadata m = r.metadata(value);
      if (metadata) *metadata = std::move(m);
    } else {
      entries.push_back(r.entry(key, value));
    }
  }
  std::string_view data = bytes.substr(8 + n);
  r.check_layout(entries, data.size());

  StateDict out;
  for (const Entry& e : entries) {
    out.insert(e.name, make_tensor(e, reinterpret_cast<const std::byte*>(data.data())));
  }
  return out;
}

}  // namespace detail

StateDict load(const std::string& path) {
  return detail::parse_safetensors(detail::read_whole_file("load", path), "'" + path + "'");
}

TensorMetadata load_metadata(const std::string& path) {
  TensorMetadata metadata;
  detail::parse_safetensors(detail::read_whole_file("load", path), "'" + path + "'", &metadata);
  return metadata;
}

}  // namespace kiln
