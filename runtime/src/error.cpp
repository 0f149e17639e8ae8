#include "kiln/runtime/error.h"

namespace kiln {

IndexError index_out_of_bounds(const std::string& op, int64_t index, int64_t dim, int64_t size) {
  return IndexError("[" + op + "] index " + std::to_string(index) +
                    " is out of bounds for dimension " + std::to_string(dim) + " with size " +
                    std::to_string(size));
}

void throw_internal(const char* file, int line, const std::string& what) {
  throw InternalError(std::string(file) + ":" + std::to_string(line) + ": internal error: " + what);
}

}  // namespace kiln
