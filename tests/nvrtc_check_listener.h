// With $KILN_NVRTC_CHECK set (the ctest entries labeled nvrtc), every kernel the tests
// compile is also compiled as CUDA by NVRTC (codegen::cuda::nvrtc_check, queued and batched).
// This listener compiles each test case's queued kernels when the case ends, reports a failure
// with the case's name, and makes the run exit nonzero.
#pragma once

#include <cstdio>
#include <cstdlib>

// Listener types are Catch2 v2 "external interfaces".
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include "kiln/compiler/codegen/cuda/cuda_codegen.h"

namespace {

class NvrtcCheckListener : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;

  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    try {
      kiln::codegen::cuda::nvrtc_check_flush();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "KILN_NVRTC_CHECK failed in test case '%s':\n%s\n",
                   stats.testInfo.name.c_str(), e.what());
      failed_ = true;
    }
  }

  void testRunEnded(const Catch::TestRunStats&) override {
    if (failed_) {
      std::fprintf(stderr, "KILN_NVRTC_CHECK: a generated CUDA kernel failed to compile\n");
      std::exit(1);
    }
  }

 private:
  bool failed_ = false;
};

}  // namespace

CATCH_REGISTER_LISTENER(NvrtcCheckListener)
