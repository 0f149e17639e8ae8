// IDX parsing (see idx.h).
#include "kiln/frontend/data/idx.h"

#include <cstring>

#include "kiln/runtime/error.h"
#include "serialize/file_io.h"

namespace kiln::data {

namespace {
/// Decompressed IDX files larger than this are refused (MNIST's largest is 47 MB).
constexpr size_t kMaxIdxBytes = size_t{1} << 31;

[[noreturn]] void fail(const std::string& name, const std::string& problem) {
  throw FormatError("[idx] " + name + ": " + problem);
}

std::string hex(uint8_t b) {
  const char* digits = "0123456789ABCDEF";
  return std::string("0x") + digits[b >> 4] + digits[b & 15];
}

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f &&
         static_cast<uint8_t>(bytes[1]) == 0x8b;
}

/// The IDX array in uncompressed `bytes`.
IdxArray parse_raw(std::string_view bytes, const std::string& name) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  if (bytes.size() < 4)
    fail(name,
         "the file has " + std::to_string(bytes.size()) + " bytes, fewer than the 4-byte magic");
  if (byte(0) != 0 || byte(1) != 0) {
    fail(name, "wrong magic: it starts " + hex(byte(0)) + " " + hex(byte(1)) + ", not 0x00 0x00");
  }
  if (byte(2) != 0x08) {
    fail(name,
         "element type " + hex(byte(2)) + " is not supported (kiln reads unsigned bytes, 0x08)");
  }
  size_t rank = byte(3);
  if (rank == 0) fail(name, "the array has no dimensions");
  size_t data_at = 4 + 4 * rank;
  if (bytes.size() < data_at) {
    fail(name, "the header of " + std::to_string(rank) + " dimensions needs " +
                   std::to_string(data_at) + " bytes but the file has " +
                   std::to_string(bytes.size()));
  }
  IdxArray out;
  uint64_t count = 1;
  bool overflow = false;
  for (size_t d = 0; d < rank; ++d) {
    size_t at = 4 + 4 * d;
    uint32_t n = (uint32_t{byte(at)} << 24) | (uint32_t{byte(at + 1)} << 16) |
                 (uint32_t{byte(at + 2)} << 8) | uint32_t{byte(at + 3)};
    overflow = overflow || __builtin_mul_overflow(count, uint64_t{n}, &count);
    out.dims.push_back(n);
  }
  uint64_t have = bytes.size() - data_at;
  if (overflow || count != have) {
    std::string dims;
    for (int64_t d : out.dims) dims += (dims.empty() ? "" : " x ") + std::to_string(d);
    fail(name, "dimensions " + dims + " need " +
                   (overflow ? "more than 2^64" : std::to_string(count)) +
                   " bytes of data but the file has " + std::to_string(have));
  }
  out.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_at), bytes.end());
  return out;
}
}  // namespace

IdxArray parse_idx(std::string_view bytes, const std::string& name) {
  if (!is_gzip(bytes)) return parse_raw(bytes, name);
  // One gzip layer: a gzip stream inside is refused, not unpacked again (each layer can
  // multiply the size, and nothing legitimate compresses an IDX file twice).
  std::string raw = gunzip(bytes, name, kMaxIdxBytes);
  if (is_gzip(raw)) {
    fail(name, "the decompressed data is gzip-compressed again; kiln reads one gzip layer");
  }
  return parse_raw(raw, name);
}

void check_labels(const IdxArray& labels, int64_t classes, const std::string& name) {
  for (size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] >= classes) {
      fail(name, "label " + std::to_string(labels.data[i]) + " at index " + std::to_string(i) +
                     " is outside 0.." + std::to_string(classes - 1));
    }
  }
}

IdxArray read_idx(const std::string& path) {
  return parse_idx(detail::read_whole_file("idx", path), "'" + path + "'");
}

}  // namespace kiln::data
