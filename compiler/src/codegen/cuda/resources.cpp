// Per-function resource usage from ptxas -v output in NVRTC's program log.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include "kiln/compiler/codegen/cuda/cuda_codegen.h"

namespace kiln::codegen::cuda {

namespace {

/// The integer just before `unit` in `line` (e.g. "30" in "Used 30 registers"), or -1.
int number_before(const std::string& line, const std::string& unit) {
  size_t at = line.find(" " + unit);
  if (at == std::string::npos) return -1;
  size_t begin = at;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(line[begin - 1]))) --begin;
  return begin == at ? -1 : std::atoi(line.substr(begin, at - begin).c_str());
}

}  // namespace

std::vector<Resources> resource_usage(const std::string& log) {
  std::vector<Resources> out;
  std::istringstream in(log);
  std::string line;
  const std::string entry_marker = "Compiling entry function '";
  while (std::getline(in, line)) {
    if (size_t at = line.find(entry_marker); at != std::string::npos) {
      size_t begin = at + entry_marker.size();
      out.push_back({line.substr(begin, line.find('\'', begin) - begin), 0, 0, 0, 0, 0});
      continue;
    }
    if (out.empty()) continue;
    Resources& r = out.back();
    if (line.find("spill stores") != std::string::npos) {
      r.stack_bytes = std::max(0, number_before(line, "bytes stack frame"));
      r.spill_store_bytes = std::max(0, number_before(line, "bytes spill stores"));
      r.spill_load_bytes = std::max(0, number_before(line, "bytes spill loads"));
    }
    if (line.find("Used ") != std::string::npos) {
      r.registers = std::max(0, number_before(line, "registers"));
      r.shared_bytes = std::max(0, number_before(line, "bytes smem"));
    }
  }
  return out;
}

}  // namespace kiln::codegen::cuda
