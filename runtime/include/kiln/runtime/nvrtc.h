// NVRTC, the CUDA runtime compiler, loaded with dlopen at first use (never linked), so one
// build runs on machines with and without the CUDA toolkit. Compiles CUDA C++ source to a CUBIN
// for one exact sm_XX target; no GPU is needed.
#pragma once

#include <string>

namespace kiln::runtime::nvrtc {

/// True when libnvrtc was found and loaded.
bool available();
/// NVRTC's version as major * 1000 + minor * 10 (13.0 -> 13000); 0 when unavailable.
int version();

struct Compiled {
  std::string cubin;  ///< the CUBIN image
  std::string log;    ///< NVRTC's program log (ptxas -v: registers, spills, shared memory)
};

/// Compiles `source` (self-contained: it includes nothing) for sm_<arch> with -std=c++17,
/// -default-device and --ptxas-options=-v, without fast math. On failure throws CompileError
/// whose message holds the whole log and the path of the source saved to $KILN_CACHE_DIR (or
/// the temp directory). Throws CompileError when NVRTC is unavailable.
Compiled compile(const std::string& source, const std::string& name, int arch);

}  // namespace kiln::runtime::nvrtc
