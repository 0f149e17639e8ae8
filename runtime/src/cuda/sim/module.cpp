// The simulator's modules (sim.h): a rendered source plus kernel_header() and one launch entry
// per __global__ function, compiled into a shared object by the host C++ compiler; the image
// carries the object's bytes, and loading writes them to a temporary file and dlopens it.
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cuda/sim/sim.h"
#include "kiln/runtime/cuda/driver.h"
#include "kiln/runtime/disk_cache.h"
#include "kiln/runtime/error.h"

namespace kiln::runtime::cuda {

namespace sim {

namespace {

constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'S', 'I', 'M', '1'};
constexpr const char* kFlags = "-std=c++17 -O1 -fPIC -shared -w -fno-strict-aliasing";
constexpr const char* kGlobal = "extern \"C\" __global__ void __launch_bounds__(";

/// One __global__ function of a rendered source: its name, parameter types, and whether its
/// threads synchronize (and so run as fibers).
struct Kernel {
  std::string name;
  std::vector<std::string> types;
  bool fibers = false;
};

std::vector<Kernel> kernels_of(const std::string& source) {
  std::vector<Kernel> out;
  for (size_t at = source.find(kGlobal); at != std::string::npos;) {
    size_t open = source.find('(', source.find(')', at) + 1);
    size_t close = source.find(')', open);
    size_t name_at = source.find(')', at) + 2;
    Kernel k;
    k.name = source.substr(name_at, open - name_at);
    std::string params = source.substr(open + 1, close - open - 1);
    std::stringstream ss(params);
    for (std::string p; std::getline(ss, p, ',');) {
      size_t restrict_at = p.find("__restrict__");
      if (restrict_at != std::string::npos) p.erase(restrict_at, 12);
      size_t name_start = p.find_last_of(' ');
      k.types.push_back(p.substr(0, name_start));
    }
    size_t next = source.find(kGlobal, close);
    std::string body =
        source.substr(close, next == std::string::npos ? std::string::npos : next - close);
    k.fibers =
        body.find("__syncthreads") != std::string::npos || body.find("shfl") != std::string::npos;
    out.push_back(std::move(k));
    at = next;
  }
  return out;
}

std::string entries(const std::vector<Kernel>& kernels) {
  std::string out = "\n// ---- launch entries of the kiln CUDA simulator\n";
  for (const Kernel& k : kernels) {
    out += "extern \"C\" int " + k.name +
           "__kiln_sim(unsigned grid, unsigned block, void* const* a, char* stacks, unsigned long "
           "stack, char* message, unsigned long size) {\n  return kiln_sim::launch(grid, block, " +
           (k.fibers ? "true" : "false") + ", stacks, stack, message, size, [a] { " + k.name + "(";
    for (size_t i = 0; i < k.types.size(); ++i)
      out += (i ? ", " : "") + ("static_cast<" + k.types[i] + ">(a[" + std::to_string(i) + "])");
    out += "); });\n}\nextern \"C\" const int " + k.name +
           "__kiln_sim_params = " + std::to_string(k.types.size()) + ";\n";
  }
  return out;
}

std::string compiler() {
  const char* v = std::getenv("KILN_CUDA_SIM_CXX");
  return v != nullptr && *v != 0 ? v : "c++";
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// A fresh temporary directory (removed by the caller).
std::string temp_dir() {
  const char* t = std::getenv("TMPDIR");
  std::string pattern = std::string(t != nullptr && *t != 0 ? t : "/tmp") + "/kiln-sim-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back(0);
  if (mkdtemp(buf.data()) == nullptr)
    throw DeviceError("[cuda] simulator: cannot make a temporary directory");
  return buf.data();
}

std::string compile(const std::string& full, const std::string& name) {
  std::string dir = temp_dir();
  std::string src = dir + "/" + name + ".cpp", obj = dir + "/" + name + ".so", log = dir + "/log";
  std::ofstream(src, std::ios::binary) << full;
  std::string cmd =
      compiler() + " " + kFlags + " -o '" + obj + "' '" + src + "' > '" + log + "' 2>&1";
  int rc = std::system(cmd.c_str());
  std::string bytes = rc == 0 ? read_all(obj) : "";
  std::string output = read_all(log);
  if (rc != 0 || bytes.empty()) {
    // The source stays for the user to read; everything else goes.
    std::remove(obj.c_str());
    std::remove(log.c_str());
    throw CompileError("[cuda] the CUDA simulator could not compile kernel " + name + " (" + cmd +
                       "; source kept at " + src + "):\n" + output);
  }
  std::remove(src.c_str());
  std::remove(obj.c_str());
  std::remove(log.c_str());
  rmdir(dir.c_str());
  return bytes;
}

}  // namespace

std::string build_image(const std::string& source, const std::string& name) {
  std::string full = std::string(kernel_header()) + source + entries(kernels_of(source));
  std::string key = "kiln cuda simulator\n" + compiler() + " " + kFlags + "\n" + full;
  auto& cache = DiskCache::instance();
  std::string bytes;
  if (auto hit = cache.get(key)) {
    bytes.assign(hit->begin(), hit->end());
  } else {
    bytes = compile(full, name);
    cache.put(key, std::vector<char>(bytes.begin(), bytes.end()));
  }
  uint64_t size = bytes.size();
  std::string image(kMagic, sizeof kMagic);
  image.append(reinterpret_cast<const char*>(&size), sizeof size);
  return image + bytes;
}

void* load_image(const void* image, std::string* why) {
  const char* p = static_cast<const char*>(image);
  if (std::memcmp(p, kMagic, sizeof kMagic) != 0) {
    *why = "not a CUDA simulator image (a CUBIN cannot run on the simulator)";
    return nullptr;
  }
  uint64_t size = 0;
  std::memcpy(&size, p + sizeof kMagic, sizeof size);
  std::string dir = temp_dir(), path = dir + "/module.so";
  std::ofstream(path, std::ios::binary)
      .write(p + sizeof kMagic + sizeof size, static_cast<std::streamsize>(size));
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) *why = std::string("dlopen of a simulator module failed: ") + dlerror();
  std::remove(path.c_str());
  rmdir(dir.c_str());
  return h;
}

void unload_image(void* module) { dlclose(module); }

char* fiber_stacks() {
  // 1024 threads (the most a block has) of kFiberStack bytes, each above a PROT_NONE guard page;
  // mapped once per thread, never unmapped (pages are committed as the fibers touch them).
  thread_local char* base = [] {
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE)), each = kFiberStack + page;
    void* p = mmap(nullptr, 1024 * each, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return static_cast<char*>(nullptr);
    auto* b = static_cast<char*>(p);
    for (size_t t = 0; t < 1024; ++t) mprotect(b + t * each, page, PROT_NONE);
    return b;
  }();
  return base;
}

Entry find_entry(void* module, const char* name, int* params) {
  std::string base(name);
  auto* entry = reinterpret_cast<Entry>(dlsym(module, (base + "__kiln_sim").c_str()));
  auto* count = static_cast<const int*>(dlsym(module, (base + "__kiln_sim_params").c_str()));
  if (entry == nullptr || count == nullptr) return nullptr;
  *params = *count;
  return entry;
}

}  // namespace sim

std::string simulator_image(const std::string& source, const std::string& name) {
  return sim::build_image(source, name);
}

}  // namespace kiln::runtime::cuda
