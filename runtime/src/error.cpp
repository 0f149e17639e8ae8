#include "kiln/runtime/error.h"

namespace kiln {

void throw_internal(const char* file, int line, const std::string& what) {
  throw InternalError(std::string(file) + ":" + std::to_string(line) + ": internal error: " + what);
}

}  // namespace kiln
