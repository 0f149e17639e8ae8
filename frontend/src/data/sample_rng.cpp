// SampleRng and SampleScope: per-example random streams keyed by (seed, epoch, index).
#include <cstdint>

#include "kiln/frontend/data/transforms.h"

namespace kiln::data {

namespace {
uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct ThreadScope {
  bool set = false;
  uint64_t seed = 0, epoch = 0;
};
thread_local ThreadScope current;
}  // namespace

SampleRng::SampleRng(uint64_t seed, uint64_t epoch, uint64_t index)
    : state_(splitmix(splitmix(splitmix(seed) ^ epoch) ^ index)) {}

SampleRng SampleRng::for_index(uint64_t index) {
  return SampleRng(current.seed, current.epoch, index);
}

uint64_t SampleRng::next() {
  state_ += 0x9e3779b97f4a7c15ull;
  return splitmix(state_);
}

double SampleRng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

int64_t SampleRng::integer(int64_t low, int64_t high) {
  auto span = static_cast<uint64_t>(high - low) + 1;
  return low + static_cast<int64_t>(span == 0 ? next() : next() % span);
}

SampleScope::SampleScope(uint64_t seed, uint64_t epoch)
    : had_(current.set), seed_(current.seed), epoch_(current.epoch) {
  current = {true, seed, epoch};
}

SampleScope::~SampleScope() { current = {had_, seed_, epoch_}; }

}  // namespace kiln::data
