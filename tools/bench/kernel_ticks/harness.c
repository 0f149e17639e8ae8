// Times JIT-compiled CPU kernel bodies on one core with their data in cache (see run.sh).
// Each kernel is kiln's `<name>.par0(void** args, long begin, long end)` over elements
// [begin, end) of a flat elementwise loop with one input and one output; the variants run
// interleaved so that a drifting machine affects them alike. Prints TSC ticks per 16 elements,
// the best of ROUNDS calls each.
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>

#ifndef ELEMENTS
#define ELEMENTS 65536
#endif
#define ROUNDS 3000

typedef void (*Kernel)(void**, long, long);
struct Variant {
  Kernel fn;
  const char* name;
};
extern struct Variant kVariants[];
extern int kVariantCount;

// Referenced by the objects' thread-pool wrappers, which the harness never calls.
void kiln_parallel_for(void) { abort(); }

int main(void) {
  long n = ELEMENTS;
  float* x = aligned_alloc(64, n * sizeof(float));
  float* y = aligned_alloc(64, n * sizeof(float));
  srand(1);
  for (long i = 0; i < n; ++i) x[i] = (float)rand() / (float)RAND_MAX * 8.0f - 4.0f;
  void* args[2] = {x, y};
  double best[64];
  for (int v = 0; v < kVariantCount; ++v) best[v] = 1e30;
  for (int r = 0; r < ROUNDS; ++r) {
    for (int v = 0; v < kVariantCount; ++v) {
      unsigned long long t0 = __rdtsc();
      kVariants[v].fn(args, 0, n);
      unsigned long long t1 = __rdtsc();
      double t = (double)(t1 - t0) / ((double)n / 16.0);
      if (t < best[v]) best[v] = t;
    }
  }
  for (int v = 0; v < kVariantCount; ++v)
    printf("%-40s %6.1f ticks / 16 elements\n", kVariants[v].name, best[v]);
  return 0;
}
