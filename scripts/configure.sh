#!/usr/bin/env bash
# Shared by scripts/run.sh and scripts/test.sh: installs missing packages (setup.sh) and
# configures build/ (Ninja, RelWithDebInfo, warnings as errors, tests and examples on), so the
# two commands share one build directory. Sourced; sets $root, $build and $jobs.
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
