#include "kiln/runtime/nvrtc.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <vector>

#include "kiln/runtime/disk_cache.h"
#include "kiln/runtime/error.h"

namespace kiln::runtime::nvrtc {

namespace {

// The few NVRTC entry points kiln calls, declared here so that no toolkit header is needed.
using Program = void*;
using Result = int;
constexpr Result kSuccess = 0;

struct Api {
  const char* (*get_error_string)(Result) = nullptr;
  Result (*version)(int*, int*) = nullptr;
  Result (*create_program)(Program*, const char*, const char*, int, const char* const*,
                           const char* const*) = nullptr;
  Result (*destroy_program)(Program*) = nullptr;
  Result (*compile_program)(Program, int, const char* const*) = nullptr;
  Result (*get_program_log_size)(Program, size_t*) = nullptr;
  Result (*get_program_log)(Program, char*) = nullptr;
  Result (*get_cubin_size)(Program, size_t*) = nullptr;
  Result (*get_cubin)(Program, char*) = nullptr;
  int version_code = 0;
  bool ok = false;
};

void* open_library() {
  std::vector<std::string> names = {"libnvrtc.so.13", "libnvrtc.so",
                                    "/usr/local/cuda/lib64/libnvrtc.so.13",
                                    "/usr/local/cuda/lib64/libnvrtc.so"};
  if (const char* home = std::getenv("CUDA_HOME"); home && *home) {
    names.push_back(std::string(home) + "/lib64/libnvrtc.so.13");
    names.push_back(std::string(home) + "/lib64/libnvrtc.so");
  }
  for (const auto& n : names) {
    if (void* h = dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL)) return h;
  }
  return nullptr;
}

template <typename F>
bool bind(void* lib, const char* symbol, F*& fn) {
  fn = reinterpret_cast<F*>(dlsym(lib, symbol));
  return fn != nullptr;
}

const Api& api() {
  static const Api a = [] {
    Api r;
    void* lib = open_library();
    if (!lib) return r;
    bool ok =
        bind(lib, "nvrtcGetErrorString", r.get_error_string) &&
        bind(lib, "nvrtcVersion", r.version) && bind(lib, "nvrtcCreateProgram", r.create_program) &&
        bind(lib, "nvrtcDestroyProgram", r.destroy_program) &&
        bind(lib, "nvrtcCompileProgram", r.compile_program) &&
        bind(lib, "nvrtcGetProgramLogSize", r.get_program_log_size) &&
        bind(lib, "nvrtcGetProgramLog", r.get_program_log) &&
        bind(lib, "nvrtcGetCUBINSize", r.get_cubin_size) && bind(lib, "nvrtcGetCUBIN", r.get_cubin);
    int major = 0, minor = 0;
    if (ok && r.version(&major, &minor) == kSuccess) {
      r.version_code = major * 1000 + minor * 10;
      r.ok = true;
    }
    return r;
  }();
  return a;
}

void check(Result r, const char* call) {
  if (r != kSuccess)
    throw CompileError(std::string("[nvrtc] ") + call + " failed: " + api().get_error_string(r));
}

/// Saves a failed kernel's source where the user can find it: the cache directory, or the
/// temporary directory when that is unset or not writable (not created yet, say). Returns the
/// path ("" if both writes failed).
std::string save_source(const std::string& source, const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  for (std::string dir : {DiskCache::dir_from_env(), std::string(tmp && *tmp ? tmp : "/tmp")}) {
    if (dir.empty()) continue;
    std::string path = dir + "/" + name + ".failed." + std::to_string(getpid()) + ".cu";
    std::ofstream out(path);
    out << source;
    if (out) return path;
  }
  return std::string();
}

}  // namespace

bool available() { return api().ok; }

int version() { return api().version_code; }

Compiled compile(const std::string& source, const std::string& name, int arch) {
  const Api& a = api();
  if (!a.ok) throw CompileError("[nvrtc] libnvrtc could not be loaded (install the CUDA toolkit)");
  Program prog = nullptr;
  check(a.create_program(&prog, source.c_str(), (name + ".cu").c_str(), 0, nullptr, nullptr),
        "nvrtcCreateProgram");
  std::unique_ptr<Program, std::function<void(Program*)>> guard(
      &prog, [&a](Program* p) { a.destroy_program(p); });
  std::string arch_opt = "--gpu-architecture=sm_" + std::to_string(arch);
  const char* options[] = {arch_opt.c_str(), "-std=c++17", "-default-device", "--ptxas-options=-v"};
  Result r = a.compile_program(prog, 4, options);
  Compiled out;
  size_t log_size = 0;
  check(a.get_program_log_size(prog, &log_size), "nvrtcGetProgramLogSize");
  out.log.assign(log_size, '\0');
  if (log_size > 0) check(a.get_program_log(prog, out.log.data()), "nvrtcGetProgramLog");
  while (!out.log.empty() && out.log.back() == '\0') out.log.pop_back();
  if (r != kSuccess) {
    std::string path = save_source(source, name);
    throw CompileError("[nvrtc] " + name + " failed to compile for sm_" + std::to_string(arch) +
                       " (" + a.get_error_string(r) + "); source saved to " +
                       (path.empty() ? "(nowhere: write failed)" : path) + "\n" + out.log);
  }
  size_t size = 0;
  check(a.get_cubin_size(prog, &size), "nvrtcGetCUBINSize");
  out.cubin.assign(size, '\0');
  check(a.get_cubin(prog, out.cubin.data()), "nvrtcGetCUBIN");
  return out;
}

}  // namespace kiln::runtime::nvrtc
