// Random-graph property test: programs of random ops (elementwise, broadcasting, reductions,
// views, in-place writes, casts, matmul, gather, cumsum) are realized by the compiler and
// compared with the reference interpreter on the very same graph. A failure prints its seed;
// KILN_TEST_SEED=<seed> replays one graph. A second family of larger graphs over every dtype
// (large_random_graph.h, LargeGen) replays one with KILN_TEST_LARGE_SEED=<seed>, and runs seeds
// <first> to <last> (a longer search) with KILN_TEST_LARGE_SEEDS=<first>-<last>.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "frontend/large_random_graph.h"
#include "kiln/compiler/interpreter.h"

namespace {

void compare(uint64_t seed) {
  INFO("seed " << seed);
  kiln_test::Gen g(seed, kiln::Device(kiln::kCPU));
  auto [out, other] = kiln_test::random_graph(g);
  CAPTURE(seed, g.log);
  auto expected_out = kiln::ir::interpret({out.node()})[0];
  auto expected_other = kiln::ir::interpret({other.node()})[0];
  kiln::eval({out, other});
  kiln_test::require_close(out, *expected_out);
  kiln_test::require_close(other, *expected_other);
}

void compare_large(uint64_t seed) {
  INFO("large seed " << seed);
  kiln_test::SeededLargeGraph graph = kiln_test::seeded_large_graph(seed);
  const kiln_test::LargeGen& g = graph.gen;
  std::vector<kiln::Tensor>& outs = graph.outputs;
  CAPTURE(seed, g.log);
  auto expected = kiln::ir::interpret(graph.nodes);
  kiln::eval(outs);
  for (size_t i = 0; i < outs.size(); ++i) {
    CAPTURE(i);
    double tol = std::max(kiln_test::tolerance(outs[i].dtype()), g.float_tolerance());
    kiln_test::require_close(outs[i], *expected[i], tol);
  }
}

}  // namespace

TEST_CASE("compiled programs equal the reference interpreter on random graphs",
          "[property][compiled]") {
  if (const char* s = std::getenv("KILN_TEST_SEED")) {
    compare(std::strtoull(s, nullptr, 10));
    return;
  }
  for (uint64_t seed = 1; seed <= 500; ++seed) compare(seed);
}

TEST_CASE(
    "compiled programs equal the reference interpreter on larger random graphs of every dtype",
    "[property][compiled]") {
  if (const char* s = std::getenv("KILN_TEST_LARGE_SEED")) {
    compare_large(std::strtoull(s, nullptr, 10));
    return;
  }
  uint64_t first = 1, last = 100;
  if (const char* s = std::getenv("KILN_TEST_LARGE_SEEDS")) {
    char* end = nullptr;
    first = std::strtoull(s, &end, 10);
    last = *end == '-' ? std::strtoull(end + 1, nullptr, 10) : first;
  }
  for (uint64_t seed = first; seed <= last; ++seed) compare_large(seed);
}
