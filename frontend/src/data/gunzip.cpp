// gzip decompression through zlib, with a size cap (see idx.h).
#include <zlib.h>

#include <string>

#include "kiln/frontend/data/idx.h"
#include "kiln/runtime/error.h"

namespace kiln::data {

std::string gunzip(std::string_view bytes, const std::string& name, size_t max_bytes) {
  z_stream zs{};
  // 15 + 16: a gzip wrapper only.
  if (inflateInit2(&zs, 15 + 16) != Z_OK)
    throw FormatError("[gunzip] " + name + ": zlib init failed");
  std::string out;
  char chunk[1 << 16];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  if (bytes.size() != zs.avail_in) {
    inflateEnd(&zs);
    throw FormatError("[gunzip] " + name + ": compressed data over 4 GiB");
  }
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      std::string why = rc == Z_BUF_ERROR ? "truncated" : (zs.msg ? zs.msg : "corrupt");
      inflateEnd(&zs);
      throw FormatError("[gunzip] " + name + ": gzip data is " + why);
    }
    size_t produced = sizeof(chunk) - zs.avail_out;
    if (out.size() + produced > max_bytes) {
      inflateEnd(&zs);
      throw FormatError("[gunzip] " + name + ": decompresses to more than " +
                        std::to_string(max_bytes) + " bytes");
    }
    out.append(chunk, produced);
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace kiln::data
