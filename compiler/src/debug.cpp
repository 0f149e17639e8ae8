#include "kiln/compiler/debug.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace kiln::ir {

int debug_level() {
  static const int level = [] {
    const char* v = std::getenv("KILN_DEBUG");
    return v != nullptr ? std::atoi(v) : 0;
  }();
  return level;
}

void debug_line(const std::string& text) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::fprintf(stderr, "kiln: %s\n", text.c_str());
}

}  // namespace kiln::ir
