// libFuzzer target: the graph IR's text parser (kiln::ir::parse_graph) on arbitrary text; only
// kiln::Error may escape it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kiln/compiler/text.h"
#include "kiln/runtime/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    kiln::ir::parse_graph(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const kiln::Error&) {
  }
  return 0;
}
