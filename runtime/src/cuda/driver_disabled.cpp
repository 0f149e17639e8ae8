// The CUDA runtime in a build without CUDA support (KILN_WITH_CUDA=OFF): no device is ever
// available, and anything that needs one throws DeviceError.
#include "kiln/runtime/cuda/copy_stream.h"
#include "kiln/runtime/cuda/driver.h"
#include "kiln/runtime/error.h"

namespace kiln::runtime::cuda {

namespace {
[[noreturn]] void unavailable() {
  throw DeviceError("[cuda] this build of kiln has no CUDA support (KILN_WITH_CUDA=OFF)");
}
}  // namespace

bool available() { return false; }
bool simulated() { return false; }
std::string simulator_image(const std::string&, const std::string&) { unavailable(); }
int device_count() { return 0; }
const DeviceProperties& properties(int) { unavailable(); }
int arch(int) { unavailable(); }
void activate(int) { unavailable(); }
void* stream(int) { unavailable(); }
void synchronize(int) { unavailable(); }
void synchronize_all() {}
void memory_info(int, int64_t*, int64_t*) { unavailable(); }
void* raw_malloc(size_t, int) { unavailable(); }
void raw_free(void*, int) { unavailable(); }
void* pinned_malloc(size_t) { unavailable(); }
void pinned_free(void*) noexcept {}
void copy_to_device(void*, const void*, size_t, int, bool) { unavailable(); }
void copy_to_host(void*, const void*, size_t, int) { unavailable(); }
void copy_device_to_device(void*, const void*, size_t, int) { unavailable(); }
void memset_zero(void*, size_t, int) { unavailable(); }
Module::Module(const std::string&, int device) : device_(device) { unavailable(); }
Module::~Module() = default;
void* Module::function(const std::string&) const { unavailable(); }
void Module::set_max_shared(void*, int) const { unavailable(); }
void launch(void*, int64_t, int, int, void**, int) { unavailable(); }
Graph::~Graph() = default;
void Graph::launch() const { unavailable(); }
void begin_capture(int) { unavailable(); }
std::unique_ptr<Graph> end_capture(int) { unavailable(); }
Timer::Timer(int device) : device_(device) { unavailable(); }
Timer::~Timer() = default;
void Timer::start() { unavailable(); }
double Timer::stop() { unavailable(); }
void* copy_stream(int) { unavailable(); }
Event::Event(int device) : device_(device) { unavailable(); }
Event::~Event() = default;
void Event::record(void*) { unavailable(); }
void Event::make_compute_wait() const { unavailable(); }
bool Event::done() const { unavailable(); }
void Event::synchronize() const { unavailable(); }
std::shared_ptr<Event> copy_to_device_on_copy_stream(void*, const void*, size_t, int) {
  unavailable();
}

}  // namespace kiln::runtime::cuda
