// The loop nests elementwise kernels walk (compiler/src/lower/nest.h): inner dims that every
// access reads contiguously are one loop, their index divisions cancelled ([N, C, 11, 11] read
// through a permute of N and C: one loop of 121, not 11 loops of 11); where some access would
// still divide (a transposed or broadcast inner dim) each inner dim keeps its own loop. Each
// kernel's result equals the reference interpreter's.
#include <string>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "frontend/random_graph.h"
#include "kiln/compiler/interpreter.h"
#include "kiln/compiler/kir/kir.h"
#include "kiln/compiler/schedule.h"

using kiln::Tensor;

namespace {

Tensor realized(Tensor t) {
  t.eval();
  return t;
}

/// The kernel IR of the single kernel that computes `t`.
std::string kernel_of(const Tensor& t) {
  kiln::ir::Schedule s = kiln::ir::schedule({t.node()});
  REQUIRE(s.kernels.size() == 1);
  return kiln::kir::print(s.kernels[0].kernel);
}

void require_interpreted(const Tensor& t) {
  auto want = kiln::ir::interpret({t.node()})[0];
  kiln_test::require_close(t, *want);
}

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("inner dims contiguous in every access are one loop", "[fusion][nest]") {
  kiln::manual_seed(11);
  Tensor x = realized(kiln::randn({6, 5, 11, 11}));
  Tensor b = realized(kiln::randn({5, 1, 1}));
  // A layout change of the outer dims with a per-channel bias: one loop of 121.
  Tensor y = kiln::relu(x.permute({1, 0, 2, 3}) + b.unsqueeze(1));
  std::string k = kernel_of(y);
  CAPTURE(k);
  CHECK(has(k, "in 0..121 {"));
  CHECK_FALSE(has(k, "/ 11)"));
  CHECK_FALSE(has(k, "% 11)"));
  require_interpreted(y);

  // Three inner dims ([5, 3, 7] rows of 105): the nested divisions cancel too.
  Tensor z = realized(kiln::randn({64, 2, 5, 3, 7}));
  Tensor w = z.permute({1, 0, 2, 3, 4}) * 2 + 1;
  std::string kw = kernel_of(w);
  CAPTURE(kw);
  CHECK(has(kw, "in 0..105 {"));
  CHECK_FALSE(has(kw, "/ 7)"));
  require_interpreted(w);
}

TEST_CASE("an inner dim some access transposes or broadcasts keeps its own loop",
          "[fusion][nest]") {
  kiln::manual_seed(12);
  Tensor x = realized(kiln::randn({6, 5, 11, 11}));
  // The two inner dims swapped: merged, the read would divide every element's index.
  Tensor t = x.permute({1, 0, 3, 2}) + 1;
  std::string kt = kernel_of(t);
  CAPTURE(kt);
  CHECK_FALSE(has(kt, "in 0..121 {"));
  require_interpreted(t);
  // A bias broadcast along the last dim (one value per row of 11).
  Tensor r = realized(kiln::randn({11, 1}));
  Tensor u = x.permute({1, 0, 2, 3}) * r;
  std::string ku = kernel_of(u);
  CAPTURE(ku);
  CHECK_FALSE(has(ku, "in 0..121 {"));
  require_interpreted(u);
}
