// The memory plan (passes/memory_plan.cpp): temps whose lifetimes do not overlap share an
// allocation, the smallest free one that holds them or else the largest free one grown; temps
// alive at the same launch never share; and a planned program (a chain of matmuls whose temps
// take turns in two allocations) computes the interpreter's values.
#include "kiln/compiler/memory_plan.h"

#include <cmath>
#include <random>

#include <catch2/catch.hpp>

#include "kiln/compiler/compile.h"
#include "kiln/compiler/interpreter.h"
#include "kiln/compiler/program.h"

using namespace kiln;
using namespace kiln::ir;

TEST_CASE("memory plan: a chain of temps takes turns in two allocations", "[memory_plan]") {
  // t0 is read by launch 1, which writes t1; t1 by launch 2, which writes t2; ...
  std::vector<TempLifetime> temps;
  for (size_t k = 0; k < 5; ++k) temps.push_back({1024, k, k + 1});
  MemoryPlan plan = plan_memory(temps);
  REQUIRE(plan.alloc_bytes == std::vector<int64_t>{1024, 1024});
  REQUIRE(plan.alloc_of == std::vector<int64_t>{0, 1, 0, 1, 0});
  REQUIRE(plan.total_bytes() == 2048);
}

TEST_CASE("memory plan: best fit, growth, and no sharing within a launch", "[memory_plan]") {
  SECTION("the smallest free allocation that holds the temp") {
    // 100 and 300 die at launch 1; a 90-byte temp at launch 2 takes the 100.
    MemoryPlan plan = plan_memory({{100, 0, 1}, {300, 0, 1}, {90, 2, 2}});
    REQUIRE(plan.alloc_of[2] == plan.alloc_of[0]);
    REQUIRE(plan.total_bytes() == 400);
  }
  SECTION("no free allocation holds it: the largest free one grows") {
    MemoryPlan plan = plan_memory({{100, 0, 1}, {300, 0, 1}, {500, 2, 2}});
    REQUIRE(plan.alloc_of[2] == plan.alloc_of[1]);
    REQUIRE(plan.alloc_bytes[static_cast<size_t>(plan.alloc_of[2])] == 500);
    REQUIRE(plan.total_bytes() == 600);
  }
  SECTION("a temp last read by a launch is not reused by that launch's outputs") {
    MemoryPlan plan = plan_memory({{64, 0, 1}, {64, 1, 2}});
    REQUIRE(plan.alloc_of[0] != plan.alloc_of[1]);
  }
  SECTION("a temp nobody reads frees its allocation after its launch") {
    MemoryPlan plan = plan_memory({{64, 0, 0}, {64, 1, 1}});
    REQUIRE(plan.alloc_bytes.size() == 1);
  }
  SECTION("no temps, no allocations") { REQUIRE(plan_memory({}).alloc_bytes.empty()); }
}

TEST_CASE("memory plan: random lifetimes never share while both are alive", "[memory_plan]") {
  for (uint32_t seed = 0; seed < 200; ++seed) {
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    std::vector<TempLifetime> temps(1 + rng() % 30);
    for (auto& t : temps) {
      t.first = rng() % 20;
      t.last = t.first + rng() % 6;
      t.bytes = 1 + rng() % 5000;
    }
    MemoryPlan plan = plan_memory(temps);
    int64_t sum = 0;
    for (size_t i = 0; i < temps.size(); ++i) {
      sum += temps[i].bytes;
      auto a = static_cast<size_t>(plan.alloc_of[i]);
      REQUIRE(a < plan.alloc_bytes.size());
      REQUIRE(plan.alloc_bytes[a] >= temps[i].bytes);
      for (size_t j = 0; j < i; ++j) {
        bool overlap = temps[i].first <= temps[j].last && temps[j].first <= temps[i].last;
        if (overlap) REQUIRE(plan.alloc_of[i] != plan.alloc_of[j]);
      }
    }
    REQUIRE(plan.total_bytes() <= sum);
  }
}

TEST_CASE("memory plan: a program's temps share allocations and compute the same values",
          "[memory_plan]") {
  auto buffer = [](int k) {
    auto b = std::make_shared<runtime::Buffer>(DType::Float32, 64);
    for (int64_t i = 0; i < 64; ++i) b->set(i, std::sin(0.3 * static_cast<double>(i) + k) / 4);
    return b;
  };
  NodeRef x = load(buffer(0), {8, 8});
  NodeRef w = load(buffer(1), {8, 8});
  NodeRef y = x;
  for (int i = 0; i < 5; ++i) y = matmul(y, w);  // each matmul its own kernel
  auto p = plan_program({y});
  REQUIRE(p->kernels.size() == 5);
  size_t temps = 0;
  for (const auto& s : p->slots) temps += s.kind == Program::SlotKind::Temp;
  REQUIRE(temps == 4);
  REQUIRE(p->temp_bytes == std::vector<int64_t>{256, 256});
  REQUIRE(p->peak_bytes == 3 * 256 + 2 * 256);  // two inputs, the output, two temps
  std::vector<runtime::BufferPtr> expected = interpret({y});
  for (bool compiled : {false, true}) {
    INFO((compiled ? "compiled" : "evaluated"));
    if (compiled) compile_program(*p);
    std::vector<runtime::BufferPtr> got = run_program(*p, {x->buffer(), w->buffer()});
    for (int64_t i = 0; i < 64; ++i)
      REQUIRE(got[0]->get(i) == Approx(expected[0]->get(i)).epsilon(1e-5).margin(1e-7));
  }
}
