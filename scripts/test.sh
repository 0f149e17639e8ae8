#!/usr/bin/env bash
# Builds kiln and runs the whole test suite: installs missing packages (setup.sh), configures
# build/ (Ninja, RelWithDebInfo, warnings as errors), builds on all cores, runs ctest in
# parallel. Exits nonzero on any failure. Safe to run again: the build is incremental.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"
jobs="${KILN_JOBS:-$(nproc)}"  # KILN_JOBS overrides the core count

"$root/scripts/setup.sh"

# A build/ configured with another generator cannot be reused; start it afresh.
if [[ -f "$build/CMakeCache.txt" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$build/CMakeCache.txt"; then
  rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKILN_WERROR=ON \
  -DKILN_BUILD_TESTS=ON -DKILN_BUILD_EXAMPLES=ON
cmake --build "$build" --parallel "$jobs"
ctest --test-dir "$build" --output-on-failure --parallel "$jobs" --no-tests=error
