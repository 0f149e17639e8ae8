// libFuzzer target: the IDX reader (raw and gzip) on arbitrary bytes; only kiln::Error may
// escape the parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kiln/frontend/data/idx.h"
#include "kiln/runtime/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    kiln::data::parse_idx(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const kiln::Error&) {
  }
  return 0;
}
