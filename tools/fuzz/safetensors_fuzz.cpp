// libFuzzer target: the safetensors reader (kiln::load's parser) on arbitrary bytes. Anything
// other than a clean parse or a kiln::Error is a bug (a crash, a sanitizer report, another
// exception escaping).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kiln/frontend/serialize.h"
#include "kiln/runtime/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    kiln::detail::parse_safetensors(std::string_view(reinterpret_cast<const char*>(data), size),
                                    "fuzz");
  } catch (const kiln::Error&) {
  }
  return 0;
}
