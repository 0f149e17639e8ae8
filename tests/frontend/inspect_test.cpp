// save_graph files parse back into the same graph (KILN_DUMP_DIR and the KILN_DEBUG levels are
// checked end to end by examples/debug_test.cmake).
#include <cstdio>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "kiln/compiler/text.h"

TEST_CASE("save_graph writes the pending graph in the text form", "[inspect]") {
  auto x = kiln::randn({4, 5});
  x.eval();
  auto y = kiln::softmax(x * 2, 1);
  std::string path = "kiln_save_graph_test.txt";
  kiln::save_graph({y}, path);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(path.c_str());
  REQUIRE(text.str().find("max(") != std::string::npos);
  auto parsed = kiln::ir::parse_graph(text.str());
  REQUIRE(parsed.size() == 1);
  REQUIRE(parsed[0]->shape() == y.node()->shape());
  REQUIRE(kiln::ir::print_graph(parsed) == text.str());
}

TEST_CASE("save_graph to an unwritable path throws", "[inspect]") {
  auto x = kiln::ones({2});
  REQUIRE_THROWS_WITH(kiln::save_graph({x + 1}, "/dev/null/nope.txt"),
                      Catch::Contains("[save_graph] cannot write"));
}
