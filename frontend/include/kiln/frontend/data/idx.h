// The IDX file format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): two zero
// bytes, an element type byte (0x08: unsigned byte), a dimension count, each dimension as a
// big-endian 32-bit integer, then the elements. Files may be gzip-compressed (".gz").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::data {

/// An IDX array of unsigned bytes.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

/// Parses an IDX file held in memory (gzip-compressed or raw, told apart by the gzip magic);
/// `name` names it in messages. Throws FormatError "[idx] <name>: <problem>" for anything
/// malformed: truncation, wrong magic, an element type other than 0x08, sizes that do not match,
/// gzip inside gzip (one layer is read).
IdxArray parse_idx(std::string_view bytes, const std::string& name);
/// Checks that every element of a label array lies in 0..classes-1; throws FormatError
/// "[idx] <name>: label <value> at index <i> is outside 0..<classes-1>" at the first that does not.
void check_labels(const IdxArray& labels, int64_t classes, const std::string& name);
/// Reads and parses an IDX file (".gz" or raw).
IdxArray read_idx(const std::string& path);

/// Decompresses gzip data; throws FormatError naming `name` when it is corrupt, truncated or
/// would exceed `max_bytes`.
std::string gunzip(std::string_view bytes, const std::string& name, size_t max_bytes);

}  // namespace kiln::data
