// Random-graph property test: programs of random ops (elementwise, broadcasting, reductions,
// views, in-place writes, casts, matmul, gather, cumsum) are realized by the compiler and
// compared with the reference interpreter on the very same graph. A failure prints its seed;
// KILN_TEST_SEED=<seed> replays one graph.
#include <cmath>
#include <cstdlib>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "frontend/random_graph.h"
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

}  // namespace

TEST_CASE("compiled programs equal the reference interpreter on random graphs",
          "[property][compiled]") {
  if (const char* s = std::getenv("KILN_TEST_SEED")) {
    compare(std::strtoull(s, nullptr, 10));
    return;
  }
  for (uint64_t seed = 1; seed <= 500; ++seed) compare(seed);
}
