#!/usr/bin/env bash
# Builds kiln and runs the whole test suite: installs missing packages (setup.sh), configures
# build/ (Ninja, RelWithDebInfo, warnings as errors), builds on all cores, runs ctest in
# parallel. Exits nonzero on any failure. Safe to run again: the build is incremental.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/configure.sh"
cmake --build "$build" --parallel "$jobs"
ctest --test-dir "$build" --output-on-failure --parallel "$jobs" --no-tests=error
